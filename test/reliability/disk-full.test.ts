import { existsSync, statSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineLogger } from '../../src-main/engine/context';
import type { Engine } from '../../src-main/engine/engine';
import { mountSmallDisk, type SmallDisk, smallDiskAvailable } from '../support/small-disk';
import { createTestEngine, drain, recipientsCsv, type TestSetup, TEST_ACCOUNTS } from '../support/test-engine';

/**
 * A disk that really fills up (a small tmpfs; see small-disk.ts): SQLite meets ENOSPC as on a
 * full laptop disk, and may roll a whole transaction back by itself. Attack findings #11.6 and
 * #11.7: the answer was "internal" and the log said "cannot rollback - no transaction is active".
 */

let setup: TestSetup | undefined;
let disk: SmallDisk | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
  disk?.unmount();
  disk = undefined;
});

function recordingLogger() {
  const lines: string[] = [];
  const logger: EngineLogger = {
    info: (m, d) => lines.push(`info ${m} ${JSON.stringify(d ?? {})}`),
    warn: (m, d) => lines.push(`warn ${m} ${JSON.stringify(d ?? {})}`),
    error: (m, d) => lines.push(`error ${m} ${JSON.stringify(d ?? {})}`),
  };
  return { lines, logger };
}

async function queued(engine: Engine, n: number): Promise<number> {
  const { campaign } = await engine.campaigns.create({
    name: 'Members',
    subject: 'Hi {{first_name}}',
    text: 'Hello',
    csv: recipientsCsv(n),
  });
  await engine.campaigns.queue({ id: campaign.id });
  return campaign.id;
}

function sqliteOf(engine: Engine): BetterSqlite3.Database {
  return (engine as unknown as { database: { sqlite: BetterSqlite3.Database } }).database.sqlite;
}

function count(engine: Engine, sql: string): number {
  return (sqliteOf(engine).prepare(sql).get() as { n: number }).n;
}

function walBytes(databaseFile: string): number {
  return existsSync(`${databaseFile}-wal`) ? statSync(`${databaseFile}-wal`).size : 0;
}

/** Runs batches until one fails (the disk is full) or `max` ran; returns the failure. */
async function batchUntilFailure(engine: Engine, max = 50): Promise<unknown> {
  for (let i = 0; i < max; i++) {
    try {
      if (!(await engine.runBatchNow())) return undefined;
    } catch (error) {
      return error;
    }
  }
  return undefined;
}

