import { type Kysely, sql } from 'kysely';

/** Campaigns and their messages, one row per recipient, in import order. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('campaigns')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('html', 'text')
    .addColumn('text', 'text')
    .addColumn('from_name', 'text')
    .addColumn('reply_to', 'text')
    .addColumn('attachments', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('fields', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('draft').check(sql`status in ('draft', 'queued', 'sending', 'paused', 'completed', 'cancelled')`),
    )
    .addColumn('status_detail', 'text')
    .addColumn('send_after', 'integer')
    .addColumn('stop_after', 'integer')
    // Campaigns send in the order they were queued; set once, on the first queue.
    .addColumn('queue_seq', 'integer', (c) => c.unique())
    .addColumn('policy_block_streak', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addColumn('queued_at', 'integer')
    .addColumn('completed_at', 'integer')
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('campaign_id', 'integer', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('row', 'integer', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_norm', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('fields', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`status in ('pending', 'queued', 'sending', 'sent', 'retry_wait', 'failed', 'in_doubt', 'skipped', 'cancelled', 'expired')`,
        ),
    )
    .addColumn('skip_reason', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('account_id', 'integer', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('batch_id', 'integer')
    .addColumn('message_id', 'text')
    .addColumn('queued_at', 'integer')
    // Set just before the message is handed to the SMTP connection: recovery tells "never
    // started" (safe to queue again) from "may have arrived" (in doubt) by it.
    .addColumn('send_started_at', 'integer')
    .addColumn('sent_at', 'integer')
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_response', 'text')
    .addColumn('error_explanation', 'text')
    .addColumn('dry_run', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // Serves the batch claim (campaign_id = ? and status = 'queued' order by id) and the
  // per-campaign counts (group by status) without touching the table.
  await db.schema.createIndex('messages_campaign_status').on('messages').columns(['campaign_id', 'status', 'id']).execute();
  // Serves global counts by status and crash recovery (status = 'sending').
  await db.schema.createIndex('messages_status').on('messages').column('status').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('messages').execute();
  await db.schema.dropTable('campaigns').execute();
}
