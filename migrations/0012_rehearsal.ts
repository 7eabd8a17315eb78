import { type Kysely, sql } from 'kysely';

/**
 * Rehearsal becomes a campaign's own, never the whole app's (issue #13).
 *
 * Before, "dry run" was one global setting: while it was on, EVERY campaign's messages were
 * written to a log and marked `sent` (with `messages.dry_run = 1`), a real campaign's included.
 * From now on a campaign is a rehearsal or not (`campaigns.rehearsal`), and a rehearsed message
 * ends in its own state, `rehearsed`, never `sent`.
 *
 * What the old switch did to existing rows is reported, not guessed:
 *  - every message marked sent by a dry run becomes `rehearsed` (nothing reached a server);
 *  - each campaign that had such messages gets a status detail saying how many of its messages
 *    were never really sent;
 *  - if the switch was still on, campaigns that were queued or sending are paused with a detail
 *    saying why: under the old switch their next messages would have been rehearsed, now they
 *    would really be sent, and only the user may decide that;
 *  - the old `dryRun` setting and the `dry_run` column are removed.
 *
 * A message state is a CHECK on `messages.status`, which SQLite cannot change in place: the
 * table is rebuilt, as 0011_mailbox does, from its own definition (so every column, index and
 * trigger other migrations added is carried over), in one transaction with foreign keys off
 * (the drop must not set the send log's references to null), checked before it commits.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // One transaction, foreign keys off around it and checked before it commits: db/migrate.ts.
  const dryRunSetting = await sql<{ value: string }>`select value from settings where key = 'dryRun'`.execute(db);
  const dryRunWasOn = dryRunSetting.rows[0] !== undefined && JSON.parse(dryRunSetting.rows[0].value) === true;

  await db.schema
    .alterTable('campaigns')
    .addColumn('rehearsal', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('batches')
    .addColumn('rehearsed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // What the old switch did, counted before the rows change.
  const affected = await sql<{ campaign_id: number; n: number; sent: number }>`
    select campaign_id, sum(dry_run) as n, count(*) as sent from messages
    where status = 'sent' group by campaign_id having sum(dry_run) > 0`.execute(db);

  await rebuildMessages(
    db,
    (statuses) => (statuses.includes("'rehearsed'") ? statuses : [...statuses, "'rehearsed'"]),
    (column) => (column === '"status"' ? `case when "status" = 'sent' and "dry_run" = 1 then 'rehearsed' else "status" end` : column),
  );
  await sql`alter table messages drop column dry_run`.execute(db);
  await recount(db);

  for (const { campaign_id, n, sent } of affected.rows) {
    const detail =
      Number(n) === Number(sent)
        ? `Under the old app-wide dry run, ${count(n)} message${Number(n) === 1 ? ' was' : 's were'} written to the log and never really sent: marked “rehearsed”.`
        : `${count(n)} of this campaign’s messages ${Number(n) === 1 ? 'was' : 'were'} never really sent: the old app-wide dry run was on when their turn came, and they were wrongly shown as sent. They are marked “rehearsed” now; the other ${count(Number(sent) - Number(n))} really went out.`;
    await sql`update campaigns set status_detail = ${detail} where id = ${campaign_id}`.execute(db);
  }
  if (dryRunWasOn) {
    await sql`
      update campaigns set status = 'paused',
        status_detail = coalesce(status_detail || ' ', '') || ${'Paused when Trickle was updated: dry run was on, and it no longer exists for the whole app. Resumed, this campaign is really sent; to rehearse it instead, copy it as a rehearsal.'}
      where status in ('queued', 'sending')`.execute(db);
  }
  await sql`delete from settings where key = 'dryRun'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // One transaction, foreign keys off around it and checked before it commits: db/migrate.ts.
  // A rehearsed message was "sent" by the dry run: that is what it was before.
  await db.schema
    .alterTable('messages')
    .addColumn('dry_run', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update messages set dry_run = 1 where status = 'rehearsed'`.execute(db);
  await rebuildMessages(
    db,
    (statuses) => statuses.filter((s) => s !== "'rehearsed'"),
    (column) => (column === '"status"' ? `case "status" when 'rehearsed' then 'sent' else "status" end` : column),
  );
  await recount(db);
  await db.schema.alterTable('batches').dropColumn('rehearsed').execute();
  await db.schema.alterTable('campaigns').dropColumn('rehearsal').execute();
}

/**
 * Rebuilds `messages` with its status CHECK list changed by `statuses` and each column copied
 * as `select` writes it, keeping its rows, ids, AUTOINCREMENT position, indexes and triggers.
 * Foreign keys must be off (the caller's job).
 */
async function rebuildMessages(
  trx: Kysely<any>,
  statuses: (list: string[]) => string[],
  select: (column: string) => string,
): Promise<void> {
  const table = await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = 'messages'`.execute(trx);
  const definition = table.rows[0]?.sql;
  if (!definition) throw new Error('0012_rehearsal: no messages table');
  const check = /(check\s*\(\s*"?status"?\s+in\s*\()([^)]*)(\))/i;
  const found = check.exec(definition);
  if (!found) throw new Error('0012_rehearsal: the messages table has no status check to extend');
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
  await sql.raw(`insert into "messages_rebuilt" (${names.join(', ')}) select ${names.map(select).join(', ')} from "messages"`).execute(trx);
  await sql`drop table messages`.execute(trx);
  await sql`alter table messages_rebuilt rename to messages`.execute(trx);
  for (const { sql: statement } of attached.rows) await sql.raw(statement).execute(trx);
  // Ids of messages deleted at the end of the table are not given out again.
  if (sequence.rows[0]) {
    await sql`delete from sqlite_sequence where name in ('messages', 'messages_rebuilt')`.execute(trx);
    await sql`insert into sqlite_sequence (name, seq) values ('messages', ${sequence.rows[0].seq})`.execute(trx);
  }
}

/** The per-campaign counters, from the rows (a copy between tables fires no counter trigger). */
async function recount(trx: Kysely<any>): Promise<void> {
  await sql`delete from campaign_message_counts`.execute(trx);
  await sql`insert into campaign_message_counts (campaign_id, status, n)
    select campaign_id, status, count(*) from messages group by campaign_id, status`.execute(trx);
}

function count(n: number | string): string {
  return Number(n).toLocaleString('en-US');
}
