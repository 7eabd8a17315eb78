/**
 * Graceful quit (before-quit held until the engine has stopped; the message in hand finishes,
 * the rest of its batch goes back to the queue; a server that never answers cannot keep
 * Trickle from quitting) and the desktop notifications (campaign finished, account needs
 * attention — once per account until it is fixed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { accountNeedsAttention, bouncesPassed, campaignFinished, watchNotices } from '../../src-main/electron/notices';
import { createQuitGuard } from '../../src-main/electron/quit';
import { type Engine, createEngine } from '../../src-main/engine/engine';
import { EngineEventBus } from '../../src-main/engine/core/events';
import { type TestGmail, startTestGmail } from '../support/test-gmail';

const quietLog = { info() {}, error() {} };

describe('quit guard', () => {
  afterEach(() => vi.useRealTimers());

  it('holds the first quit, stops, then quits; lets the second through; ignores repeats meanwhile', async () => {
    let finishStop!: () => void;
    const stop = vi.fn(() => new Promise<void>((resolve) => (finishStop = resolve)));
    const quit = vi.fn();
    const exit = vi.fn();
    const guard = createQuitGuard({ stop, quit, exit, log: quietLog });
    expect(guard.quitting).toBe(false);

    const first = { preventDefault: vi.fn() };
    guard.beforeQuit(first);
    expect(first.preventDefault).toHaveBeenCalled();
    expect(guard.quitting).toBe(true);
    const repeat = { preventDefault: vi.fn() };
    guard.beforeQuit(repeat);
    expect(repeat.preventDefault).toHaveBeenCalled();
    expect(stop).toHaveBeenCalledTimes(1);
    expect(quit).not.toHaveBeenCalled();

    finishStop();
    await vi.waitFor(() => expect(quit).toHaveBeenCalledTimes(1));
    const last = { preventDefault: vi.fn() };
    guard.beforeQuit(last);
    expect(last.preventDefault).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
  });

  it('exits anyway when stopping takes longer than the limit', async () => {
    vi.useFakeTimers();
    const exit = vi.fn();
    const quit = vi.fn();
    const guard = createQuitGuard({ stop: () => new Promise(() => undefined), quit, exit, timeoutMs: 30_000, log: quietLog });
    guard.beforeQuit({ preventDefault() {} });
    await vi.advanceTimersByTimeAsync(29_000);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_500);
    expect(exit).toHaveBeenCalledWith(0);
    expect(quit).not.toHaveBeenCalled();
  });

  it('a failure while stopping still ends the process (exit code 1)', async () => {
    const exit = vi.fn();
    const guard = createQuitGuard({ stop: () => Promise.reject(new Error('disk gone')), quit: vi.fn(), exit, log: quietLog });
    guard.beforeQuit({ preventDefault() {} });
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(1));
  });
});

describe('quitting a real engine in the middle of a batch', () => {
  let dir: string;
  let gmail: TestGmail;
  let engine: Engine;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trickle-quit-'));
    gmail = await startTestGmail({ accounts: [{ email: 'club@gmail.test', appPassword: 'abcdefghijklmnop' }] });
    engine = await createEngine({ dataDir: dir, smtpTimeouts: { connectionMs: 3000, socketMs: 3000, idleMs: 60_000 } });
    await engine.settings.update({ batchSize: 5, messageDelayMs: 5_000 });
    await engine.accounts.add({
      email: 'club@gmail.test',
      appPassword: 'abcdefghijklmnop',
      host: gmail.host,
      port: gmail.port,
      security: 'none',
    });
    const { campaign } = await engine.campaigns.create({
      name: 'News',
      subject: 'Hi',
      text: 'Hello',
      recipients: Array.from({ length: 5 }, (_v, i) => ({ email: `r${i}@example.com` })),
    });
    await engine.campaigns.queue({ id: campaign.id });
  });
  afterEach(async () => {
    await gmail.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the message in hand finishes, the rest of the batch goes back to the queue, then Trickle quits', async () => {
    const batch = engine.runBatchNow();
    await vi.waitFor(() => expect(gmail.accepted).toHaveLength(1), { timeout: 5_000 });
    const quit = vi.fn();
    const guard = createQuitGuard({ stop: () => engine.stop(), quit, exit: vi.fn(), log: quietLog });
    const started = Date.now();
    guard.beforeQuit({ preventDefault() {} });
    await vi.waitFor(() => expect(quit).toHaveBeenCalled(), { timeout: 5_000 });
    // It did not sit out the 5-second pause between messages.
    expect(Date.now() - started).toBeLessThan(4_000);
    await batch;
    expect(gmail.accepted).toHaveLength(1);

    const reopened = await createEngine({ dataDir: dir });
    try {
      const status = await reopened.sending.status();
      expect(status.queued).toBe(4);
      expect(status.inFlight).toBe(0);
      const [campaign] = await reopened.campaigns.list();
      expect(campaign!.counts).toMatchObject({ sent: 1, queued: 4, in_doubt: 0, sending: 0 });
    } finally {
      await reopened.stop();
    }
  });

  it('a server that never answers cannot hold the quit: exit at the limit; that message is then in doubt, never re-sent unseen', async () => {
    gmail.fail({ stage: 'data', fault: { stall: 'after-data' } });
    const batch = engine.runBatchNow().catch(() => undefined);
    const reader = await createEngine({ dataDir: dir });
    try {
      const counts = async () => (await reader.campaigns.list())[0]!.counts;
      // Claimed (the batch holds them as `sending`), logged in, and the first message's data sent.
      await vi.waitFor(async () => expect((await counts()).sending).toBeGreaterThan(0), { timeout: 5_000 });
      // The batch's own login (the first was the check when the account was added).
      await vi.waitFor(() => expect(gmail.logins.filter((l) => l.ok)).toHaveLength(2), { timeout: 5_000 });
      await new Promise((r) => setTimeout(r, 300));
      const exit = vi.fn();
      const quit = vi.fn();
      const guard = createQuitGuard({ stop: () => engine.stop(), quit, exit, timeoutMs: 500, log: quietLog });
      guard.beforeQuit({ preventDefault() {} });
      await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0), { timeout: 5_000 });
      expect(quit).not.toHaveBeenCalled();
      // Had the process really ended here, the next start's recovery would find it `sending`
      // and mark it in doubt. In this test the engine lives on until its socket times out,
      // and reaches the same verdict itself.
      await batch;
      expect(await counts()).toMatchObject({ sent: 0, sending: 0, in_doubt: 1, queued: 4 });
    } finally {
      await reader.stop();
    }
  });
});

describe('notifications', () => {
  it('campaign finished: name and counts', () => {
    expect(campaignFinished('Spring fair', { sent: 1200, failed: 3, in_doubt: 1, expired: 0 })).toEqual({
      title: 'Campaign finished',
      body: '“Spring fair”: 1,200 sent, 3 failed, 1 in doubt.',
    });
    expect(campaignFinished('Quiz', { sent: 10, failed: 0, in_doubt: 0, expired: 2 }, 'Stopped at its end time.').body).toBe(
      '“Quiz”: 10 sent, 2 not sent in time. Stopped at its end time.',
    );
  });

  it('bounces past 5 %: how many, of how many, and what to do', () => {
    expect(bouncesPassed('Spring fair', 12, 200, 6)).toEqual({
      title: 'Many messages bounced',
      body: '“Spring fair”: 12 of 200 came back undelivered (6 %). Trickle will not write to those addresses again; check where the list came from before sending more — Gmail blocks accounts that send to many dead addresses.',
    });
    expect(campaignFinished('Fair', { sent: 190, failed: 0, in_doubt: 0, bounced: 10 }).body).toBe('“Fair”: 190 sent, 10 bounced.');
  });

  it('account needs attention: who and why, and what to do', () => {
    expect(accountNeedsAttention('club@gmail.com', 'Gmail refused the app password.')).toEqual({
      title: 'An account needs attention',
      body: 'club@gmail.com: Gmail refused the app password. Open Trickle to enter the app password again.',
    });
    expect(accountNeedsAttention(undefined, 'The saved app password can no longer be opened. Enter the app password again.').body).toBe(
      'A Gmail account: The saved app password can no longer be opened. Enter the app password again.',
    );
  });

  it('watches the engine: completed campaigns only; each account once until it is fixed', async () => {
    const events = new EngineEventBus();
    const shown: string[] = [];
    const stop = watchNotices(
      {
        events,
        campaigns: { get: async () => ({ name: 'Fair', counts: { sent: 5, failed: 0, in_doubt: 0, expired: 0 } }) as never },
        accounts: { list: async () => [{ id: 7, email: 'club@gmail.com' }] as never },
      },
      (n) => shown.push(`${n.title}: ${n.body}`),
    );
    events.emit('campaign', { campaignId: 1, status: 'queued' });
    events.emit('campaign', { campaignId: 1, status: 'sending' });
    events.emit('campaign', { campaignId: 1, status: 'completed' });
    events.emit('account', { accountId: 7, state: 'auth_failed', explanation: 'Gmail refused the app password.' });
    events.emit('account', { accountId: 7, state: 'auth_failed', explanation: 'Gmail refused the app password.' });
    events.emit('account', { accountId: 7, state: 'cooling' });
    await vi.waitFor(() => expect(shown).toHaveLength(2));
    events.emit('account', { accountId: 7, state: 'ok' });
    events.emit('account', { accountId: 7, state: 'auth_failed' });
    await vi.waitFor(() => expect(shown).toHaveLength(3));
    events.emit('bounces', { campaignId: 1, name: 'Fair', bounced: 2, out: 20, percent: 10 });
    await vi.waitFor(() => expect(shown).toHaveLength(4));
    expect(shown).toEqual([
      'Campaign finished: “Fair”: 5 sent.',
      'An account needs attention: club@gmail.com: Gmail refused the app password. Open Trickle to enter the app password again.',
      'An account needs attention: club@gmail.com: Gmail refused its app password. Open Trickle to enter the app password again.',
      expect.stringMatching(/^Many messages bounced: “Fair”: 2 of 20 came back undelivered \(10 %\)/),
    ]);
    stop();
    events.emit('campaign', { campaignId: 1, status: 'completed' });
    events.emit('bounces', { campaignId: 1, name: 'Fair', bounced: 3, out: 20, percent: 15 });
    await new Promise((r) => setTimeout(r, 20));
    expect(shown).toHaveLength(4);
  });

  it('a finished campaign on a real engine is named in the notice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trickle-notice-'));
    const engine = await createEngine({ dataDir: dir });
    try {
      const { campaign } = await engine.campaigns.create({
        name: 'Spring fair',
        subject: 'Hi',
        text: 'x',
        recipients: [{ email: 'a@example.com' }],
      });
      const shown: { title: string; body: string }[] = [];
      watchNotices(engine, (n) => shown.push(n));
      engine.events.emit('campaign', { campaignId: campaign.id, status: 'completed' });
      await vi.waitFor(() => expect(shown).toEqual([{ title: 'Campaign finished', body: '“Spring fair”: 0 sent.' }]));
    } finally {
      await engine.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
