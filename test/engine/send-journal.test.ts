import { afterEach, describe, expect, it } from 'vitest';
import type { EngineContext } from '../../src-main/engine/context';
import type { Engine } from '../../src-main/engine/engine';
import { TEST_ACCOUNTS, type TestSetup, crash, createTestEngine, drain, recipientsCsv, until } from '../support/test-engine';
import { startTestGmail } from '../support/test-gmail';

/**
 * The send path's journal (send-journal.ts, SendJournal): start marks on disk before each handover,
 * outcomes recorded, and what running ahead costs after a crash when messages follow at once.
 * The disk flushes are replaced by ones the test lets go, to see what waits for them.
 */

let setup: TestSetup;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await setup?.close();
});

const QUICK_TIMEOUT = { connectionMs: 2000, socketMs: 400, idleMs: 60_000 };
/** Every loopback send counts as quick, however busy the machine: the marks run ahead. */
const RUN_AHEAD = { quickSendMs: 1000 };
/** No send counts as quick: each message is marked alone. */
const NEVER_AHEAD = { quickSendMs: 0 };

function ctxOf(engine: Engine): EngineContext {
  return engine.internals.ctx;
}

/** The engine's disk flushes, held until the test lets them go (each is still really done). */
function holdFlushes(engine: Engine) {
  const walSync = ctxOf(engine).walSync;
  const real = walSync.durable.bind(walSync);
  const waiting: (() => void)[] = [];
  let requested = 0;
  walSync.durable = () => {
    requested++;
    return new Promise<void>((resolve, reject) => waiting.push(() => real().then(resolve, reject)));
  };
  return {
    get requested() {
      return requested;
    },
    get waiting() {
      return waiting.length;
    },
    releaseAll() {
      for (const go of waiting.splice(0)) go();
    },
    /** Stops holding: every flush from now on goes through at once. */
    stop() {
      walSync.durable = real;
      this.releaseAll();
    },
  };
}

/** A few macrotask turns: long enough for a loopback send that was free to go. */
async function aWhile(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 2));
}

async function queuedCampaign(engine: Engine, n: number): Promise<number> {
  const { campaign } = await engine.campaigns.create({ name: 'c', subject: 'Hi {{first_name}}', text: 't', csv: recipientsCsv(n) });
  await engine.campaigns.queue({ id: campaign.id });
  return campaign.id;
}

