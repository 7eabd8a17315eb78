import { type Kysely, sql } from 'kysely';

/**
 * What comes back in each account's mailbox (PRODUCT.md §5b).
 *
 * - accounts: where its mailbox is (IMAP host, port, security; Gmail's accounts get
 *   imap.gmail.com:993), whether it is watched, and how the last look went.
 * - messages: a new state `bounced` (Gmail took it; a failure notice came back later), the
 *   notice's fields, the times a reply, an auto-reply or an unsubscribe request came, and how
 *   Sent Mail settled an in-doubt message. A CHECK constraint cannot be changed in place, so
 *   the table is rebuilt as SQLite describes (sqlite.org/lang_altertable.html §7): its own
 *   definition, indexes and triggers are read from the schema and recreated around the copy,
 *   so what other migrations added to the table is carried over as it is.
 * - inbox_cursors: per account and mailbox, the UIDVALIDITY and the last UID read, so each
 *   look fetches only new mail. inbox_notices: one row per notice acted on or noted, keyed so a
 *   notice seen twice counts once. outside_sends: what the account sent outside Trickle (read
 *   from its Sent Mail), by time and recipients, which the rolling cap counts.
 * - suppressions: which account's inbox (and which message) an entry came from.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // One transaction, foreign keys off around it and checked before it commits: db/migrate.ts.
  await accountColumns(db);
  await rebuildMessages(
    db,
    (statuses) => (statuses.includes("'bounced'") ? statuses : [...statuses, "'bounced'"]),
    (select) => select,
  );
  for (const column of MESSAGE_COLUMNS) await db.schema.alterTable('messages').addColumn(column.name, column.type).execute();
  // Served by partial indexes, each as small as what it holds: a campaign's replies, its
  // bounced or sent messages to one address.
  await sql`create index messages_replied on messages (campaign_id, id) where replied_at is not null`.execute(db);
  await sql`create index messages_auto_replied on messages (campaign_id, id) where auto_replied_at is not null`.execute(db);
  await sql`create index messages_unsubscribed on messages (campaign_id, id) where unsubscribed_at is not null`.execute(db);
  await sql`create index messages_went_out on messages (email_norm, account_id) where status in ('sent', 'in_doubt', 'bounced')`.execute(
    db,
  );
  await db.schema.alterTable('campaigns').addColumn('bounce_alerted_at', 'integer').execute();
  await db.schema.alterTable('suppressions').addColumn('source_account', 'text').execute();
  await db.schema.alterTable('suppressions').addColumn('source_message_id', 'integer').execute();
  await inboxTables(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // One transaction, foreign keys off around it and checked before it commits: db/migrate.ts.
  await db.schema.dropTable('outside_sends').execute();
  await db.schema.dropTable('inbox_notices').execute();
  await db.schema.dropTable('inbox_cursors').execute();
  await db.schema.alterTable('suppressions').dropColumn('source_message_id').execute();
  await db.schema.alterTable('suppressions').dropColumn('source_account').execute();
  await db.schema.alterTable('campaigns').dropColumn('bounce_alerted_at').execute();
  for (const index of ['messages_replied', 'messages_auto_replied', 'messages_unsubscribed', 'messages_went_out']) {
    await db.schema.dropIndex(index).execute();
  }
  for (const column of MESSAGE_COLUMNS) await db.schema.alterTable('messages').dropColumn(column.name).execute();
  // A bounced message had been sent: that is what it was before.
  await rebuildMessages(
    db,
    (statuses) => statuses.filter((s) => s !== "'bounced'"),
    (select) => select.replace(/^"status"$/m, `case "status" when 'bounced' then 'sent' else "status" end`),
  );
  for (const column of ['inbox_detail', 'inbox_checked_at', 'inbox_state', 'watch_inbox', 'imap_security', 'imap_port', 'imap_host']) {
    await db.schema.alterTable('accounts').dropColumn(column).execute();
  }
}

const MESSAGE_COLUMNS = [
  { name: 'bounce_status', type: 'text' },
  { name: 'bounce_diagnostic', type: 'text' },
  { name: 'bounce_explanation', type: 'text' },
  { name: 'bounced_at', type: 'integer' },
  { name: 'replied_at', type: 'integer' },
  { name: 'auto_replied_at', type: 'integer' },
  { name: 'unsubscribed_at', type: 'integer' },
  /** 'sent_mail_found' or 'sent_mail_missing': how an in-doubt message was settled. */
  { name: 'settled_how', type: 'text' },
  { name: 'settled_at', type: 'integer' },
] as const;

