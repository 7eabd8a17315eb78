import type { AccountSecurity, ImapSecurity, InboxState, StoredAccountState } from '../states';

export type AccountState = StoredAccountState | 'disabled';

export interface AccountStateDetail {
  explanation: string;
  code?: string;
  response?: string;
}

/** An account as every caller sees it: never with its password. */
export interface Account {
  id: number;
  email: string;
  fromName: string;
  dailyCap: number;
  enabled: boolean;
  state: AccountState;
  stateDetail?: AccountStateDetail;
  /** Until when `cooling` or `limit_reached` lasts. */
  stateUntil?: string;
  sentLast24h: number;
  remaining: number;
  nextSlotAt?: string;
  host: string;
  port: number;
  security: AccountSecurity;
  /** Of sentLast24h: the recipients of what it sent outside Trickle (read from its Sent Mail). */
  sentOutsideLast24h: number;
  /** Its mailbox's server; absent when none is known (another host than Gmail, not set). */
  imapHost?: string;
  imapPort?: number;
  imapSecurity?: ImapSecurity;
  /** The user wants its mailbox read (bounces, unsubscribes, replies, Sent Mail). */
  watchInbox: boolean;
  inbox: InboxStatus;
}

/** How reading the account's mailbox goes (PRODUCT.md §5b). A mailbox problem never stops sending. */
export interface InboxStatus {
  state: InboxState;
  /** When it was last looked at, successfully or not. */
  lastCheckAt?: string;
  /** What went wrong, or why it is off, in words. */
  detail?: string;
}

/** What one look at a mailbox found and did (accounts.checkInbox). */
export interface InboxCheckResult {
  /** Messages newly marked bounced (a permanent failure notice matched them). */
  bounces: number;
  /** Addresses newly suppressed at their request. */
  unsubscribes: number;
  replies: number;
  autoReplies: number;
  /** In-doubt messages settled from Sent Mail (confirmed sent, or queued again). */
  settled: number;
  /** The mailbox could not be read: why, in words (nothing was changed). */
  problem?: string;
}
