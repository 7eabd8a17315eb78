import type { CampaignStatus, MessageStatus } from '../states';

export type MessageCounts = Record<MessageStatus, number>;

export interface Campaign {
  id: number;
  name: string;
  subject: string;
  html?: string;
  text?: string;
  fromName?: string;
  replyTo?: string;
  /** The stored files it sends, by id (attachments.store); never a path. */
  attachments: AttachmentInfo[];
  fields: string[];
  status: CampaignStatus;
  statusDetail?: string;
  sendAfter?: string;
  stopAfter?: string;
  counts: MessageCounts;
  total: number;
  createdAt: string;
  queuedAt?: string;
  completedAt?: string;
  /** When its last message should have gone out, at the current caps and cadence. */
  eta?: string;
  /** Put away by the user: hidden from the list unless asked for; its history stays. */
  archivedAt?: string;
}

export interface ImportReport {
  imported: number;
  duplicates: number;
  invalid: { row: number; value: string; reason: string }[];
  suppressed: number;
}

export interface Message {
  id: number;
  row: number;
  email: string;
  name?: string;
  status: MessageStatus;
  attempts: number;
  accountId?: number;
  messageId?: string;
  sentAt?: string;
  skipReason?: string;
  dryRun?: boolean;
  lastError?: { code: string; response: string; explanation: string };
}

/** A stored file as the API shows it: what the user gave, never where it lies. */
export interface AttachmentInfo {
  id: number;
  filename: string;
  size: number;
  /** The store's copy is gone or changed (the data folder was damaged or edited by hand). */
  missing?: true;
}
