import { closeSync, openSync, writeSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src-main/engine/engine';
import { createTestEngine, recipientsCsv, type TestSetup, TEST_ACCOUNTS } from '../support/test-engine';

/**
 * Attack finding #11.6/7: every storage failure gets its own code and sentence at every point
 * (import, queue, send), and the sending status names it. Disk full is in disk-full.test.ts.
 */

let setup: TestSetup | undefined;
const others: BetterSqlite3.Database[] = [];
afterEach(async () => {
  for (const o of others.splice(0)) o.close();
  await setup?.close();
  setup = undefined;
});

function sqliteOf(engine: Engine): BetterSqlite3.Database {
  return (engine as unknown as { database: { sqlite: BetterSqlite3.Database } }).database.sqlite;
}

const content = { subject: 'Hi {{first_name}}', text: 'Hello' };

/** A queued campaign (sending) and a draft (to queue), both with `n` recipients. */
async function twoCampaigns(n: number) {
  setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1), settings: { batchSize: 5 } });
  const { engine } = setup;
  const { campaign: sending } = await engine.campaigns.create({ name: 'Sending', ...content, csv: recipientsCsv(n) });
  await engine.campaigns.queue({ id: sending.id });
  const { campaign: draft } = await engine.campaigns.create({ name: 'Draft', ...content, csv: recipientsCsv(n, 'example.org') });
  return { engine, sendingId: sending.id, draftId: draft.id };
}

/** At every point a user meets the database: import, queue, a batch (and the sending status). */
async function expectEverywhere(engine: Engine, draftId: number, code: string, saving: RegExp, sending: RegExp) {
  await expect(engine.campaigns.create({ name: 'New', ...content, csv: recipientsCsv(3, 'example.net') })).rejects.toMatchObject({
    code,
    message: expect.stringMatching(saving),
  });
  await expect(engine.campaigns.queue({ id: draftId })).rejects.toMatchObject({ code, message: expect.stringMatching(saving) });
  await expect(engine.runBatchNow()).rejects.toMatchObject({ code });
  expect((await engine.sending.status()).waitingReason).toMatch(sending);
}

describe('storage failures in words, at every point', () => {
  it('a database that cannot be written: storage_read_only; sending resumes once it can', async () => {
    const { engine, sendingId, draftId } = await twoCampaigns(20);
    sqliteOf(engine).pragma('query_only = ON'); // SQLite refuses every write: SQLITE_READONLY
    await expectEverywhere(
      engine,
      draftId,
      'storage_read_only',
      /^Trickle could not save this: its database cannot be written .*Nothing was changed\. Make the data folder writable again, then try again\.$/,
      /^Trickle stopped sending: its database cannot be written .*Make the data folder writable again; sending resumes by itself\.$/,
    );
    sqliteOf(engine).pragma('query_only = OFF');
    while (await engine.runBatchNow());
    expect((await engine.sending.status()).waitingReason).toBeUndefined();
    expect((await engine.campaigns.get({ id: sendingId })).counts.sent).toBe(20);
    expect((await engine.campaigns.list()).map((c) => c.name).sort()).toEqual(['Draft', 'Sending']);
  });

  it('a database held by another program: storage_busy at import and queue too', async () => {
    const { engine, draftId } = await twoCampaigns(20);
    sqliteOf(engine).pragma('busy_timeout = 100');
    const other = new BetterSqlite3(setup!.databaseFile);
    others.push(other);
    other.exec('begin immediate');
    await expectEverywhere(
      engine,
      draftId,
      'storage_busy',
      /^Trickle could not save this: another program is holding its database\. Nothing was changed\./,
      /^Sending waits: another program is holding its database.*sending resumes by itself\.$/,
    );
    other.exec('rollback');
  });

  it('a database file damaged under the running app: storage_damaged, and sending says so', async () => {
    const { engine, draftId } = await twoCampaigns(3000);
    const sqlite = sqliteOf(engine);
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const pages = (sqlite.prepare(`select pageno from dbstat where name = 'messages'`).all() as { pageno: number }[]).map((p) => p.pageno);
    const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
    expect(pages.length).toBeGreaterThan(10);
    // A disk or another program spoils the messages table's pages in the file.
    const fd = openSync(setup!.databaseFile, 'r+');
    for (const page of pages) writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (page - 1) * pageSize);
    closeSync(fd);
    // Another connection's write makes the app's connection drop the pages it holds in memory.
    const other = new BetterSqlite3(setup!.databaseFile);
    others.push(other);
    other.exec(`insert into settings (key, value) values ('poke', '1')`);

    await expectEverywhere(
      engine,
      draftId,
      'storage_damaged',
      /^Trickle could not read or save this: its database file is damaged\. Nothing was changed\. Quit Trickle, keep a copy of the data folder, and restore it from a backup\.$/,
      /^Trickle stopped sending: its database file is damaged\. Quit Trickle/,
    );
  });
});