async function statusCounts(engine: Engine, campaignId: number): Promise<Record<string, number>> {
  const { counts } = await engine.campaigns.get({ id: campaignId });
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

describe('the send path journal', () => {
  it('hands no message over before the flush that covers its start mark is done, also when running ahead', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1), ...RUN_AHEAD, settings: { messageDelayMs: 0, batchSize: 20 } });
    const { engine, gmail } = setup;
    const campaignId = await queuedCampaign(engine, 20);
    const flushes = holdFlushes(engine);

    const batch = engine.runBatchNow();
    let received = 0;
    // Step the flushes one at a time: after each release the server may get only the messages
    // whose marks that flush covered; while a flush is held, nothing new arrives.
    for (let step = 0; step < 40 && received < 20; step++) {
      await until(() => flushes.waiting > 0 || gmail.accepted.length === 20, 'the batch to wait for a flush');
      await aWhile();
      const before = gmail.accepted.length;
      await aWhile();
      expect(gmail.accepted.length, 'a message went out while the flush covering its mark was held').toBe(before);
      received = gmail.accepted.length;
      flushes.releaseAll();
    }
    flushes.stop();
    const summary = await batch;
    expect(summary).toMatchObject({ claimed: 20, sent: 20 });
    expect(gmail.accepted).toHaveLength(20);
    expect(await statusCounts(engine, campaignId)).toEqual({ sent: 20 });
  });

  it('records every sent message, with its own event, when the sends run ahead', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 2), ...RUN_AHEAD, settings: { messageDelayMs: 0, batchSize: 60 } });
    const { engine, gmail } = setup;
    const campaignId = await queuedCampaign(engine, 60);
    const events: { messageId: number; status: string; accountId: number | null }[] = [];
    engine.events.on('message', (e) => events.push(e));
    const walSync = ctxOf(engine).walSync;
    const durable = walSync.durable.bind(walSync);
    let flushes = 0;
    walSync.durable = () => {
      flushes++;
      return durable();
    };

    expect(await engine.runBatchNow()).toMatchObject({ claimed: 60, sent: 60 });
    expect(gmail.accepted).toHaveLength(60);
    expect(await statusCounts(engine, campaignId)).toEqual({ sent: 60 });
    expect(events).toHaveLength(60);
    expect(new Set(events.map((e) => e.messageId)).size).toBe(60);
    expect(events.every((e) => e.status === 'sent' && e.accountId !== null)).toBe(true);
    const messages = (await engine.campaigns.messages({ id: campaignId, status: 'sent' })).items;
    expect(messages.every((m) => m.attempts === 1 && m.sentAt !== undefined && m.accountId !== undefined)).toBe(true);
    // Running ahead, one flush covers the marks of four messages (plus the first message, marked
    // and recorded alone, and the end of the batch).
    expect(flushes).toBeLessThanOrEqual(60 / 4 + 4);
  });

  it('a crash while running ahead leaves the one in hand and at most five marked ahead in doubt; nothing lost, nothing sent twice', async () => {
    setup = await createTestEngine({
      ...RUN_AHEAD,
      accounts: TEST_ACCOUNTS.slice(0, 1),
      settings: { messageDelayMs: 0, batchSize: 40 },
      smtpTimeouts: QUICK_TIMEOUT,
    });
    const { engine: first, gmail } = setup;
    const campaignId = await queuedCampaign(first, 40);

    // r20's data reaches the server, which never answers: the app dies while waiting.
    gmail.fail({ stage: 'data', rcpt: 'r20@example.com', times: 1, fault: { stall: 'after-data' } });
    const dying = first.runBatchNow().catch((error: unknown) => error);
    await until(() => gmail.receivedButUnacknowledged.length === 1, 'r20 to reach the server');
    crash(first);

    const second = await setup.reopen();
    const { inDoubt, requeued } = await second.start();
    expect(inDoubt).toBeGreaterThanOrEqual(1);
    expect(inDoubt).toBeLessThanOrEqual(1 + 5);
    expect(inDoubt + requeued).toBe(40 - 19);
    const doubtful = (await second.campaigns.messages({ id: campaignId, status: 'in_doubt' })).items.map((m) => m.email);
    expect(doubtful).toContain('r20@example.com');
    // The ones in doubt are r20 and the few right after it, never one sent before.
    const order = (email: string) => Number(/^r(\d+)@/.exec(email)![1]);
    expect(Math.min(...doubtful.map(order))).toBe(20);
    expect(Math.max(...doubtful.map(order))).toBeLessThanOrEqual(25);

    await second.stop();
    await dying;
    // Every copy the server has is recorded as sent or in doubt; the rest were never sent.
    const third = await setup.reopen();
    const counts = await statusCounts(third, campaignId);
    expect(counts.sent).toBe(19);
    expect(counts.in_doubt).toBe(inDoubt);
    expect(counts.queued).toBe(requeued);
    expect(gmail.accepted.map((m) => m.envelope.to[0])).toEqual(Array.from({ length: 19 }, (_, i) => `r${i + 1}@example.com`));
  });

  it('against a distant server each message is marked alone: a crash leaves only the one in hand in doubt', async () => {
    // Replies 12 ms late: longer than a disk flush, as any real server is.
    const far = await startTestGmail({ replyDelayMs: 12 });
    setup = await createTestEngine({
      gmail: far,
      accounts: TEST_ACCOUNTS.slice(0, 1),
      settings: { messageDelayMs: 0, batchSize: 12 },
      smtpTimeouts: QUICK_TIMEOUT,
    });
    try {
      const { engine: first } = setup;
      const campaignId = await queuedCampaign(first, 12);
      far.fail({ stage: 'data', rcpt: 'r6@example.com', times: 1, fault: { stall: 'after-data' } });
      const dying = first.runBatchNow().catch((error: unknown) => error);
      await until(() => far.receivedButUnacknowledged.length === 1, 'r6 to reach the server');
      crash(first);

      const second = await setup.reopen();
      expect(await second.start()).toEqual({ inDoubt: 1, requeued: 6 });
      expect((await second.campaigns.messages({ id: campaignId, status: 'in_doubt' })).items.map((m) => m.email)).toEqual([
        'r6@example.com',
      ]);
      await second.stop();
      await dying;
    } finally {
      await far.close();
    }
  });

  // Issue 17: at Gmail's distance the flush of a start mark overlaps the envelope's round trips
  // (MAIL, RCPT, DATA) instead of being waited for before them; only the message data waits.
  it('against a distant server the envelope goes out while the start mark is flushed; the message data waits for the flush', async () => {
    const far = await startTestGmail({ replyDelayMs: 12 });
    setup = await createTestEngine({
      gmail: far,
      accounts: TEST_ACCOUNTS.slice(0, 1),
      ...NEVER_AHEAD,
      settings: { messageDelayMs: 0, batchSize: 3 },
      smtpTimeouts: QUICK_TIMEOUT,
    });
    try {
      const { engine } = setup;
      const campaignId = await queuedCampaign(engine, 3);
      const points: string[] = [];
      far.observe((e) => points.push(`${e.point} ${e.rcpts[0]}`));
      const flushes = holdFlushes(engine);
      cleanups.push(() => flushes.stop());

      const batch = engine.runBatchNow();
      for (const rcpt of ['r1@example.com', 'r2@example.com', 'r3@example.com']) {
        await until(() => points.includes(`rcpt ${rcpt}`), `the envelope to ${rcpt} to go out while its start mark is being flushed`);
        expect(flushes.waiting, `the flush of ${rcpt}'s start mark`).toBeGreaterThan(0);
        await aWhile();
        expect(points, `${rcpt}'s data went out before its start mark was on disk`).not.toContain(`data-chunk ${rcpt}`);
        flushes.releaseAll();
        await until(() => far.accepted.some((m) => m.envelope.to[0] === rcpt), `${rcpt} to be accepted`);
      }
      flushes.stop();
      expect(await batch).toMatchObject({ claimed: 3, sent: 3 });
      expect(await statusCounts(engine, campaignId)).toEqual({ sent: 3 });
    } finally {
      await far.close();
    }
  });

  // The same overlap when the flush fails: the data never leaves, and the message is known not
  // to have been handed over (back to the queue, not in doubt).
  it('against a distant server a failed flush of a start mark keeps the message data back; the message goes back to the queue', async () => {
    const far = await startTestGmail({ replyDelayMs: 12 });
    setup = await createTestEngine({
      gmail: far,
      accounts: TEST_ACCOUNTS.slice(0, 1),
      ...NEVER_AHEAD,
      settings: { messageDelayMs: 0, batchSize: 3 },
      smtpTimeouts: QUICK_TIMEOUT,
    });
    try {
      const { engine } = setup;
      const campaignId = await queuedCampaign(engine, 3);
      const walSync = ctxOf(engine).walSync;
      const real = walSync.durable.bind(walSync);
      let calls = 0;
      // The second flush (r2's start mark, with r1's outcome) fails.
      walSync.durable = () =>
        ++calls === 2 ? Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })) : real();

      await expect(engine.runBatchNow()).rejects.toThrow(/EIO/);
      expect(far.accepted.map((m) => m.envelope.to[0])).toEqual(['r1@example.com']);
      expect(far.receivedButUnacknowledged).toEqual([]);
      walSync.durable = real;
      await drain(engine);
      expect(await statusCounts(engine, campaignId)).toEqual({ sent: 3 });
      expect(far.accepted.map((m) => m.envelope.to[0])).toEqual(['r1@example.com', 'r2@example.com', 'r3@example.com']);
    } finally {
      await far.close();
    }
  });

  it('pausing while running ahead sends the marked-ahead messages back to the queue, not into doubt', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1), ...RUN_AHEAD, settings: { messageDelayMs: 0, batchSize: 30 } });
    const { engine, gmail } = setup;
    const campaignId = await queuedCampaign(engine, 30);
    gmail.onReceived((m) => {
      if (m.envelope.to[0] === 'r10@example.com') void engine.sending.pause();
    });

    const summary = await engine.runBatchNow();
    expect(summary).toMatchObject({ claimed: 30, sent: 10, requeued: 20, inDoubt: 0 });
    expect(await statusCounts(engine, campaignId)).toEqual({ sent: 10, queued: 20 });
    // No mark is left on a message that was never handed over.
    const marked = engine.internals.sqlite
      .prepare(`select count(*) as n from messages where status = 'queued' and send_started_at is not null`)
      .get() as { n: number };
    expect(marked.n).toBe(0);
  });

  it('a disk flush that fails stops the batch before the message it covers; nothing is sent twice or lost', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1), ...RUN_AHEAD, settings: { messageDelayMs: 0, batchSize: 20 } });
    const { engine, gmail } = setup;
    const campaignId = await queuedCampaign(engine, 20);
    const walSync = ctxOf(engine).walSync;
    const real = walSync.durable.bind(walSync);
    let calls = 0;
    walSync.durable = () =>
      ++calls === 4 ? Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })) : real();

    await expect(engine.runBatchNow()).rejects.toThrow(/EIO/);
    const reached = gmail.accepted.length;
    expect(reached).toBeGreaterThan(0);
    expect(reached).toBeLessThan(20);

    walSync.durable = real;
    await drain(engine);
    const counts = await statusCounts(engine, campaignId);
    // The batch cut short is settled: what went out is sent (or, if its outcome was not
    // recorded, in doubt); nothing else was handed over, and the rest went out once, later.
    expect((counts.sent ?? 0) + (counts.in_doubt ?? 0)).toBe(20);
    const delivered = gmail.accepted.map((m) => m.envelope.to[0]);
    expect(new Set(delivered).size).toBe(delivered.length);
    const sent = (await engine.campaigns.messages({ id: campaignId, status: 'sent' })).items.map((m) => m.email);
    const inDoubt = (await engine.campaigns.messages({ id: campaignId, status: 'in_doubt' })).items.map((m) => m.email);
    for (const email of sent) expect(delivered).toContain(email);
    for (const email of delivered) expect([...sent, ...inDoubt]).toContain(email);
    // Marks ahead of the failure were taken back: no message is in doubt that never left.
    for (const email of inDoubt) expect(delivered).toContain(email);
  });
});
