/**
 * The forecast against the real thing (issue #13): for random small accounts and queues, the
 * finish time `campaigns.forecast` gives before Queue is compared with when the REAL scheduler
 * (Croner, the batch, the send journal, the test Gmail on loopback) sends the campaign's last
 * message. Croner, the engine's clock and the test Gmail's reply delays all run on fake timers,
 * so minutes pass in an instant; each account answers at its own pace, which the engine
 * measures from its sends. Some accounts start with their rolling window partly full, with
 * slots freeing minutes later. The forecast must be within 5 % of the run, or one batch
 * interval (the scheduler's own granularity).
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src-main/engine/core/clock';
import type { Engine } from '../../src-main/engine/engine';
import { type TestSetup, createTestEngine, diskFlushed } from '../support/test-engine';

const DAY = 24 * 3_600_000;
const T0 = Date.parse('2026-11-23T09:00:00.250Z');

let setup: TestSetup | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await setup?.close();
  setup = undefined;
});

/** Lets real I/O (the loopback SMTP sockets, the disk flushes) finish between fake-timer steps. */
async function settle(engine: Engine): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    await diskFlushed(engine);
    await vi.advanceTimersByTimeAsync(0);
  }
}

/** Moves fake time one timer at a time (a tick, a pause, a server's reply) until `done`. */
async function runUntil(engine: Engine, done: () => Promise<boolean>, what: string, limitMs = 3 * 3_600_000): Promise<void> {
  const start = Date.now();
  await settle(engine);
  while (!(await done())) {
    if (Date.now() - start > limitMs) throw new Error(`${what} did not happen within ${limitMs / 60_000} simulated minutes`);
    await vi.advanceTimersToNextTimerAsync();
    await settle(engine);
  }
}

/** Resolves `promise` while fake time moves (its sends wait on the server's delayed replies). */
async function whileRunning<T>(engine: Engine, promise: Promise<T>): Promise<T> {
  let settled = false;
  const result = promise.finally(() => (settled = true));
  await runUntil(engine, async () => settled, 'a test send');
  return result;
}

