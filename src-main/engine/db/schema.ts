import type { Generated, Kysely, Selectable } from 'kysely';
import type {
  AccountSecurity,
  CampaignStatus,
  ImapSecurity,
  MessageStatus,
  StoredAccountState,
  StoredInboxState,
  SuppressionReason,
} from '../../../src-shared/states';

export { MESSAGE_STATUSES } from '../../../src-shared/states';
export type { AccountSecurity, CampaignStatus, ImapSecurity, MessageStatus, StoredAccountState, StoredInboxState, SuppressionReason };

/**
 * Row shapes as stored. Times are integer milliseconds since the epoch (UTC). Columns with a
 * database default are `Generated` (optional on insert); read rows as `Selectable<…>`.
 */

export interface AccountsTable {
  id: Generated<number>;
  email: string;
  email_norm: string;
  from_name: Generated<string>;
  password_secret: string;
  daily_cap: Generated<number>;
  enabled: Generated<number>;
  host: Generated<string>;
  port: Generated<number>;
  security: Generated<AccountSecurity>;
  state: Generated<StoredAccountState>;
  state_until: number | null;
  state_detail: string | null;
  last_picked_at: Generated<number>;
  created_at: number;
  /** The mailbox (migration 0011): null host = none known, so not watched. */
  imap_host: string | null;
  imap_port: number | null;
  imap_security: ImapSecurity | null;
  watch_inbox: Generated<number>;
  /** How the last look went; null before the first. */
  inbox_state: StoredInboxState | null;
  inbox_checked_at: number | null;
  inbox_detail: string | null;
  /** When a login last succeeded (a check, or a message the server accepted); null: never checked. */
  verified_at: number | null;
  /** The measured time one message takes on this account (moving average, ms); null until it has sent. */
  pace_ms: number | null;
}

export interface CampaignsTable {
  id: Generated<number>;
  name: string;
  subject: string;
  html: string | null;
  text: string | null;
  from_name: string | null;
  reply_to: string | null;
  /** Before migration 0008: attachments as JSON paths; imported into the store at start, then '[]'. */
  attachments: Generated<string>;
  fields: Generated<string>;
  status: Generated<CampaignStatus>;
  status_detail: string | null;
  send_after: number | null;
  stop_after: number | null;
  queue_seq: number | null;
  policy_block_streak: Generated<number>;
  created_at: number;
  updated_at: number;
  queued_at: number | null;
  completed_at: number | null;
  /** 1 while its recipients are being stored: hidden until the import completes. */
  importing: Generated<number>;
  /** When the user was told that its bounces passed 5 % (once). */
  bounce_alerted_at: number | null;
  /** When the user archived it (migration 0010): hidden from the list, kept for the history. */
  archived_at: Generated<number | null>;
  /** The separator of the CSV its recipients came from (migration 0010), for its export. */
  csv_delimiter: Generated<CsvDelimiter | null>;
  /** 1 for a rehearsal: its messages are written to a log, never sent, and touch no cap. */
  rehearsal: Generated<number>;
  /** JSON array: merge fields blank for at least one recipient, as imported; null when unknown (imported before migration 0016). */
  fields_with_blanks: Generated<string | null>;
}

export type CsvDelimiter = ',' | ';' | '\t';

/** A file the user gave Trickle (migration 0008); its bytes are `attachments/store/<id>`. */
export interface AttachmentsTable {
  id: Generated<number>;
  filename: string;
  size: number;
  created_at: number;
}

/** Which stored files a campaign sends, in order. */
export interface CampaignAttachmentsTable {
  campaign_id: number;
  position: number;
  attachment_id: number;
}

