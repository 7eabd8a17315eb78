/**
 * Rolling backups of the database (issue #11, point 8): taken with SQLite's online backup at
 * start and then daily (the engine's clock), the last 7 kept, private, each a whole database on
 * its own; never holding the event loop; a stop abandons one cleanly. Restoring: the newest
 * *good* one (test/reliability/damaged-database.test.ts has the refusals that offer it).
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../../src-main/engine/core/clock';
import { BACKUPS_KEPT, listBackups } from '../../src-main/engine/db/backups';
import { restoreFromBackup } from '../../src-main/engine/engine-restore';
import { overwritePageOf } from '../support/damage';
import { type TestSetup, createTestEngine, recipientsCsv, until } from '../support/test-engine';

let setup: TestSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

const backupFiles = (dataDir: string) => readdirSync(join(dataDir, 'backups')).sort();

function campaignsIn(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('select count(*) as n from campaigns').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('rolling backups', () => {
  it('one at start: private, a whole database on its own, holding what the database held', async () => {
    setup = await createTestEngine();
    const { engine, dataDir, clock } = setup;
    await engine.campaigns.create({ name: 'Members', subject: 's', text: 't', csv: recipientsCsv(3) });
    await engine.start();
    await until(() => listBackups(dataDir).length === 1, 'the start-up backup');

    expect(backupFiles(dataDir)).toEqual(['trickle-20261123T090000Z.sqlite']);
    const [backup] = listBackups(dataDir);
    expect(backup!.takenAt).toBe(clock.now());
    expect(statSync(join(dataDir, 'backups')).mode & 0o777).toBe(0o700);
    expect(statSync(backup!.file).mode & 0o777).toBe(0o600);
    // No -wal or -shm beside it: it is one file, which can be copied or opened alone.
    const copy = new Database(backup!.file, { readonly: true });
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
    copy.close();
    expect(campaignsIn(backup!.file)).toBe(1);
  });

  it("daily, by the engine's clock: not again the same day; the last 7 kept", async () => {
    setup = await createTestEngine({ settings: { batchIntervalSeconds: 86_400, retryIntervalSeconds: 86_400 } });
    const { engine, dataDir, clock } = setup;
    await engine.start();
    await until(() => listBackups(dataDir).length === 1, 'the start-up backup');
    clock.advance(23 * HOUR);
    expect(await engine.backupIfDue()).toBeUndefined();

    for (let day = 1; day <= 9; day++) {
      clock.set(Date.parse('2026-11-23T09:00:00Z') + day * DAY);
      await engine.campaigns.create({ name: `Day ${day}`, subject: 's', text: 't', csv: recipientsCsv(1) });
      expect(await engine.backupIfDue()).toMatchObject({ takenAt: clock.now() });
    }
    const kept = listBackups(dataDir);
    expect(kept).toHaveLength(BACKUPS_KEPT);
    expect(kept.map((b) => new Date(b.takenAt).toISOString().slice(0, 10))).toEqual([
      '2026-12-02',
      '2026-12-01',
      '2026-11-30',
      '2026-11-29',
      '2026-11-28',
      '2026-11-27',
      '2026-11-26',
    ]);
    expect(campaignsIn(kept[0]!.file)).toBe(9);
    expect(campaignsIn(kept[6]!.file)).toBe(3);
  });

  it('a big database is copied a step at a time: the event loop turns meanwhile', async () => {
    setup = await createTestEngine();
    const { engine } = setup;
    await engine.campaigns.create({ name: 'Big', subject: 's', text: 't', csv: recipientsCsv(60_000) });
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const backup = await engine.backupIfDue();
    counting = false;
    expect(backup).toBeDefined();
    const pages = Math.ceil(statSync(setup.databaseFile).size / 4096);
    expect(pages).toBeGreaterThan(4 * 256);
    // 256 pages a step: the loop got a turn between steps.
    expect(turns).toBeGreaterThanOrEqual(Math.floor(pages / 256) - 1);
  });

  it('a stop in the middle abandons it: nothing half-written is left, or listed', async () => {
    setup = await createTestEngine();
    const { engine, dataDir } = setup;
    await engine.campaigns.create({ name: 'Big', subject: 's', text: 't', csv: recipientsCsv(40_000) });
    const running = engine.backupIfDue().catch((error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));
    await engine.stop();
    expect(await running).toMatchObject({ message: expect.stringMatching(/stopping: the backup was abandoned/) });
    expect(readdirSync(join(dataDir, 'backups'))).toEqual([]);
  });

  it('restoring takes the newest backup that is sound, skipping a damaged one', async () => {
    setup = await createTestEngine({ settings: { batchIntervalSeconds: 86_400, retryIntervalSeconds: 86_400 } });
    const { engine, dataDir, clock, databaseFile } = setup;
    await engine.campaigns.create({ name: 'One', subject: 's', text: 't', csv: recipientsCsv(1) });
    await engine.backupIfDue();
    clock.advance(DAY);
    await engine.campaigns.create({ name: 'Two', subject: 's', text: 't', csv: recipientsCsv(1) });
    const newest = await engine.backupIfDue();
    await engine.stop();
    overwritePageOf(newest!.file, 'campaigns');
    writeFileSync(databaseFile, '');

    const report = await restoreFromBackup({ dataDir, clock });
    expect(report.takenAt).toBe('2026-11-23T09:00:00.000Z');
    expect(campaignsIn(databaseFile)).toBe(1);
    expect(existsSync(newest!.file)).toBe(true); // the damaged backup is left as it is
  });
});