async function accountColumns(trx: Kysely<any>): Promise<void> {
  const add = (
    name: string,
    type: 'text' | 'integer',
    build?: Parameters<ReturnType<Kysely<any>['schema']['alterTable']>['addColumn']>[2],
  ) => trx.schema.alterTable('accounts').addColumn(name, type, build).execute();
  await add('imap_host', 'text');
  await add('imap_port', 'integer', (c) => c.check(sql`imap_port between 1 and 65535`));
  await add('imap_security', 'text', (c) => c.check(sql`imap_security in ('tls', 'none')`));
  await add('watch_inbox', 'integer', (c) => c.notNull().defaultTo(1).check(sql`watch_inbox in (0, 1)`));
  await add('inbox_state', 'text', (c) => c.check(sql`inbox_state in ('ok', 'auth_failed', 'unreachable')`));
  await add('inbox_checked_at', 'integer');
  await add('inbox_detail', 'text');
  // Gmail's accounts read Gmail's mailbox; another host's has no known IMAP server until the user gives one.
  await sql`update accounts set imap_host = 'imap.gmail.com', imap_port = 993, imap_security = 'tls' where lower(host) = 'smtp.gmail.com'`.execute(
    trx,
  );
}

async function inboxTables(trx: Kysely<any>): Promise<void> {
  await trx.schema
    .createTable('inbox_cursors')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('mailbox', 'text', (c) => c.notNull().check(sql`mailbox in ('inbox', 'sent')`))
    .addColumn('uid_validity', 'text', (c) => c.notNull())
    .addColumn('last_uid', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('inbox_cursors_pk', ['account_id', 'mailbox'])
    .execute();
  // Keyed by the account's address, like the send log: removing and re-adding it forgets nothing.
  await trx.schema
    .createTable('inbox_notices')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('account_email', 'text', (c) => c.notNull())
    .addColumn('notice_key', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('bounce', 'delayed', 'unsubscribe', 'reply', 'auto_reply')`))
    .addColumn('message_id', 'integer', (c) => c.references('messages.id').onDelete('set null'))
    .addColumn('status_code', 'text')
    .addColumn('seen_at', 'integer', (c) => c.notNull())
    .addUniqueConstraint('inbox_notices_key', ['account_email', 'notice_key'])
    .execute();
  await trx.schema
    .createTable('outside_sends')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('account_email', 'text', (c) => c.notNull())
    .addColumn('mail_key', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'integer', (c) => c.notNull())
    .addColumn('recipients', 'integer', (c) => c.notNull().check(sql`recipients >= 0`))
    .addUniqueConstraint('outside_sends_key', ['account_email', 'mail_key'])
    .execute();
  await trx.schema
    .createIndex('outside_sends_account_time')
    .on('outside_sends')
    .columns(['account_email', 'sent_at', 'recipients'])
    .execute();
}

/**
 * Rebuilds `messages` with its status CHECK list changed by `statuses`, keeping its rows, ids,
 * AUTOINCREMENT position, indexes and triggers. Foreign keys must be off (the caller's job):
 * the drop must not set send_log's references to null.
 */
async function rebuildMessages(
  trx: Kysely<any>,
  statuses: (list: string[]) => string[],
  select: (columns: string) => string,
): Promise<void> {
  const table = await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = 'messages'`.execute(trx);
  const definition = table.rows[0]?.sql;
  if (!definition) throw new Error('0011_mailbox: no messages table');
  const check = /(check\s*\(\s*"?status"?\s+in\s*\()([^)]*)(\))/i;
  const found = check.exec(definition);
  if (!found) throw new Error('0011_mailbox: the messages table has no status check to extend');
  const list = statuses(found[2]!.split(',').map((s) => s.trim()));
  const rebuilt = definition
    .replace(check, `$1${list.join(', ')}$3`)
    .replace(/^create\s+table\s+("?)messages\1/i, 'create table "messages_rebuilt"');
  const attached = await sql<{ sql: string }>`
    select sql from sqlite_master where tbl_name = 'messages' and type in ('index', 'trigger') and sql is not null`.execute(trx);
  const sequence = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'messages'`.execute(trx);
  const columns = await sql<{ name: string }>`select name from pragma_table_info('messages') order by cid`.execute(trx);
  const names = columns.rows.map((c) => `"${c.name}"`);

  await sql.raw(rebuilt).execute(trx);
  await sql
    .raw(`insert into "messages_rebuilt" (${names.join(', ')}) select ${select(names.join('\n')).split('\n').join(', ')} from "messages"`)
    .execute(trx);
  await sql`drop table messages`.execute(trx);
  await sql`alter table messages_rebuilt rename to messages`.execute(trx);
  for (const { sql: statement } of attached.rows) await sql.raw(statement).execute(trx);
  // Ids of messages deleted at the end of the table are not given out again.
  if (sequence.rows[0]) {
    await sql`delete from sqlite_sequence where name in ('messages', 'messages_rebuilt')`.execute(trx);
    await sql`insert into sqlite_sequence (name, seq) values ('messages', ${sequence.rows[0].seq})`.execute(trx);
  }
}