interface Scenario {
  accounts: { cap: number; replyDelayMs: number; alreadySent: number; freesAfterMs: number }[];
  batchSize: number;
  batchIntervalSeconds: number;
  messageDelayMs: number;
  /** A campaign queued before the forecast one (0: none). */
  ahead: number;
  recipients: number;
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    accounts: fc.array(
      fc.record({
        cap: fc.integer({ min: 3, max: 14 }),
        replyDelayMs: fc.integer({ min: 0, max: 350 }),
        alreadySent: fc.integer({ min: 0, max: 14 }),
        freesAfterMs: fc.integer({ min: 5_000, max: 240_000 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    batchSize: fc.integer({ min: 1, max: 6 }),
    batchIntervalSeconds: fc.integer({ min: 1, max: 8 }),
    messageDelayMs: fc.constantFrom(0, 250, 1000, 1500),
    ahead: fc.integer({ min: 0, max: 12 }),
    recipients: fc.integer({ min: 1, max: 30 }),
  })
  // Runs of minutes, not days: what the seeded windows free in minutes covers the queue.
  .filter((s) => s.ahead + s.recipients <= s.accounts.reduce((n, a) => n + a.cap, 0));

const errors: { error: number; tolerance: number; duration: number }[] = [];

async function runScenario(s: Scenario): Promise<void> {
  setup = await createTestEngine({
    clock: systemClock,
    settings: {
      batchSize: s.batchSize,
      batchIntervalSeconds: s.batchIntervalSeconds,
      messageDelayMs: s.messageDelayMs,
      retryIntervalSeconds: 3600,
    },
  });
  const { engine } = setup;
  const ids: number[] = [];
  for (const [i, a] of s.accounts.entries()) {
    ids.push(
      await setup.addAccount(
        { email: `a${i}@gmail.test`, appPassword: 'aaaabbbbccccdddd', replyDelayMs: a.replyDelayMs },
        { dailyCap: a.cap + 1 },
      ),
    );
  }
  const { campaign: probe } = await engine.campaigns.create({
    name: 'probe',
    subject: 's',
    text: 't',
    recipients: [{ email: 'me@example.org' }],
  });
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: T0 });

  // Each account sends once (a test send: it takes a slot, hence the cap + 1): its pace is measured.
  for (const id of ids) await whileRunning(engine, engine.campaigns.testSend({ id: probe.id, to: 'me@example.org', accountId: id }));
  const paces = (await engine.accounts.list()).map((a) => a.paceMs);
  for (const [i, a] of s.accounts.entries()) expect(paces[i]).toBe(3 * a.replyDelayMs); // MAIL, RCPT, end of data

  // Some accounts' rolling windows are partly full already, with slots freeing minutes from now.
  const db = new Database(setup.databaseFile);
  try {
    const insert = db.prepare("insert into send_log (account_email, kind, sent_at) values (?, 'test', ?)");
    for (const [i, a] of s.accounts.entries()) {
      for (let k = 0; k < Math.min(a.alreadySent, a.cap); k++)
        insert.run(`a${i}@gmail.test`, Date.now() - DAY + a.freesAfterMs + k * 7_000);
    }
  } finally {
    db.close();
  }

  const list = (name: string, n: number) => Array.from({ length: n }, (_, k) => ({ email: `${name}${k}@example.com` }));
  if (s.ahead > 0) {
    const { campaign } = await engine.campaigns.create({ name: 'ahead', subject: 's', text: 't', recipients: list('ahead', s.ahead) });
    await engine.campaigns.queue({ id: campaign.id });
  }
  const { campaign } = await engine.campaigns.create({ name: 'target', subject: 's', text: 't', recipients: list('r', s.recipients) });
  await engine.start();

  const forecast = await engine.campaigns.forecast({ id: campaign.id });
  expect(forecast.messages).toBe(s.recipients);
  expect(forecast.ahead.map((c) => c.left)).toEqual(s.ahead > 0 ? [s.ahead] : []);
  const queuedAt = Date.now();
  await engine.campaigns.queue({ id: campaign.id });
  await runUntil(engine, async () => (await engine.campaigns.get({ id: campaign.id })).status === 'completed', 'the campaign');

  const { items } = await engine.campaigns.messages({ id: campaign.id, limit: 1000 });
  expect(items.every((m) => m.status === 'sent')).toBe(true);
  const finished = Math.max(...items.map((m) => Date.parse(m.sentAt!)));
  const predicted = Date.parse(forecast.finishAt!);
  const duration = finished - queuedAt;
  const tolerance = Math.max(0.05 * duration, s.batchIntervalSeconds * 1000);
  errors.push({ error: Math.abs(predicted - finished), tolerance, duration });
  expect(
    Math.abs(predicted - finished),
    `forecast ${new Date(predicted).toISOString()}, run ${new Date(finished).toISOString()}`,
  ).toBeLessThanOrEqual(tolerance);

  await engine.stop();
  vi.useRealTimers();
  await setup.close();
  setup = undefined;
}

describe('the forecast before Queue, against a run of the real scheduler', () => {
  it('is within 5 % or one batch interval, for random accounts, paces, windows and queues', async () => {
    await fc.assert(fc.asyncProperty(scenario, runScenario), { numRuns: 15, endOnFailure: true });
    const worst = errors.reduce((w, e) => Math.max(w, e.error / e.tolerance), 0);
    const relative = errors.filter((e) => e.duration > 0).map((e) => e.error / e.duration);
    // Reported for the record (the issue asks for the measured error).
    console.info(
      `forecast vs run: ${errors.length} runs, worst error ${Math.max(...errors.map((e) => e.error))} ms, ` +
        `worst share of the tolerance ${(worst * 100).toFixed(0)} %, mean relative error ${((relative.reduce((a, b) => a + b, 0) / relative.length) * 100).toFixed(2)} %`,
    );
  }, 120_000);
});
