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
  /** Written to a rehearsal's log, never sent (a rehearsal campaign's messages end here). */
  'rehearsed',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export type SuppressionReason = 'unsubscribed' | 'bounced' | 'manual';
