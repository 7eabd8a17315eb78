import { type Kysely, sql } from 'kysely';

/**
 * The send log is what rolling 24-hour caps are computed from. It is keyed by the account's
 * address, not its row id, so removing and re-adding an account cannot reset Gmail's count.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('send_log')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('account_email', 'text', (c) => c.notNull())
    .addColumn('message_id', 'integer', (c) => c.references('messages.id').onDelete('set null'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('campaign', 'test')`))
    .addColumn('sent_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('send_log_account_time').on('send_log').columns(['account_email', 'sent_at']).execute();
  await db.schema.createIndex('send_log_message').on('send_log').column('message_id').execute();

  await db.schema
    .createTable('batches')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('started_at', 'integer', (c) => c.notNull())
    .addColumn('finished_at', 'integer')
    .addColumn('claimed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sent', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('retrying', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('in_doubt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('requeued', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('remaining', 'integer')
    .addColumn('note', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('batches').execute();
  await db.schema.dropTable('send_log').execute();
}
