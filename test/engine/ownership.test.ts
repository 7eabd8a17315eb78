/**
 * One engine per database (issue #11, point 1), in one process: the lease in the database
 * (src-main/engine/db/owner-lease.ts) keeps the exclusion when the lock file beside it is
 * deleted, lets a newcomer in only once its holder is provably gone or long silent, and fences a
 * holder that was only silent: it stops before marking, handing over or recording anything more.
 * The same with real processes: test/reliability/two-engines.test.ts.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LEASE_STALE_MS, judgeLease, type LeaseRow } from '../../src-main/engine/db/owner-lease';
import { createEngine, type Engine } from '../../src-main/engine/engine';
import type { EngineOptions } from '../../src-main/engine/engine-open';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, drain, recipientsCsv, until } from '../support/test-engine';

let setup: TestSetup | undefined;
const engines: Engine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop().catch(() => undefined);
  await setup?.close();
  setup = undefined;
});

const QUICK_TIMEOUT = { connectionMs: 2000, socketMs: 400, idleMs: 60_000 };

/** Another engine on the test setup's folder and clock (as a second process would open it). */
async function another(s: TestSetup, options: Partial<EngineOptions> = {}): Promise<Engine> {
  const engine = await createEngine({ dataDir: s.dataDir, clock: s.clock, smtpTimeouts: QUICK_TIMEOUT, quickSendMs: 0, ...options });
  engines.push(engine);
  return engine;
}

async function queued(engine: Engine, n: number): Promise<number> {
  const { campaign } = await engine.campaigns.create({ name: 'c', subject: 's', text: 'Hello {{first_name}}', csv: recipientsCsv(n) });
  await engine.campaigns.queue({ id: campaign.id });
  return campaign.id;
}

const lockFile = (s: TestSetup) => join(s.dataDir, 'trickle.sqlite.owner');

describe('judgeLease: when a newcomer may take the lease', () => {
  const lease: LeaseRow = {
    id: 1,
    session: 's',
    pid: 42,
    host: 'h',
    lock_file: '1:100',
    taken_at: 0,
    heartbeat_at: 1_000,
    released_at: null,
  };
  it.each([
    ['no lease yet', undefined, '1:7', 1_000, { take: 'new' }],
    ['released by a clean stop', { ...lease, released_at: 900 }, '1:7', 1_000, { take: 'released' }],
    [
      'its lock was on the file the newcomer now holds: the kernel freed it, the holder is dead',
      lease,
      '1:100',
      1_000,
      { take: 'lock-released' },
    ],
    [
      'another lock file, heartbeat fresh: the holder may be running',
      lease,
      '1:7',
      31_000,
      { refuse: { waitMs: LEASE_STALE_MS - 30_000 } },
    ],
    ['another lock file, heartbeat stale: the holder is gone (or fenced off)', lease, '1:7', 1_000 + LEASE_STALE_MS, { take: 'stale' }],
    ['a heartbeat from the future (clock set back) is not stale', lease, '1:7', 0, { refuse: { waitMs: LEASE_STALE_MS } }],
  ] as const)('%s', (_what, row, file, now, verdict) => {
    expect(judgeLease(row, file, now, LEASE_STALE_MS)).toEqual(verdict);
  });
});

