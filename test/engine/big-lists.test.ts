import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src-main/engine/engine';
import { type TestSetup, createTestEngine, recipientsCsv } from '../support/test-engine';

/**
 * A big list is stored in many small transactions while the app keeps answering; what makes
 * it all-or-nothing is that the campaign stays hidden until the last row is in, and is
 * removed when the import fails or the app dies first.
 */

let setup: TestSetup;
afterEach(async () => setup?.close());

function sqliteOf(engine: Engine): BetterSqlite3.Database {
  return engine.internals.sqlite;
}

function countRows(file: string, sql: string): number {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('big lists: importing, queueing, cancelling', () => {
  it('keeps the app answering, and shows the campaign only once every row is stored', async () => {
    setup = await createTestEngine();
    const { engine } = setup;
    const creating = engine.campaigns.create({ name: 'big', subject: 'Hi {{first_name}}', text: 't', csv: recipientsCsv(60_000) });
    let done = false;
    void creating.then(() => (done = true));

    let answeredDuringImport = 0;
    while (!done) {
      // As a window or HTTP request would: from the event loop, not in one chain of promises.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const [list, status] = await Promise.all([engine.campaigns.list(), engine.sending.status()]);
      if (done) break;
      answeredDuringImport++;
      expect(list).toEqual([]); // never half a list
      expect(status.queued).toBe(0);
    }
    const { campaign, report } = await creating;
    expect(answeredDuringImport).toBeGreaterThan(1);
    expect(report.imported).toBe(60_000);
    expect(campaign.total).toBe(60_000);
    expect((await engine.campaigns.list()).map((c) => c.id)).toEqual([campaign.id]);

    const queued = await engine.campaigns.queue({ id: campaign.id });
    expect(queued.message).toBe('Queued 60,000 emails');
    const stored = await engine.campaigns.get({ id: campaign.id });
    expect(stored.counts).toMatchObject({ queued: 60_000, pending: 0 });
    expect(countRows(setup.databaseFile, `select count(distinct message_id) as n from messages where status = 'queued'`)).toBe(60_000);
  });

  it('removes everything it stored when the disk fills up part-way, and says so', async () => {
    setup = await createTestEngine();
    const { engine } = setup;
    const sqlite = sqliteOf(engine);
    const pages = sqlite.pragma('page_count', { simple: true }) as number;
    // Room for roughly a third of the list.
    sqlite.pragma(`max_page_count = ${pages + 400}`);

    await expect(engine.campaigns.create({ name: 'too big', subject: 's', text: 't', csv: recipientsCsv(30_000) })).rejects.toMatchObject({
      code: 'storage_full',
      message: expect.stringMatching(/disk is full.*Nothing was changed/),
    });
    expect(await engine.campaigns.list()).toEqual([]);
    expect(countRows(setup.databaseFile, 'select count(*) as n from messages')).toBe(0);
    expect(countRows(setup.databaseFile, 'select count(*) as n from campaigns')).toBe(0);
    expect(countRows(setup.databaseFile, 'select coalesce(sum(n), 0) as n from campaign_message_counts')).toBe(0);

    // With room again, the same import goes through whole.
    sqlite.pragma('max_page_count = 1073741823');
    const { campaign } = await engine.campaigns.create({ name: 'fits', subject: 's', text: 't', csv: recipientsCsv(30_000) });
    expect(campaign.total).toBe(30_000);
  });

  it('after a crash, an import cut short is removed; a draft is left as it was imported and queues whole', async () => {
    setup = await createTestEngine();
    const first = setup.engine;
    const { campaign: draft } = await first.campaigns.create({ name: 'draft', subject: 's', text: 't', csv: recipientsCsv(50) });
    await first.stop();

    // What a crash in the middle of another import leaves behind: a hidden campaign with some of its rows.
    const db = new BetterSqlite3(setup.databaseFile);
    const staged = db
      .prepare(`insert into campaigns (name, subject, text, created_at, updated_at, importing) values ('half', 's', 't', 0, 0, 1)`)
      .run().lastInsertRowid;
    const insert = db.prepare(
      `insert into messages (campaign_id, row, email, email_norm, fields, status, updated_at) values (?, ?, ?, ?, '{}', 'queued', 0)`,
    );
    for (let i = 2; i < 300; i++) insert.run(staged, i, `h${i}@example.com`, `h${i}@example.com`);
    db.close();

    const second = await setup.reopen();
    await second.start();
    expect((await second.campaigns.list()).map((c) => c.name)).toEqual(['draft']);
    expect((await second.campaigns.get({ id: draft.id })).counts).toMatchObject({ pending: 50, queued: 0 });
    expect(countRows(setup.databaseFile, 'select count(*) as n from messages')).toBe(50);
    expect((await second.sending.status()).queued).toBe(0);
    expect((await second.campaigns.queue({ id: draft.id })).queued).toBe(50);
    expect((await second.campaigns.get({ id: draft.id })).counts).toMatchObject({ pending: 0, queued: 50 });
  });

  // Issue 17: queueing used to rewrite every message (status, Message-ID): as long as the import
  // itself for a big list. The recipients are stored ready to send; queueing touches none.
  it('queueing a draft changes no message; its recipients show as pending until then, with their Message-IDs after', async () => {
    setup = await createTestEngine();
    const { engine, clock } = setup;
    const { campaign } = await engine.campaigns.create({ name: 'c', subject: 'Hi {{first_name}}', text: 't', csv: recipientsCsv(3_000) });
    const draftView = await engine.campaigns.messages({ id: campaign.id, status: 'pending', limit: 500 });
    expect(draftView.total).toBe(3_000);
    expect(draftView.items.every((m) => m.status === 'pending' && m.messageId === undefined)).toBe(true);
    expect((await engine.campaigns.messages({ id: campaign.id, status: 'queued' })).items).toEqual([]);
    const before = engine.internals.sqlite.prepare('select id, status, message_id, updated_at from messages order by id').all();

    clock.advance(60_000);
    expect((await engine.campaigns.queue({ id: campaign.id })).queued).toBe(3_000);
    const after = engine.internals.sqlite.prepare('select id, status, message_id, updated_at from messages order by id').all();
    expect(after).toEqual(before);
    const queuedView = await engine.campaigns.messages({ id: campaign.id, status: 'queued', limit: 500 });
    expect(queuedView.total).toBe(3_000);
    // Each Message-ID carries its message's row id, as the mailbox reader matches them (core/message-ids.ts).
    expect(
      queuedView.items.every(
        (m) =>
          m.status === 'queued' &&
          m.messageId === m.messageId?.replace(/\.\d+@/, `.${m.id}@`) &&
          /^<[0-9a-f]{24}\.\d+@[0-9a-f]{8}\.trickle\.invalid>$/.test(m.messageId ?? ''),
      ),
    ).toBe(true);
    expect(new Set(queuedView.items.map((m) => m.messageId)).size).toBe(500);
  });

  it('cancelling a big campaign keeps the app answering; a cancel cut short by a crash is finished at the next start', async () => {
    setup = await createTestEngine();
    const first = setup.engine;
    const { campaign } = await first.campaigns.create({ name: 'big', subject: 's', text: 't', csv: recipientsCsv(60_000) });
    await first.campaigns.queue({ id: campaign.id });

    const cancelling = first.campaigns.cancel({ id: campaign.id });
    let done = false;
    void cancelling.then(() => (done = true));
    let answered = 0;
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const status = await first.sending.status();
      if (done) break;
      answered++;
      expect(status.queued).toBeLessThanOrEqual(60_000);
    }
    expect(answered).toBeGreaterThan(1);
    expect((await cancelling).counts).toMatchObject({ cancelled: 60_000, queued: 0 });
    expect(await first.runBatchNow()).toBeUndefined();

    // A second campaign whose cancel the app died in: cancelled, but some messages still queued.
    const { campaign: other } = await first.campaigns.create({ name: 'other', subject: 's', text: 't', csv: recipientsCsv(30) });
    await first.campaigns.queue({ id: other.id });
    await first.stop();
    const db = new BetterSqlite3(setup.databaseFile);
    db.prepare(`update campaigns set status = 'cancelled' where id = ?`).run(other.id);
    db.prepare(`update messages set status = 'cancelled' where campaign_id = ? and row <= 11`).run(other.id);
    db.close();

    const second = await setup.reopen();
    await second.start();
    expect((await second.campaigns.get({ id: other.id })).counts).toMatchObject({ cancelled: 30, queued: 0 });
    expect(await second.runBatchNow()).toBeUndefined();
  });

  it('retrying 30,000 failed messages keeps the app answering and reopens the campaign once', async () => {
    setup = await createTestEngine();
    const { engine } = setup;
    const { campaign } = await engine.campaigns.create({ name: 'big', subject: 's', text: 't', csv: recipientsCsv(30_000) });
    await engine.campaigns.queue({ id: campaign.id });
    await engine.stop();
    // As if every send had failed for good (say the content was refused), and the campaign completed.
    const db = new BetterSqlite3(setup.databaseFile);
    db.prepare(`update messages set status = 'failed', attempts = 3, error_code = '550' where campaign_id = ?`).run(campaign.id);
    db.prepare(`update campaigns set status = 'completed', completed_at = 1 where id = ?`).run(campaign.id);
    db.close();

    const second = await setup.reopen();
    const retrying = second.campaigns.retryFailed({ id: campaign.id });
    let done = false;
    void retrying.then(() => (done = true));
    let answered = 0;
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await second.sending.status();
      if (!done) answered++;
    }
    expect(answered).toBeGreaterThan(1);
    expect(await retrying).toEqual({ requeued: 30_000 });
    const reopened = await second.campaigns.get({ id: campaign.id });
    expect(reopened.status).toBe('queued');
    expect(reopened.counts).toMatchObject({ queued: 30_000, failed: 0 });
    // Nothing left to retry: nothing changes, the campaign is not touched.
    const before = (await second.campaigns.get({ id: campaign.id })).status;
    expect(await second.campaigns.retryFailed({ id: campaign.id })).toEqual({ requeued: 0 });
    expect((await second.campaigns.get({ id: campaign.id })).status).toBe(before);
  });
});
