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
 *  - the old `dryRun` setting is removed.
 *
 * The list of message states moves from a CHECK constraint to a small table that a trigger
 * consults, so that a later state is one INSERT, not another rebuild of a big table. Changing a
 * CHECK needs that rebuild (SQLite cannot alter one): done here once, in this one transaction,
 * keeping every row, id, index, counter trigger and send-log link.
 */

const OLD_STATES = ['pending', 'queued', 'sending', 'sent', 'retry_wait', 'failed', 'in_doubt', 'skipped', 'cancelled', 'expired'];

const MESSAGE_COLUMNS = `
  id integer primary key autoincrement,
  campaign_id integer not null references campaigns (id) on delete cascade,
  row integer not null,
  email text not null,
  email_norm text not null,
  name text,
  fields text not null default '{}',
  status text not null,
  skip_reason text,
  attempts integer not null default 0,
  account_id integer references accounts (id) on delete set null,
  batch_id integer,
  message_id text,
  queued_at integer,
  send_started_at integer,
  sent_at integer,
  updated_at integer not null,
  error_code text,
  error_response text,
  error_explanation text`;

const COPIED = `id, campaign_id, row, email, email_norm, name, fields, status, skip_reason, attempts, account_id, batch_id,
  message_id, queued_at, send_started_at, sent_at, updated_at, error_code, error_response, error_explanation`;

export async function up(db: Kysely<any>): Promise<void> {
  const dryRunSetting = await sql<{ value: string }>`select value from settings where key = 'dryRun'`.execute(db);
  const dryRunWasOn = dryRunSetting.rows[0] !== undefined && JSON.parse(dryRunSetting.rows[0].value) === true;

  await db.schema.alterTable('campaigns').addColumn('rehearsal', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('batches').addColumn('rehearsed', 'integer', (c) => c.notNull().defaultTo(0)).execute();

  // What the old switch did, counted before the rows change.
  const affected = await sql<{ campaign_id: number; n: number; sent: number }>`
    select campaign_id, sum(dry_run) as n, count(*) as sent from messages
    where status = 'sent' group by campaign_id having sum(dry_run) > 0`.execute(db);

  await sql`create table message_statuses (status text primary key) without rowid`.execute(db);
  await sql`insert into message_statuses (status) select value from json_each(${JSON.stringify([...OLD_STATES, 'rehearsed'])})`.execute(db);

  await rebuildMessages(db, {
    columns: MESSAGE_COLUMNS,
    copy: `insert into messages_new (${COPIED})
      select ${COPIED.replace('status,', `case when status = 'sent' and dry_run = 1 then 'rehearsed' else status end,`)} from messages`,
  });
  await sql`
    create trigger messages_status_known_insert before insert on messages
    when new.status not in (select status from message_statuses) begin
      select raise(abort, 'unknown message status');
    end`.execute(db);
  await sql`
    create trigger messages_status_known_update before update of status on messages
    when new.status not in (select status from message_statuses) begin
      select raise(abort, 'unknown message status');
    end`.execute(db);

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
  await rebuildMessages(db, {
    columns: `${MESSAGE_COLUMNS.replace(
      'status text not null,',
      `status text not null check (status in (${OLD_STATES.map((s) => `'${s}'`).join(', ')})),`,
    )},
  dry_run integer not null default 0`,
    copy: `insert into messages_new (${COPIED}, dry_run)
      select ${COPIED.replace('status,', `case when status = 'rehearsed' then 'sent' else status end,`)},
        case when status = 'rehearsed' then 1 else 0 end from messages`,
  });
  await sql`drop table message_statuses`.execute(db);
  await db.schema.alterTable('batches').dropColumn('rehearsed').execute();
  await db.schema.alterTable('campaigns').dropColumn('rehearsal').execute();
}

/**
 * Rebuilds `messages` with new column definitions, keeping its rows, ids and autoincrement
 * counter, its indexes and counter triggers, and the send log's links to it. The drop of the
 * old table would set those links to null (its foreign key says so, and foreign keys cannot be
 * switched off inside a transaction), so they are kept aside and put back. Dropping a table
 * fires no trigger, so the per-campaign counts are recomputed from the rows at the end.
 */
async function rebuildMessages(db: Kysely<any>, { columns, copy }: { columns: string; copy: string }): Promise<void> {
  const sequence = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'messages'`.execute(db);
  await sql`create temp table send_log_links as select id, message_id from send_log where message_id is not null`.execute(db);
  await sql.raw(`create table messages_new (${columns})`).execute(db);
  await sql.raw(copy).execute(db);
  await sql`drop table messages`.execute(db);
  await sql`alter table messages_new rename to messages`.execute(db);
  await sql`update send_log set message_id = (select message_id from send_log_links l where l.id = send_log.id)
    where id in (select id from send_log_links)`.execute(db);
  await sql`drop table send_log_links`.execute(db);
  // Ids are never reused, even those of the last messages deleted before the rebuild.
  if (sequence.rows[0]) {
    const seq = sequence.rows[0].seq;
    await sql`update sqlite_sequence set seq = max(seq, ${seq}) where name = 'messages'`.execute(db);
    await sql`insert into sqlite_sequence (name, seq) select 'messages', ${seq} where not exists (select 1 from sqlite_sequence where name = 'messages')`.execute(db);
  }

  await db.schema.createIndex('messages_campaign_status').on('messages').columns(['campaign_id', 'status', 'id']).execute();
  await db.schema.createIndex('messages_status').on('messages').column('status').execute();
  await db.schema.createIndex('messages_campaign_order').on('messages').columns(['campaign_id', 'id']).execute();

  // The counter triggers of 0006, as they were.
  await sql`
    create trigger messages_count_insert after insert on messages begin
      insert into campaign_message_counts (campaign_id, status, n) values (new.campaign_id, new.status, 1)
        on conflict (campaign_id, status) do update set n = n + 1;
    end`.execute(db);
  await sql`
    create trigger messages_count_status after update of status on messages
    when old.status is not new.status begin
      update campaign_message_counts set n = n - 1 where campaign_id = old.campaign_id and status = old.status;
      insert into campaign_message_counts (campaign_id, status, n) values (new.campaign_id, new.status, 1)
        on conflict (campaign_id, status) do update set n = n + 1;
    end`.execute(db);
  await sql`
    create trigger messages_count_delete after delete on messages begin
      update campaign_message_counts set n = n - 1 where campaign_id = old.campaign_id and status = old.status;
    end`.execute(db);
  await sql`delete from campaign_message_counts`.execute(db);
  await sql`insert into campaign_message_counts (campaign_id, status, n)
    select campaign_id, status, count(*) from messages group by campaign_id, status`.execute(db);
}

function count(n: number | string): string {
  return Number(n).toLocaleString('en-US');
}
