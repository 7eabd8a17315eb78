import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src-main/engine/core/clock';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, diskFlushed, recipientsCsv } from '../support/test-engine';

/**
 * The Croner jobs under fake timers: Croner, the engine's clock (the system clock) and the
 * pauses between messages all run on faked setTimeout and Date, so minutes pass in an instant.
 * A rehearsal keeps sockets out of it (messages are rendered and logged, not sent), which is
 * what a scheduling test needs.
 */

let setup: TestSetup | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await setup?.close();
  setup = undefined;
});

interface BatchRow {
  id: number;
  started_at: number;
  finished_at: number | null;
  claimed: number;
}

function batches(file: string): BatchRow[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('select id, started_at, finished_at, claimed from batches order by id').all() as BatchRow[];
  } finally {
    db.close();
  }
}

/**
 * Lets real I/O finish between fake-timer steps: the rehearsal's log file, and the disk flushes the
 * send path waits for (in the thread pool, on real time).
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (setup) await diskFlushed(setup.engine);
    await vi.advanceTimersByTimeAsync(0);
  }
}

async function runFor(seconds: number): Promise<void> {
  for (let s = 0; s < seconds; s++) {
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
  }
}

async function startScheduled(settings: { batchIntervalSeconds: number; messageDelayMs: number; batchSize?: number }, recipients = 200) {
  setup = await createTestEngine({ clock: systemClock, settings });
  await setup.addAccount(TEST_ACCOUNTS[0]!, { verify: false, dailyCap: 2000 });
  const { engine } = setup;
  const { campaign } = await engine.campaigns.create({
    name: 'c',
    subject: 's',
    text: 't',
    csv: recipientsCsv(recipients),
    rehearsal: true,
  });
  await engine.campaigns.queue({ id: campaign.id });
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    now: Date.parse('2026-11-23T09:00:00.500Z'),
  });
  await engine.start();
  return { engine, campaignId: campaign.id, file: setup.databaseFile };
}

describe('the batch job', () => {
  it('runs every 30 s by default with at most 10 messages and a 2 s pause between them', async () => {
    const { file } = await startScheduled({ batchIntervalSeconds: 30, messageDelayMs: 2000 });
    await runFor(95);
    const rows = batches(file);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.length).toBeLessThanOrEqual(4);
    for (const row of rows) expect(row.claimed).toBeLessThanOrEqual(10);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.started_at - rows[i - 1]!.started_at).toBeGreaterThanOrEqual(30_000);
      expect(rows[i]!.started_at - rows[i - 1]!.started_at).toBeLessThan(31_000);
    }
    // 10 messages with 2 s between them: about 18 s per batch.
    const first = rows[0]!;
    expect(first.finished_at! - first.started_at).toBeGreaterThanOrEqual(18_000);
  });

  it('never runs two batches at once, even when a batch outlasts the interval', async () => {
    const { file } = await startScheduled({ batchIntervalSeconds: 5, messageDelayMs: 2000 });
    await runFor(80);
    const rows = batches(file).filter((r) => r.finished_at !== null);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.started_at).toBeGreaterThanOrEqual(rows[i - 1]!.finished_at!);
  });

  it('takes a new interval at once, while running', async () => {
    const { engine, file } = await startScheduled({ batchIntervalSeconds: 30, messageDelayMs: 0 });
    await runFor(31);
    await engine.settings.update({ batchIntervalSeconds: 3 });
    const before = batches(file).length;
    await runFor(30);
    expect(batches(file).length - before).toBeGreaterThanOrEqual(9);
  });

  it('after the computer sleeps, resumes with one batch, not a burst of missed ones', async () => {
    const { file } = await startScheduled({ batchIntervalSeconds: 30, messageDelayMs: 0 });
    await runFor(31);
    const before = batches(file).length;
    // Sleep: the wall clock jumps 10 minutes (20 missed batch times) while no timer fires.
    vi.setSystemTime(Date.now() + 10 * 60_000);
    await runFor(30);
    expect(batches(file).length - before).toBe(1);
  });

  it('sends nothing while paused and carries on when resumed', async () => {
    const { engine, file } = await startScheduled({ batchIntervalSeconds: 10, messageDelayMs: 0 });
    await engine.sending.pause();
    await runFor(35);
    expect(batches(file)).toHaveLength(0);
    expect((await engine.sending.status()).nextBatchAt).toBeUndefined();
    await engine.sending.resume();
    await runFor(11);
    expect(batches(file).length).toBeGreaterThanOrEqual(1);
  });
});
