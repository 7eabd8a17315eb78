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
  /** When a login last succeeded (a check, or a message the server accepted); absent: not checked yet. */
  verifiedAt?: string;
  /** The measured time one message takes on this account (ms, a moving average of recent sends). */
  paceMs?: number;
  /** Sends that went out in the last 24 hours (rolling, as Gmail counts). */
  sentLast24h: number;
  /** Sends being made right now (claimed by the batch in progress): they count against the cap already. */
  inFlight: number;
  remaining: number;
  /** When the oldest send in the window turns 24 h old: the next slot ("At cap until …" when none is left). */
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
