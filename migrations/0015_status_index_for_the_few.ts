import type { Kysely } from 'kysely';

/**
 * `messages_status` indexed every message by its status, a million entries for a million-row
 * import, for queries that only ever look for the few messages in `sending` (recovery, an
 * account in use) or `retry_wait` (the retry job). A partial index of those two holds just
 * them (issue 17: an import no longer writes an index entry per row for it). Queries by a
 * campaign's statuses use messages_campaign_status, as before.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_status').execute();
  // Written as ORs, not IN: SQLite matches `status = ?` to an OR of equalities, not to an IN list.
  await db.schema
    .createIndex('messages_unsettled')
    .on('messages')
    .column('status')
    .where((eb) => eb.or([eb('status', '=', 'sending'), eb('status', '=', 'retry_wait')]))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_unsettled').execute();
  await db.schema.createIndex('messages_status').on('messages').column('status').execute();
}
