// The states of accounts, campaigns and messages, as stored and as shown.

export type AccountSecurity = 'tls' | 'starttls' | 'none';
export type StoredAccountState = 'ok' | 'cooling' | 'limit_reached' | 'auth_failed';

export type CampaignStatus = 'draft' | 'queued' | 'sending' | 'paused' | 'completed' | 'cancelled';

export const MESSAGE_STATUSES = [
  'pending',
  'queued',
  'sending',
  'sent',
  'retry_wait',
  'failed',
  'in_doubt',
  'skipped',
  'cancelled',
  'expired',
  /** Gmail took it, and a failure notice came back later in the account's inbox (PRODUCT.md §5b). */
  'bounced',
  /** Written to a rehearsal's log, never sent (a rehearsal campaign's messages end here). */
  'rehearsed',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export type SuppressionReason = 'unsubscribed' | 'bounced' | 'manual';

/** How an account's mailbox looks were going; `off` when the user turned watching off (or no IMAP server is set). */
export const INBOX_STATES = ['ok', 'auth_failed', 'unreachable', 'off'] as const;
export type InboxState = (typeof INBOX_STATES)[number];
export type StoredInboxState = Exclude<InboxState, 'off'>;
export type ImapSecurity = 'tls' | 'none';

/** Marks a message can get from what came back, without changing its state. */
export const MESSAGE_MARKS = ['replied', 'auto_replied', 'unsubscribed'] as const;
export type MessageMark = (typeof MESSAGE_MARKS)[number];