describe('one engine per database, in one process', () => {
  it('the lock file deleted while the owner runs: a second engine is still refused, and starts once the first stops', async () => {
    setup = await createTestEngine({ accounts: [TEST_ACCOUNTS[0]!] });
    await setup.engine.start();
    await queued(setup.engine, 3);
    rmSync(lockFile(setup));

    const second = await another(setup);
    await expect(second.start()).rejects.toMatchObject({
      code: 'already_running',
      message: `Trickle is already running on this data folder (process ${process.pid}), although its lock file (trickle.sqlite.owner) was removed. Close it first. If it is not running any more (it was killed, or the computer restarted), start Trickle again in 60 seconds.`,
    });
    await expect(second.runBatchNow()).rejects.toMatchObject({ code: 'already_running' });
    // The owner sends on, alone.
    expect(await drain(setup.engine)).toBe(1);
    expect(setup.gmail.accepted).toHaveLength(3);

    // A clean stop releases the lease: the next one may start at once, lock file or not.
    await setup.engine.stop();
    expect(await second.start()).toEqual({ inDoubt: 0, requeued: 0 });
  });

  it('a newcomer takes over from an owner silent longer than the lease allows; the old one is fenced off mid-batch: nothing twice, no cap passed', async () => {
    setup = await createTestEngine({ smtpTimeouts: QUICK_TIMEOUT, quickSendMs: 0 });
    const { gmail, clock } = setup;
    for (const a of TEST_ACCOUNTS.slice(0, 2)) await setup.addAccount(a, { dailyCap: 4, verify: false });
    const first = setup.engine;
    await first.start();
    const campaignId = await queued(first, 10);
    rmSync(lockFile(setup));

    // r2's data reaches the server, which does not answer: the first engine waits (as a frozen
    // one would). Meanwhile its lease goes stale, and a newcomer takes over and sends.
    gmail.fail({ stage: 'data', rcpt: 'r2@example.com', times: 1, fault: { stall: 'after-data' } });
    const firstBatch = first.runBatchNow().catch((error: unknown) => error);
    await until(() => gmail.receivedButUnacknowledged.length === 1, 'r2 to reach the server');
    const second = await another(setup);
    await expect(second.start()).rejects.toMatchObject({ code: 'already_running' });
    clock.advance(LEASE_STALE_MS);
    expect(await second.start()).toEqual({ inDoubt: 1, requeued: 6 });
    await drain(second);

    // The first wakes (its connection times out): it records nothing, sends nothing more, and says why.
    expect(await firstBatch).toMatchObject({
      code: 'already_running',
      message: expect.stringMatching(/^Another Trickle \(process \d+\) took over this data folder/),
    });
    await expect(first.runBatchNow()).rejects.toMatchObject({ code: 'already_running', message: expect.stringMatching(/took over/) });
    await expect(first.runRetryNow()).rejects.toMatchObject({ code: 'already_running' });

    // Each recipient reached once at most; the caps (4 + 4) hold, the in-doubt send counted.
    const delivered = [...gmail.accepted, ...gmail.receivedButUnacknowledged].map((m) => m.envelope.to[0]!);
    expect(delivered.sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'].map((r) => `${r}@example.com`).sort());
    for (const a of TEST_ACCOUNTS.slice(0, 2)) {
      expect([...gmail.accepted, ...gmail.receivedButUnacknowledged].filter((m) => m.account === a.email).length).toBeLessThanOrEqual(4);
    }
    const counts = (await second.campaigns.get({ id: campaignId })).counts;
    expect(counts).toMatchObject({ sent: 7, in_doubt: 1, queued: 2, sending: 0 });
  });

  it('the old owner hears of the takeover from its heartbeat, without a batch: it stops its jobs and says why', async () => {
    setup = await createTestEngine({ accounts: [TEST_ACCOUNTS[0]!] });
    await setup.engine.stop();
    const first = await another(setup, { ownerLease: { heartbeatMs: 5 } });
    await first.start();
    await queued(first, 2);
    rmSync(lockFile(setup));
    setup.clock.advance(LEASE_STALE_MS);
    const second = await another(setup);
    await second.start();

    // Its heartbeat (every 5 ms here) finds the lease taken.
    const deadline = Date.now() + 5_000;
    while (!/took over/.test((await first.sending.status()).waitingReason ?? '')) {
      if (Date.now() > deadline) throw new Error('the first engine never noticed the takeover');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await first.sending.status()).waitingReason).toMatch(/^Another Trickle \(process \d+\) took over this data folder/);
    await expect(first.runBatchNow()).rejects.toMatchObject({ code: 'already_running' });
    expect(setup.gmail.accepted).toHaveLength(0);
  });
});
