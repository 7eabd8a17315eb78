import type { Generated, Kysely, Selectable } from 'kysely';
import type {
  AccountSecurity,
  CampaignStatus,
  MessageStatus,
  StoredAccountState,
  SuppressionReason,
} from '../../../src-shared/states';

export { MESSAGE_STATUSES } from '../../../src-shared/states';
export type { AccountSecurity, CampaignStatus, MessageStatus, StoredAccountState, SuppressionReason };

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
  /** When the user archived it (migration 0010): hidden from the list, kept for the history. */
  archived_at: Generated<number | null>;
  /** The separator of the CSV its recipients came from (migration 0010), for its export. */
  csv_delimiter: Generated<CsvDelimiter | null>;
  /** JSON array: merge fields blank for at least one recipient, as imported; null when unknown (imported before migration 0013). */
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
  dry_run: Generated<number>;
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
  remaining: number | null;
  note: string | null;
}


export interface SuppressionsTable {
  email_norm: string;
  email: string;
  reason: SuppressionReason;
  detail: string | null;
  created_at: number;
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
  owner_lease: OwnerLeaseTable;
}

export type AccountRow = Selectable<AccountsTable>;
export type CampaignRow = Selectable<CampaignsTable>;
export type MessageRow = Selectable<MessagesTable>;
export type BatchRow = Selectable<BatchesTable>;

/** The database as the engine queries it. */
export type Db = Kysely<Database>;
