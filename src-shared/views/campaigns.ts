import type { CampaignStatus, MessageMark, MessageStatus } from '../states';

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
  /** A rehearsal: its messages are written to `rehearsalLog`, never sent; nothing of it counts towards a cap. */
  rehearsal: boolean;
  /** Where a rehearsal's messages are written (a file in the data folder). */
  rehearsalLog?: string;
  statusDetail?: string;
  sendAfter?: string;
  stopAfter?: string;
  counts: MessageCounts;
  /** What came back in the sending accounts' mailboxes (PRODUCT.md §5b): messages answered, auto-answered, unsubscribed. */
  replies: ReplyCounts;
  total: number;
  createdAt: string;
  queuedAt?: string;
  completedAt?: string;
  /** When its last message should have gone out, at the current caps and cadence. */
  eta?: string;
  /** Put away by the user: hidden from the list unless asked for; its history stays. */
  archivedAt?: string;
}

export interface ReplyCounts {
  replied: number;
  autoReplied: number;
  unsubscribed: number;
}

/** The filters of the message list beyond states: messages marked by what came back. */
export type { MessageMark };

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
  lastError?: { code: string; response: string; explanation: string };
  /** A failure notice came back for it (it is `bounced`): the status code, the server's words, and a sentence in plain words. */
  bounce?: { status: string; diagnostic: string; explanation: string; at: string };
  repliedAt?: string;
  autoRepliedAt?: string;
  unsubscribedAt?: string;
  /** How Sent Mail settled it when it was in doubt: confirmed there (sent), or missing (queued again). */
  settled?: { how: 'confirmed_in_sent_mail' | 'not_in_sent_mail'; at: string };
}

/** A stored file as the API shows it: what the user gave, never where it lies. */
export interface AttachmentInfo {
  id: number;
  filename: string;
  size: number;
  /** The store's copy is gone or changed (the data folder was damaged or edited by hand). */
  missing?: true;
}
