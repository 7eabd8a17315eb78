import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { NO_MIGRATIONS } from 'kysely/migration';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../src-main/engine/db/migrate';
import { TrickleSqliteDialect } from '../src-main/engine/db/open-database';
import { migrations } from './index';

/** One test per migration: migrate to just before it, apply it alone, check what it promised. */

const open: Kysely<any>[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((db) => db.destroy()));
});

function freshDb(): { db: Kysely<any>; sqlite: BetterSqlite3.Database } {
  const sqlite = new BetterSqlite3(':memory:');
  sqlite.pragma('foreign_keys = ON');
  // The app's own dialect and runner (db/migrate.ts): each migration in one transaction.
  const db = new Kysely<any>({ dialect: new TrickleSqliteDialect({ database: sqlite }, () => sqlite.inTransaction) });
  open.push(db);
  return { db, sqlite };
}

async function migrateTo(db: Kysely<any>, name: string): Promise<void> {
  await migrate(db, name);
}

function columns(sqlite: BetterSqlite3.Database, table: string): string[] {
  return (sqlite.prepare(`pragma table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

const NOW = Date.UTC(2026, 10, 23);

describe('migrations', () => {
  it('are registered in sortable order', () => {
    const names = Object.keys(migrations);
    expect(names).toEqual([...names].sort());
    for (const name of names) expect(name).toMatch(/^\d{4}_[a-z0-9_]+$/);
  });

  it('0001_accounts: creates accounts with a unique address and bounded cap', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0001_accounts');
    expect(columns(sqlite, 'accounts')).toEqual(
      expect.arrayContaining(['email', 'email_norm', 'password_secret', 'daily_cap', 'state', 'state_until']),
    );
    const row = { email: 'Ann@x.com', email_norm: 'ann@x.com', password_secret: 'c', created_at: NOW };
    await db.insertInto('accounts').values(row).execute();
    await expect(db.insertInto('accounts').values(row).execute()).rejects.toThrow(/UNIQUE/);
    await expect(
      db
        .insertInto('accounts')
        .values({ ...row, email_norm: 'b@x.com', daily_cap: 2001 })
        .execute(),
    ).rejects.toThrow(/CHECK/);
    const stored = await db.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ host: 'smtp.gmail.com', port: 465, security: 'tls', daily_cap: 100, state: 'ok' });
  });

  it('0002_campaigns_and_messages: messages belong to a campaign and are indexed for the claim', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0002_campaigns_and_messages');
    const c = await db
      .insertInto('campaigns')
      .values({ name: 'n', subject: 's', created_at: NOW, updated_at: NOW })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('messages')
      .values({ campaign_id: c.id, row: 2, email: 'a@x.com', email_norm: 'a@x.com', status: 'pending', updated_at: NOW })
      .execute();
    await expect(
      db
        .insertInto('messages')
        .values({ campaign_id: c.id, row: 3, email: 'b', email_norm: 'b', status: 'lost', updated_at: NOW })
        .execute(),
    ).rejects.toThrow(/CHECK/);
    const indexes = (sqlite.prepare(`pragma index_list(messages)`).all() as { name: string }[]).map((i) => i.name);
    expect(indexes).toEqual(expect.arrayContaining(['messages_campaign_status', 'messages_status']));
    await db.deleteFrom('campaigns').execute();
    expect(await db.selectFrom('messages').selectAll().execute()).toEqual([]);
  });

  it('0003_send_log_and_batches: the send log is indexed by account and time', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0003_send_log_and_batches');
    await db.insertInto('send_log').values({ account_email: 'a@x.com', kind: 'campaign', sent_at: NOW }).execute();
    const plan = sqlite
      .prepare(`explain query plan select count(*) from send_log where account_email = ? and sent_at > ?`)
      .all('a@x.com', NOW - 1) as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING COVERING INDEX send_log_account_time/);
    await db.insertInto('batches').values({ started_at: NOW }).execute();
    expect(await db.selectFrom('batches').select(['claimed', 'sent']).executeTakeFirst()).toEqual({ claimed: 0, sent: 0 });
  });

  it('0004_suppressions_and_settings: one suppression per address, settings by key', async () => {
    const { db } = freshDb();
    await migrateTo(db, '0004_suppressions_and_settings');
    const row = { email_norm: 'a@x.com', email: 'A@x.com', reason: 'bounced', created_at: NOW };
    await db.insertInto('suppressions').values(row).execute();
    await expect(db.insertInto('suppressions').values(row).execute()).rejects.toThrow(/UNIQUE|PRIMARY/);
    await expect(
      db
        .insertInto('suppressions')
        .values({ ...row, email_norm: 'b@x.com', reason: 'disliked' })
        .execute(),
    ).rejects.toThrow(/CHECK/);
    await db.insertInto('settings').values({ key: 'batchSize', value: '10' }).execute();
    expect(await db.selectFrom('settings').selectAll().execute()).toEqual([{ key: 'batchSize', value: '10' }]);
  });

  it('0005_list_indexes: a campaign’s messages list in import order without a sort', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0005_list_indexes');
    const plan = (sql: string, ...args: unknown[]) =>
      (sqlite.prepare(`explain query plan ${sql}`).all(...args) as { detail: string }[]).map((p) => p.detail).join('\n');
    const list = plan('select * from messages where campaign_id = ? order by id limit 100 offset 100', 1);
    expect(list).toMatch(/USING INDEX messages_campaign_order/);
    expect(list).not.toMatch(/TEMP B-TREE/);
  });

  it('0006_counts_and_staged_imports: counts existing messages, then follows every insert, status change and delete; campaigns can be staged', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0005_list_indexes');
    const campaign = async () =>
      (
        await db
          .insertInto('campaigns')
          .values({ name: 'n', subject: 's', created_at: NOW, updated_at: NOW })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id as number;
    const [a, b] = [await campaign(), await campaign()];
    const message = (campaignId: number, n: number, status: string) => ({
      campaign_id: campaignId,
      row: n,
      email: `m${n}@x.com`,
      email_norm: `m${n}@x.com`,
      status,
      updated_at: NOW,
    });
    await db
      .insertInto('messages')
      .values([message(a, 1, 'queued'), message(a, 2, 'queued'), message(a, 3, 'sent')])
      .execute();
    const counts = (campaignId: number) =>
      Object.fromEntries(
        (
          sqlite
            .prepare('select status, n from campaign_message_counts where campaign_id = ? and n > 0 order by status')
            .all(campaignId) as { status: string; n: number }[]
        ).map((r) => [r.status, r.n]),
      );

    await migrateTo(db, '0006_counts_and_staged_imports');
    expect(counts(a)).toEqual({ queued: 2, sent: 1 }); // rows from before the migration
    expect(await db.selectFrom('campaigns').select('importing').execute()).toEqual([{ importing: 0 }, { importing: 0 }]);

    await db
      .insertInto('messages')
      .values([message(b, 4, 'pending'), message(b, 5, 'pending')])
      .execute();
    await db.updateTable('messages').set({ status: 'queued' }).where('campaign_id', '=', b).execute();
    await db.updateTable('messages').set({ status: 'sending' }).where('row', '=', 1).execute();
    await db
      .updateTable('messages')
      .set({ updated_at: NOW + 1 })
      .execute(); // no status change: no count change
    expect(counts(a)).toEqual({ queued: 1, sending: 1, sent: 1 });
    expect(counts(b)).toEqual({ queued: 2 });

    await db.deleteFrom('messages').where('row', '=', 3).execute();
    expect(counts(a)).toEqual({ queued: 1, sending: 1 });
    await db.deleteFrom('campaigns').where('id', '=', b).execute(); // cascades to messages and counts
    expect(counts(b)).toEqual({});
    expect(sqlite.prepare('select count(*) as n from campaign_message_counts where campaign_id = ?').get(b)).toEqual({ n: 0 });
  });

  it('0007_batch_cancelled: batches count cancelled messages, 0 for batches from before', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0006_counts_and_staged_imports');
    await db.insertInto('batches').values({ started_at: NOW, claimed: 3, sent: 3 }).execute();
    await migrateTo(db, '0007_batch_cancelled');
    expect(columns(sqlite, 'batches')).toContain('cancelled');
    expect(await db.selectFrom('batches').select(['claimed', 'sent', 'cancelled']).execute()).toEqual([
      { claimed: 3, sent: 3, cancelled: 0 },
    ]);
  });

  it('0008_attachment_store: campaigns name stored files in order; a file in use cannot be deleted; ids are never reused', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0007_batch_cancelled');
    const legacy = JSON.stringify([{ path: '/data/attachments/0a/agenda.txt', filename: 'agenda.txt' }]);
    const c = await db
      .insertInto('campaigns')
      .values({ name: 'n', subject: 's', attachments: legacy, created_at: NOW, updated_at: NOW })
      .returning('id')
      .executeTakeFirstOrThrow();
    await migrateTo(db, '0008_attachment_store');
    // The old list stays for the engine to import at start (it needs the files).
    expect((await db.selectFrom('campaigns').select('attachments').executeTakeFirstOrThrow()).attachments).toBe(legacy);

    const add = (filename: string, size: number) =>
      db.insertInto('attachments').values({ filename, size, created_at: NOW }).returning('id').executeTakeFirstOrThrow();
    const a = await add('agenda.txt', 6);
    const b = await add('minutes.pdf', 17);
    await db
      .insertInto('campaign_attachments')
      .values([
        { campaign_id: c.id, position: 0, attachment_id: b.id },
        { campaign_id: c.id, position: 1, attachment_id: a.id },
      ])
      .execute();
    const order = await db
      .selectFrom('campaign_attachments')
      .select('attachment_id')
      .where('campaign_id', '=', c.id)
      .orderBy('position')
      .execute();
    expect(order.map((r) => r.attachment_id)).toEqual([b.id, a.id]);
    await expect(
      db.insertInto('campaign_attachments').values({ campaign_id: c.id, position: 2, attachment_id: 999 }).execute(),
    ).rejects.toThrow(/FOREIGN KEY/);
    await expect(db.deleteFrom('attachments').where('id', '=', a.id).execute()).rejects.toThrow(/FOREIGN KEY/);
    await expect(add('', 1)).rejects.toThrow(/CHECK/);
    await expect(add('x', -1)).rejects.toThrow(/CHECK/);

    // A campaign's delete takes its links, not the files another campaign may send.
    await db.deleteFrom('campaigns').execute();
    expect(await db.selectFrom('campaign_attachments').selectAll().execute()).toEqual([]);
    expect((await db.selectFrom('attachments').select('id').execute()).length).toBe(2);
    // Once deleted, an id (a file's name in the store) is not handed out again.
    await db.deleteFrom('attachments').where('id', '=', b.id).execute();
    expect((await add('next.txt', 1)).id).toBe(b.id + 1);
    expect(columns(sqlite, 'attachments')).toEqual(['id', 'filename', 'size', 'created_at']);
  });

  it('0009_owner_lease: one row, the owner of the database; nothing else changes', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0008_attachment_store');
    await db.insertInto('batches').values({ started_at: NOW, claimed: 1, sent: 1 }).execute();
    await migrateTo(db, '0009_owner_lease');
    expect(columns(sqlite, 'owner_lease')).toEqual([
      'id',
      'session',
      'pid',
      'host',
      'lock_file',
      'taken_at',
      'heartbeat_at',
      'released_at',
    ]);
    const lease = { session: 's', pid: 1, host: 'h', lock_file: '1:2', taken_at: NOW, heartbeat_at: NOW };
    await db
      .insertInto('owner_lease')
      .values({ id: 1, ...lease })
      .execute();
    await expect(
      db
        .insertInto('owner_lease')
        .values({ id: 2, ...lease })
        .execute(),
    ).rejects.toThrow(/CHECK/);
    expect(await db.selectFrom('owner_lease').select(['id', 'released_at']).execute()).toEqual([{ id: 1, released_at: null }]);
    expect(await db.selectFrom('batches').select('sent').execute()).toEqual([{ sent: 1 }]);
  });

  it('0010_archive_and_import_delimiter: campaigns can be archived and remember their file’s separator', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0009_owner_lease');
    await db.insertInto('campaigns').values({ name: 'old', subject: 's', created_at: NOW, updated_at: NOW }).execute();
    await migrateTo(db, '0010_archive_and_import_delimiter');
    expect(columns(sqlite, 'campaigns')).toEqual(expect.arrayContaining(['archived_at', 'csv_delimiter']));
    expect(await db.selectFrom('campaigns').select(['archived_at', 'csv_delimiter']).execute()).toEqual([
      { archived_at: null, csv_delimiter: null },
    ]);
    for (const delimiter of [',', ';', '\t']) {
      await db
        .insertInto('campaigns')
        .values({ name: 'n', subject: 's', created_at: NOW, updated_at: NOW, csv_delimiter: delimiter })
        .execute();
    }
    await expect(
      db.insertInto('campaigns').values({ name: 'n', subject: 's', created_at: NOW, updated_at: NOW, csv_delimiter: '|' }).execute(),
    ).rejects.toThrow(/CHECK/);
  });

  it('0011_mailbox: messages may be bounced, keeping rows, ids, references, counters and indexes; accounts know their mailbox', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0010_archive_and_import_delimiter');
    await db
      .insertInto('accounts')
      .values({ email: 'a@gmail.com', email_norm: 'a@gmail.com', password_secret: 'c', created_at: NOW })
      .execute();
    await db
      .insertInto('accounts')
      .values({ email: 'b@club.example', email_norm: 'b@club.example', password_secret: 'c', host: 'mail.club.example', created_at: NOW })
      .execute();
    const { id: campaignId } = await db
      .insertInto('campaigns')
      .values({ name: 'n', subject: 's', created_at: NOW, updated_at: NOW })
      .returning('id')
      .executeTakeFirstOrThrow();
    const message = (n: number, status: string) => ({
      campaign_id: campaignId,
      row: n,
      email: `m${n}@x.com`,
      email_norm: `m${n}@x.com`,
      status,
      updated_at: NOW,
      message_id: `<id${n}>`,
    });
    await db
      .insertInto('messages')
      .values([message(1, 'sent'), message(2, 'queued'), message(3, 'in_doubt'), message(4, 'queued')])
      .execute();
    await db.deleteFrom('messages').where('row', '=', 4).execute(); // the highest id, gone: never given out again
    await db.insertInto('send_log').values({ account_email: 'a@gmail.com', message_id: 1, kind: 'campaign', sent_at: NOW }).execute();
    const indexesBefore = (
      sqlite.prepare(`select name from sqlite_master where tbl_name = 'messages' and type in ('index', 'trigger')`).all() as {
        name: string;
      }[]
    ).map((r) => r.name);

    await migrateTo(db, '0011_mailbox');
    expect(await db.selectFrom('messages').select(['id', 'status', 'message_id']).orderBy('id').execute()).toEqual([
      { id: 1, status: 'sent', message_id: '<id1>' },
      { id: 2, status: 'queued', message_id: '<id2>' },
      { id: 3, status: 'in_doubt', message_id: '<id3>' },
    ]);
    expect(await db.selectFrom('send_log').select('message_id').execute()).toEqual([{ message_id: 1 }]);
    const after = (
      sqlite.prepare(`select name from sqlite_master where tbl_name = 'messages' and type in ('index', 'trigger')`).all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    expect(after).toEqual(expect.arrayContaining([...indexesBefore, 'messages_replied', 'messages_went_out']));
    expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1);

    await db.updateTable('messages').set({ status: 'bounced', bounce_status: '5.1.1', bounced_at: NOW }).where('id', '=', 1).execute();
    await expect(db.updateTable('messages').set({ status: 'lost' }).where('id', '=', 2).execute()).rejects.toThrow(/CHECK/);
    const counts = sqlite.prepare('select status, n from campaign_message_counts where n > 0 order by status').all();
    expect(counts).toEqual([
      { status: 'bounced', n: 1 },
      { status: 'in_doubt', n: 1 },
      { status: 'queued', n: 1 },
    ]);
    const { id: next } = await db.insertInto('messages').values(message(5, 'pending')).returning('id').executeTakeFirstOrThrow();
    expect(next).toBe(5);
    // Deleting a message still lets go of its send-log row (the reference survived the rebuild).
    await db.deleteFrom('messages').where('id', '=', 1).execute();
    expect(await db.selectFrom('send_log').select('message_id').execute()).toEqual([{ message_id: null }]);

    expect(
      await db.selectFrom('accounts').select(['email', 'imap_host', 'imap_port', 'imap_security', 'watch_inbox']).orderBy('id').execute(),
    ).toEqual([
      { email: 'a@gmail.com', imap_host: 'imap.gmail.com', imap_port: 993, imap_security: 'tls', watch_inbox: 1 },
      { email: 'b@club.example', imap_host: null, imap_port: null, imap_security: null, watch_inbox: 1 },
    ]);
    const notice = { account_email: 'a@gmail.com', notice_key: 'k', kind: 'bounce', seen_at: NOW };
    await db.insertInto('inbox_notices').values(notice).execute();
    await expect(db.insertInto('inbox_notices').values(notice).execute()).rejects.toThrow(/UNIQUE/);
    expect(columns(sqlite, 'outside_sends')).toEqual(['id', 'account_email', 'mail_key', 'sent_at', 'recipients']);
  });

  it('0011_mailbox: rolled back, a bounced message is sent again, as it was', async () => {
    const { db } = freshDb();
    await migrateTo(db, '0011_mailbox');
    const { id } = await db
      .insertInto('campaigns')
      .values({ name: 'n', subject: 's', created_at: NOW, updated_at: NOW })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('messages')
      .values({ campaign_id: id, row: 1, email: 'a@x', email_norm: 'a@x', status: 'bounced', updated_at: NOW })
      .execute();
    await migrateTo(db, '0010_archive_and_import_delimiter');
    expect(await db.selectFrom('messages').select('status').execute()).toEqual([{ status: 'sent' }]);
  });

  it('0012_rehearsal: what the old app-wide dry run did is reported; rows, ids, links, counters and the mailbox columns kept', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0011_mailbox');
    await db.insertInto('accounts').values({ email: 'a@x.com', email_norm: 'a@x.com', password_secret: 'c', created_at: NOW }).execute();
    const campaign = async (status: string) =>
      (
        await db
          .insertInto('campaigns')
          .values({ name: status, subject: 's', status, created_at: NOW, updated_at: NOW })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id as number;
    // A real campaign that was waiting when dry run went on: 2 really sent, 2 "sent" by the dry run, 1 left.
    const real = await campaign('sending');
    // A rehearsal under the old switch: every message went to the log.
    const rehearsal = await campaign('completed');
    // A queued campaign nothing of which went out yet.
    const queued = await campaign('queued');
    let row = 0;
    const message = (campaignId: number, status: string, dryRun = 0) => ({
      campaign_id: campaignId,
      row: ++row,
      email: `m${row}@x.com`,
      email_norm: `m${row}@x.com`,
      status,
      account_id: 1,
      sent_at: status === 'sent' ? NOW + row : null,
      updated_at: NOW,
      dry_run: dryRun,
    });
    await db
      .insertInto('messages')
      .values([
        message(real, 'sent'),
        message(real, 'sent'),
        message(real, 'sent', 1),
        message(real, 'sent', 1),
        message(real, 'queued'),
        message(rehearsal, 'sent', 1),
        message(rehearsal, 'sent', 1),
        message(rehearsal, 'sent', 1),
        message(queued, 'queued'),
        message(queued, 'skipped'),
      ])
      .execute();
    // The last message is deleted: its id must not be given again.
    await db.insertInto('messages').values(message(queued, 'pending')).execute();
    await db.deleteFrom('messages').where('row', '=', row).execute();
    await db
      .insertInto('send_log')
      .values([
        { account_email: 'a@x.com', message_id: 1, kind: 'campaign', sent_at: NOW },
        { account_email: 'a@x.com', message_id: 2, kind: 'campaign', sent_at: NOW },
        { account_email: 'a@x.com', message_id: null, kind: 'test', sent_at: NOW },
      ])
      .execute();
    await db
      .insertInto('settings')
      .values([
        { key: 'dryRun', value: 'true' },
        { key: 'batchSize', value: '5' },
      ])
      .execute();

    await migrateTo(db, '0012_rehearsal');

    const statuses = (campaignId: number) =>
      db
        .selectFrom('messages')
        .select('status')
        .where('campaign_id', '=', campaignId)
        .orderBy('id')
        .execute()
        .then((r) => r.map((m) => m.status));
    expect(await statuses(real)).toEqual(['sent', 'sent', 'rehearsed', 'rehearsed', 'queued']);
    expect(await statuses(rehearsal)).toEqual(['rehearsed', 'rehearsed', 'rehearsed']);
    expect(await statuses(queued)).toEqual(['queued', 'skipped']);
    expect(columns(sqlite, 'messages')).not.toContain('dry_run');
    expect(columns(sqlite, 'campaigns')).toContain('rehearsal');
    expect(columns(sqlite, 'batches')).toContain('rehearsed');

    // Reported, in words, on each campaign the switch touched; open campaigns paused, since the switch was on.
    const campaigns = await db.selectFrom('campaigns').select(['id', 'status', 'status_detail', 'rehearsal']).orderBy('id').execute();
    expect(campaigns[0]).toMatchObject({ status: 'paused', rehearsal: 0 });
    expect(campaigns[0]!.status_detail).toMatch(/^2 of this campaign’s messages were never really sent/);
    expect(campaigns[0]!.status_detail).toMatch(/the other 2 really went out/);
    expect(campaigns[0]!.status_detail).toMatch(/Paused when Trickle was updated: dry run was on/);
    expect(campaigns[1]).toMatchObject({ status: 'completed', rehearsal: 0 });
    expect(campaigns[1]!.status_detail).toMatch(/3 messages were written to the log and never really sent/);
    expect(campaigns[2]).toMatchObject({ status: 'paused' });
    expect(campaigns[2]!.status_detail).toMatch(/^Paused when Trickle was updated/);
    expect(await db.selectFrom('settings').selectAll().execute()).toEqual([{ key: 'batchSize', value: '5' }]);

    // The rebuild kept the send log's links, the counters, the indexes and the id sequence.
    expect(await db.selectFrom('send_log').select('message_id').orderBy('id').execute()).toEqual([
      { message_id: 1 },
      { message_id: 2 },
      { message_id: null },
    ]);
    const counts = sqlite
      .prepare('select campaign_id, status, n from campaign_message_counts where n > 0 order by campaign_id, status')
      .all();
    expect(counts).toEqual([
      { campaign_id: real, status: 'queued', n: 1 },
      { campaign_id: real, status: 'rehearsed', n: 2 },
      { campaign_id: real, status: 'sent', n: 2 },
      { campaign_id: rehearsal, status: 'rehearsed', n: 3 },
      { campaign_id: queued, status: 'queued', n: 1 },
      { campaign_id: queued, status: 'skipped', n: 1 },
    ]);
    const indexes = (sqlite.prepare(`pragma index_list(messages)`).all() as { name: string }[]).map((i) => i.name);
    expect(indexes).toEqual(expect.arrayContaining(['messages_campaign_status', 'messages_status', 'messages_campaign_order']));
    const next = await db
      .insertInto('messages')
      .values({ ...message(queued, 'pending'), dry_run: undefined })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(next.id).toBe(12);
    await db.updateTable('messages').set({ status: 'queued' }).where('id', '=', next.id).execute();
    expect(sqlite.prepare('select n from campaign_message_counts where campaign_id = ? and status = ?').get(queued, 'queued')).toEqual({
      n: 2,
    });

    // The states are still checked; the mailbox's state and columns are still there.
    await expect(db.updateTable('messages').set({ status: 'lost' }).where('id', '=', 1).execute()).rejects.toThrow(/CHECK/);
    await expect(
      db
        .insertInto('messages')
        .values({ ...message(queued, 'lost'), dry_run: undefined })
        .execute(),
    ).rejects.toThrow(/CHECK/);
    await db.updateTable('messages').set({ status: 'bounced', bounced_at: NOW }).where('id', '=', 2).execute();
    expect(columns(sqlite, 'messages')).toEqual(expect.arrayContaining(['bounce_status', 'replied_at', 'settled_how']));
    expect(indexes).toEqual(expect.arrayContaining(['messages_went_out', 'messages_replied']));
    // Deleting a campaign still deletes its messages; the send log keeps its rows, unlinked.
    await db.deleteFrom('campaigns').where('id', '=', real).execute();
    expect(await statuses(real)).toEqual([]);
    expect(await db.selectFrom('send_log').select('message_id').orderBy('id').execute()).toEqual([
      { message_id: null },
      { message_id: null },
      { message_id: null },
    ]);
  });

  it('0012_rehearsal: with dry run off, open campaigns carry on and only what happened is reported', async () => {
    const { db } = freshDb();
    await migrateTo(db, '0011_mailbox');
    const { id } = await db
      .insertInto('campaigns')
      .values({ name: 'n', subject: 's', status: 'sending', created_at: NOW, updated_at: NOW })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('messages')
      .values([
        { campaign_id: id, row: 2, email: 'a@x.com', email_norm: 'a@x.com', status: 'sent', dry_run: 1, updated_at: NOW },
        { campaign_id: id, row: 3, email: 'b@x.com', email_norm: 'b@x.com', status: 'queued', dry_run: 0, updated_at: NOW },
      ])
      .execute();
    await db.insertInto('settings').values({ key: 'dryRun', value: 'false' }).execute();
    await migrateTo(db, '0012_rehearsal');
    const row = await db.selectFrom('campaigns').select(['status', 'status_detail']).executeTakeFirstOrThrow();
    expect(row.status).toBe('sending');
    expect(row.status_detail).toMatch(/^Under the old app-wide dry run, 1 message was written to the log and never really sent/);
    expect(row.status_detail).not.toMatch(/Paused/);
    expect(await db.selectFrom('settings').selectAll().execute()).toEqual([]);
  });

  it('0013_account_checks_and_pace: an account that has sent counts as checked; pace unknown', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0012_rehearsal');
    const account = (email: string) =>
      db
        .insertInto('accounts')
        .values({ email, email_norm: email, password_secret: 'c', created_at: NOW })
        .returning('id')
        .executeTakeFirstOrThrow();
    const sender = await account('a@x.com');
    const rehearser = await account('b@x.com');
    await account('c@x.com');
    const { id } = await db
      .insertInto('campaigns')
      .values({ name: 'n', subject: 's', created_at: NOW, updated_at: NOW })
      .returning('id')
      .executeTakeFirstOrThrow();
    const message = (n: number, accountId: number, status: string, sentAt: number | null) => ({
      campaign_id: id,
      row: n,
      email: `m${n}@x.com`,
      email_norm: `m${n}@x.com`,
      status,
      account_id: accountId,
      sent_at: sentAt,
      updated_at: NOW,
    });
    await db
      .insertInto('messages')
      .values([message(1, sender.id, 'sent', NOW + 5), message(2, sender.id, 'sent', NOW + 9), message(3, rehearser.id, 'rehearsed', NOW)])
      .execute();
    await migrateTo(db, '0013_account_checks_and_pace');
    expect(columns(sqlite, 'accounts')).toEqual(expect.arrayContaining(['verified_at', 'pace_ms']));
    expect(await db.selectFrom('accounts').select(['email', 'verified_at', 'pace_ms']).orderBy('id').execute()).toEqual([
      { email: 'a@x.com', verified_at: NOW + 9, pace_ms: null },
      { email: 'b@x.com', verified_at: null, pace_ms: null },
      { email: 'c@x.com', verified_at: null, pace_ms: null },
    ]);
  });

  it("0014_drafts_stored_ready_to_send: a draft's pending recipients become queued with a Message-ID; other campaigns are untouched", async () => {
    const { db } = freshDb();
    await migrateTo(db, '0013_account_checks_and_pace');
    const campaign = (status: string, queueSeq: number | null) =>
      db
        .insertInto('campaigns')
        .values({ name: status, subject: 's', status, queue_seq: queueSeq, created_at: NOW, updated_at: NOW })
        .returning('id')
        .executeTakeFirstOrThrow();
    const draft = await campaign('draft', null);
    const paused = await campaign('paused', 1);
    const message = (campaignId: number, row: number, status: string, messageId: string | null = null) =>
      db
        .insertInto('messages')
        .values({
          campaign_id: campaignId,
          row,
          email: `r${row}@x.com`,
          email_norm: `r${row}@x.com`,
          status,
          message_id: messageId,
          updated_at: NOW,
        })
        .execute();
    await message(draft.id, 2, 'pending');
    await message(draft.id, 3, 'pending');
    await message(draft.id, 4, 'skipped');
    // A draft an earlier version had begun to queue keeps the Message-ID it was given.
    await message(draft.id, 5, 'queued', '<kept@x.trickle.invalid>');
    await message(paused.id, 2, 'queued', '<p@x.trickle.invalid>');

    await migrateTo(db, '0014_drafts_stored_ready_to_send');
    const rows = await db.selectFrom('messages').select(['campaign_id', 'row', 'status', 'message_id']).orderBy('id').execute();
    expect(rows.map((r) => [r.campaign_id, r.row, r.status])).toEqual([
      [draft.id, 2, 'queued'],
      [draft.id, 3, 'queued'],
      [draft.id, 4, 'skipped'],
      [draft.id, 5, 'queued'],
      [paused.id, 2, 'queued'],
    ]);
    const firstId = (await db.selectFrom('messages').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
    expect(rows[0]!.message_id).toMatch(new RegExp(`^<[0-9a-f]{24}\\.${firstId}@[0-9a-f]{8}\\.trickle\\.invalid>$`));
    expect(rows[1]!.message_id).not.toBe(rows[0]!.message_id);
    expect(rows[2]!.message_id).toBeNull();
    expect(rows[3]!.message_id).toBe('<kept@x.trickle.invalid>');
    expect(rows[4]!.message_id).toBe('<p@x.trickle.invalid>');
    // The per-campaign counters follow (their trigger).
    const counts = await db
      .selectFrom('campaign_message_counts')
      .select(['status', 'n'])
      .where('campaign_id', '=', draft.id)
      .orderBy('status')
      .execute();
    expect(counts.filter((c) => c.n > 0)).toEqual([
      { status: 'queued', n: 3 },
      { status: 'skipped', n: 1 },
    ]);
  });

  it('0015_status_index_for_the_few: only sending and retry_wait messages are indexed by status, and those lookups use it', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0015_status_index_for_the_few');
    const c = await db
      .insertInto('campaigns')
      .values({ name: 'c', subject: 's', created_at: NOW, updated_at: NOW })
      .returning('id')
      .executeTakeFirstOrThrow();
    const statuses = ['queued', 'queued', 'sending', 'retry_wait', 'sent', 'skipped'];
    await db
      .insertInto('messages')
      .values(
        statuses.map((status, i) => ({
          campaign_id: c.id,
          row: i + 2,
          email: `r${i}@x.com`,
          email_norm: `r${i}@x.com`,
          status,
          updated_at: NOW,
        })),
      )
      .execute();
    const indexed = sqlite
      .prepare(
        `select status from messages indexed by messages_unsettled where status = 'sending' or status = 'retry_wait' order by status`,
      )
      .all();
    expect(indexed).toEqual([{ status: 'retry_wait' }, { status: 'sending' }]);
    // As the engine asks (a bound status): an index search, not a scan of every message.
    for (const status of ['sending', 'retry_wait']) {
      const plan = (sqlite.prepare('explain query plan select id from messages where status = ?').all(status) as { detail: string }[])
        .map((r) => r.detail)
        .join('; ');
      expect(plan).toMatch(/USING (COVERING )?INDEX messages_unsettled/);
    }
    expect(sqlite.prepare(`select name from sqlite_master where name = 'messages_status'`).all()).toEqual([]);
  });

  it('0016_fields_with_blanks: campaigns note their blank merge fields; older ones are unknown (null)', async () => {
    const { db, sqlite } = freshDb();
    await migrateTo(db, '0015_status_index_for_the_few');
    await db.insertInto('campaigns').values({ name: 'old', subject: 's', created_at: NOW, updated_at: NOW }).execute();
    await migrateTo(db, '0016_fields_with_blanks');
    expect(columns(sqlite, 'campaigns')).toContain('fields_with_blanks');
    expect((await db.selectFrom('campaigns').select('fields_with_blanks').executeTakeFirstOrThrow()).fields_with_blanks).toBeNull();
  });

  it('every migration can be rolled back, leaving no table behind', async () => {
    const { db, sqlite } = freshDb();
    await migrate(db);
    await migrate(db, NO_MIGRATIONS);
    const tables = (
      sqlite.prepare(`select name from sqlite_master where type = 'table' and name not like 'kysely_%'`).all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    expect(tables.filter((t) => t !== 'sqlite_sequence')).toEqual([]);
  });

  describe('the runner (src-main/engine/db/migrate.ts)', () => {
    const tables = (sqlite: BetterSqlite3.Database) =>
      (
        sqlite
          .prepare(`select name from sqlite_master where type = 'table' and name not like 'kysely_%' and name != 'sqlite_sequence'`)
          .all() as { name: string }[]
      ).map((t) => t.name);
    const recorded = async (db: Kysely<any>) => (await db.selectFrom('kysely_migration').select('name').execute()).map((r) => r.name);

    it('applies a migration and the row that records it in one transaction: one that fails half-way leaves neither', async () => {
      const { db, sqlite } = freshDb();
      const own = {
        '0001_one': { up: async (d: Kysely<any>) => void (await d.schema.createTable('one').addColumn('id', 'integer').execute()) },
        '0002_half': {
          up: async (d: Kysely<any>) => {
            await d.schema.createTable('half').addColumn('id', 'integer').execute();
            await sql`insert into nowhere values (1)`.execute(d);
          },
        },
      };
      await expect(migrate(db, undefined, own)).rejects.toThrow(/Database migration 0002_half failed/);
      expect(tables(sqlite)).toEqual(['one']);
      expect(await recorded(db)).toEqual(['0001_one']);
    });

    it('refuses a migration that leaves a broken reference, with foreign keys on again afterwards', async () => {
      const { db, sqlite } = freshDb();
      const own = {
        '0001_parent': {
          up: async (d: Kysely<any>) => {
            await sql`create table parent (id integer primary key)`.execute(d);
            await sql`create table child (id integer primary key, parent_id integer references parent (id))`.execute(d);
            await sql`insert into parent values (1)`.execute(d);
            await sql`insert into child values (1, 1)`.execute(d);
          },
        },
        // A rebuild that forgets a row: with foreign keys off during the migration, only the check can tell.
        '0002_lossy_rebuild': {
          up: async (d: Kysely<any>) => {
            await sql`create table parent_new (id integer primary key)`.execute(d);
            await sql`drop table parent`.execute(d);
            await sql`alter table parent_new rename to parent`.execute(d);
          },
        },
      };
      await expect(migrate(db, undefined, own)).rejects.toThrow(/0002_lossy_rebuild: 1 broken references/);
      expect(await recorded(db)).toEqual(['0001_parent']);
      expect(sqlite.prepare('select count(*) as n from parent').get()).toEqual({ n: 1 });
      expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    });
  });
});