describe.skipIf(!smallDiskAvailable)('a disk that fills up for real', () => {
  it('while sending: the status names the full disk, the log says it once, sending resumes by itself once there is room', async () => {
    disk = mountSmallDisk(16);
    const { lines, logger } = recordingLogger();
    setup = await createTestEngine({ under: disk.dir, logger, accounts: TEST_ACCOUNTS.slice(0, 1), settings: { batchSize: 5 } });
    const { engine, gmail } = setup;
    const campaignId = await queued(engine, 60);
    await engine.start(); // takes the owner lock, as the app does
    disk.fill();

    const failure = await batchUntilFailure(engine);
    expect(failure).toMatchObject({ code: 'storage_full', message: expect.stringMatching(/the disk is full/) });
    const status = await engine.sending.status();
    expect(status.waitingReason).toMatch(/^The disk is full: Trickle stopped sending.*Free some disk space; sending resumes by itself\.$/);
    // The scheduler's job: the first failure is reported, the same one again at the next ticks is not.
    const batchJob = () => (engine as unknown as { jobs: { batchJob(): Promise<void> } }).jobs.batchJob();
    await expect(batchJob()).resolves.toBeUndefined();
    await expect(batchJob()).resolves.toBeUndefined();
    expect(lines.join('\n')).not.toMatch(/cannot rollback/);

    disk.release();
    await drain(engine);
    expect((await engine.sending.status()).waitingReason).toBeUndefined();
    const delivered = gmail.accepted.map((m) => m.envelope.to[0]);
    expect(new Set(delivered).size).toBe(delivered.length);
    // Nothing lost, nothing twice: every message went out once, or waits in doubt for the user.
    const campaign = await engine.campaigns.get({ id: campaignId });
    expect(campaign.counts.sent + campaign.counts.in_doubt).toBe(60);
    for (const m of (await engine.campaigns.messages({ id: campaignId, status: 'sent', limit: 100 })).items)
      expect(delivered).toContain(m.email);
    expect(lines.join('\n')).toMatch(/batches run again/);
  });

  it('an import the disk has no room for is refused before anything is written', async () => {
    disk = mountSmallDisk(24);
    setup = await createTestEngine({ under: disk.dir });
    const { engine } = setup;
    disk.fill(4 * 1024 * 1024);
    await expect(engine.campaigns.create({ name: 'Big', subject: 's', text: 't', csv: recipientsCsv(100_000) })).rejects.toMatchObject({
      code: 'storage_full',
      message: expect.stringMatching(
        /^There is not enough free disk space for this list: storing it takes about \d+ MB, and the disk has [34] MB free\. Nothing was changed\./,
      ),
    });
    expect(count(engine, 'select count(*) as n from campaigns')).toBe(0);
    // A list that fits is taken.
    const { report } = await engine.campaigns.create({ name: 'Small', subject: 's', text: 't', csv: recipientsCsv(200) });
    expect(report.imported).toBe(200);
  });

  it('a disk that fills up during an import: storage_full in words, and the part stored is removed once there is room', async () => {
    disk = mountSmallDisk(48);
    const { lines, logger } = recordingLogger();
    setup = await createTestEngine({ under: disk.dir, logger, accounts: TEST_ACCOUNTS.slice(0, 1) });
    const { engine, gmail, databaseFile } = setup;
    await engine.start();

    // Another program fills the disk once the import has stored its first rows.
    const fillOnceStoring = (async () => {
      while (count(engine, 'select count(*) as n from messages') === 0) await nextTurn();
      disk!.fill();
    })();
    await expect(engine.campaigns.create({ name: 'Members', subject: 's', text: 't', csv: recipientsCsv(100_000) })).rejects.toMatchObject({
      code: 'storage_full',
      message: expect.stringMatching(/the disk is full .*Nothing was changed\. Free some disk space, then try again\./),
    });
    await fillOnceStoring;
    expect(lines.join('\n')).not.toMatch(/cannot rollback/);
    expect(await engine.campaigns.list()).toEqual([]);

    // On a disk that is full to the last byte even deleting the rows stored does not fit in the log:
    // the campaign stays hidden, and the retry job removes it once there is room again, giving the
    // log's space back too.
    disk.release();
    await engine.runRetryNow();
    expect(count(engine, 'select count(*) as n from campaigns')).toBe(0);
    expect(count(engine, 'select count(*) as n from messages')).toBe(0);
    expect(walBytes(databaseFile)).toBeLessThan(1024 * 1024);

    // And Trickle works as before: a list imports, queues and goes out.
    const campaignId = await queued(engine, 20);
    await drain(engine);
    expect((await engine.campaigns.get({ id: campaignId })).counts.sent).toBe(20);
    expect(gmail.accepted).toHaveLength(20);
  });

  it('a hidden import left by a crash on a full disk is removed at the next start once there is room', async () => {
    disk = mountSmallDisk(48);
    setup = await createTestEngine({ under: disk.dir });
    const first = setup.engine;
    const fillOnceStoring = (async () => {
      while (count(first, 'select count(*) as n from messages') === 0) await nextTurn();
      disk!.fill();
    })();
    await expect(first.campaigns.create({ name: 'Members', subject: 's', text: 't', csv: recipientsCsv(100_000) })).rejects.toMatchObject({
      code: 'storage_full',
    });
    await fillOnceStoring;
    // As if its removal had failed too (or the app had died): the hidden campaign is still there.
    const hidden = sqliteOf(first).prepare(
      `insert into campaigns (name, subject, text, created_at, updated_at, importing) values ('half', 's', 't', 0, 0, 1)`,
    );
    disk.release();
    hidden.run();
    await first.stop();

    const second = await setup.reopen();
    await second.start();
    expect(count(second, 'select count(*) as n from campaigns')).toBe(0);
    expect(count(second, 'select count(*) as n from messages')).toBe(0);
  });

  // Before issue 17 queueing rewrote every message and a full disk stopped it half-way (it said
  // so, and the draft was put back). Now the messages are stored ready to send at the import and
  // queueing writes one row of the campaign: a full disk (its log has room for that) no longer
  // stops it, and there is nothing half-done to put back.
  it('queueing on a full disk changes no message: it goes through whole, and the counts say so', async () => {
    disk = mountSmallDisk(32);
    const { lines, logger } = recordingLogger();
    setup = await createTestEngine({ under: disk.dir, logger, accounts: TEST_ACCOUNTS.slice(0, 1) });
    const { engine } = setup;
    await engine.start();
    const { campaign } = await engine.campaigns.create({
      name: 'Members',
      subject: 'Hi {{first_name}}',
      text: 'Hello',
      csv: recipientsCsv(30_000),
    });
    disk.fill();
    expect((await engine.campaigns.queue({ id: campaign.id })).message).toBe('Queued 30,000 emails');
    expect(lines.join('\n')).not.toMatch(/cannot rollback/);
    expect((await engine.campaigns.get({ id: campaign.id })).counts).toMatchObject({ pending: 0, queued: 30_000 });
    expect((await engine.sending.status()).queued).toBe(30_000);
    disk.release();
  });
});