export interface MessagesTable {
  id: Generated<number>;
  campaign_id: number;
  row: number;
  email: string;
  email_norm: string;
  name: string | null;
  fields: Generated<string>;
  status: MessageStatus;
  skip_reason: string | null;
  attempts: Generated<number>;
  account_id: number | null;
  batch_id: number | null;
  message_id: string | null;
  queued_at: number | null;
  send_started_at: number | null;
  sent_at: number | null;
  updated_at: number;
  error_code: string | null;
  error_response: string | null;
  error_explanation: string | null;
  /** What a failure notice said (migration 0011). */
  bounce_status: string | null;
  bounce_diagnostic: string | null;
  bounce_explanation: string | null;
  bounced_at: number | null;
  replied_at: number | null;
  auto_replied_at: number | null;
  unsubscribed_at: number | null;
  /** How Sent Mail settled it when it was in doubt. */
  settled_how: 'sent_mail_found' | 'sent_mail_missing' | null;
  settled_at: number | null;
}

export interface SendLogTable {
  id: Generated<number>;
  account_email: string;
  message_id: number | null;
  kind: 'campaign' | 'test';
  sent_at: number;
}

export interface BatchesTable {
  id: Generated<number>;
  started_at: number;
  finished_at: number | null;
  claimed: Generated<number>;
  sent: Generated<number>;
  failed: Generated<number>;
  retrying: Generated<number>;
  in_doubt: Generated<number>;
  requeued: Generated<number>;
  skipped: Generated<number>;
  cancelled: Generated<number>;
  rehearsed: Generated<number>;
  remaining: number | null;
  note: string | null;
}

export interface SuppressionsTable {
  email_norm: string;
  email: string;
  reason: SuppressionReason;
  detail: string | null;
  created_at: number;
  /** The account whose inbox it came from (an unsubscribe request, a failure notice). */
  source_account: string | null;
  /** The message the request or notice was about. */
  source_message_id: number | null;
}

/** Per account and mailbox: where the last look stopped. */
export interface InboxCursorsTable {
  account_id: number;
  mailbox: 'inbox' | 'sent';
  /** UIDVALIDITY as text (IMAP allows up to 2^32 - 1; kept exact). */
  uid_validity: string;
  last_uid: number;
}

export type InboxNoticeKind = 'bounce' | 'delayed' | 'unsubscribe' | 'reply' | 'auto_reply';

/** One row per notice, reply or request acted on or noted: a notice seen twice counts once. */
export interface InboxNoticesTable {
  id: Generated<number>;
  account_email: string;
  notice_key: string;
  kind: InboxNoticeKind;
  message_id: number | null;
  status_code: string | null;
  seen_at: number;
}

/** What an account sent outside Trickle, read from its Sent Mail: counted by the rolling cap. */
export interface OutsideSendsTable {
  id: Generated<number>;
  account_email: string;
  mail_key: string;
  sent_at: number;
  recipients: number;
}

/** Kept by triggers on `messages` (migration 0006); never written by the engine's code. */
export interface CampaignMessageCountsTable {
  campaign_id: number;
  status: MessageStatus;
  n: number;
}

export interface SettingsTable {
  key: string;
  value: string;
}

/** One row (id 1): the engine that owns the database (db/owner-lease.ts). */
export interface OwnerLeaseTable {
  id: number;
  session: string;
  pid: number;
  host: string;
  lock_file: string;
  taken_at: number;
  heartbeat_at: number;
  released_at: number | null;
}

export interface Database {
  accounts: AccountsTable;
  campaigns: CampaignsTable;
  messages: MessagesTable;
  send_log: SendLogTable;
  batches: BatchesTable;
  suppressions: SuppressionsTable;
  settings: SettingsTable;
  campaign_message_counts: CampaignMessageCountsTable;
  attachments: AttachmentsTable;
  campaign_attachments: CampaignAttachmentsTable;
  inbox_cursors: InboxCursorsTable;
  inbox_notices: InboxNoticesTable;
  outside_sends: OutsideSendsTable;
  owner_lease: OwnerLeaseTable;
}

export type AccountRow = Selectable<AccountsTable>;
export type CampaignRow = Selectable<CampaignsTable>;
export type MessageRow = Selectable<MessagesTable>;
export type BatchRow = Selectable<BatchesTable>;

/** The database as the engine queries it. */
export type Db = Kysely<Database>;
