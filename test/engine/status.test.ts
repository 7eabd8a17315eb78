/**
 * The status line's one truth (issue #13): one snapshot — state, counts, every campaign's
 * progress, sent in 24 h, capacity, next batch, why and until when it waits, the ETA — read in
 * one transaction, which the top bar, the Progress and campaign pages and the tray all show.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SendingStatus } from '../../src-shared/views/sending';
import { trayStatusOf, trayView } from '../../src-main/electron/tray-state';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, drain, recipientsCsv } from '../support/test-engine';
import { GMAIL_REPLIES, startTestGmail } from '../support/test-gmail';
import { progressOf } from '../../src-main/engine/sending/sending-status';
import { MESSAGE_STATUSES } from '../../src-shared/states';
import type { MessageCounts } from '../../src-shared/views/campaigns';

const ALICE = TEST_ACCOUNTS[0]!;
const DAY = 24 * 3_600_000;

let setup: TestSetup;
afterEach(async () => {
  await setup?.close();
});

async function queued(count: number, extra: Record<string, unknown> = {}) {
  const { campaign } = await setup.engine.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(count), ...extra });
  await setup.engine.campaigns.queue({ id: campaign.id });
  return campaign.id;
}

/** What a snapshot says about itself must add up: the campaigns' numbers are the totals'. */
function expectConsistent(s: SendingStatus): void {
  const open = s.campaigns.filter((c) => ['queued', 'sending', 'paused'].includes(c.status));
  expect(open.reduce((n, c) => n + c.counts.queued, 0)).toBe(s.queued);
  expect(open.reduce((n, c) => n + c.counts.retry_wait, 0)).toBe(s.retryWaiting);
  expect(s.campaigns.reduce((n, c) => n + c.counts.sending, 0)).toBe(s.inFlight);
  for (const c of s.campaigns) {
    expect(c.left).toBe(c.counts.queued + c.counts.sending + c.counts.retry_wait);
    expect(c.total).toBe(Object.values(c.counts).reduce((a, b) => a + b, 0));
  }
  if (s.state !== 'sending') expect(s.nextBatchAt).toBeUndefined();
}

describe('the sending status snapshot', () => {
  it('with the only campaign paused, it says "paused", with no countdown and no ETA, and the tray says the same', async () => {
    setup = await createTestEngine({ accounts: [ALICE] });
    const { engine } = setup;
    await engine.start(); // the scheduler runs: there is a next tick
    const id = await queued(5);
    expect((await engine.sending.status()).state).toBe('sending');
    await engine.campaigns.pause({ id });
    const s = await engine.sending.status();
    expect(s).toMatchObject({
      state: 'paused',
      paused: false,
      queued: 5,
      waitingReason: 'The campaign with messages left is paused: resume it to carry on.',
    });
    expect(s.nextBatchAt).toBeUndefined();
    expect(s.eta).toBeUndefined();
    expectConsistent(s);
    const tray = trayView({ status: trayStatusOf(s), now: new Date(setup.clock.now()), locale: 'en-GB' });
    expect(tray.state).toBe('paused');
    expect(tray.tooltip).toBe('Trickle — paused: 5 left');
  });

  it('with sending paused: "paused", no countdown, and every campaign says why', async () => {
    setup = await createTestEngine({ accounts: [ALICE] });
    const { engine } = setup;
    await engine.start();
    const id = await queued(3);
    await engine.sending.pause();
    const s = await engine.sending.status();
    expect(s).toMatchObject({ state: 'paused', paused: true, waitingReason: 'Sending is paused. Resume to carry on.' });
    expect(s.nextBatchAt).toBeUndefined();
    expect(s.campaigns.find((c) => c.id === id)).toMatchObject({ waiting: { reason: 'Sending is paused. Resume to carry on.' }, left: 3 });
  });

  it('at the daily cap: "waiting" with the reason and the time, never a countdown to a batch that sends nothing', async () => {
    setup = await createTestEngine({ accounts: [{ ...ALICE, dailyCap: 4 }] });
    const { engine } = setup;
    const id = await queued(6);
    await drain(engine);
    await engine.start();
    const s = await engine.sending.status();
    const firstSend = Math.min(...(await engine.campaigns.messages({ id, status: 'sent' })).items.map((m) => Date.parse(m.sentAt!)));
    const slot = new Date(firstSend + DAY).toISOString();
    expect(s).toMatchObject({
      state: 'waiting',
      waiting: { reason: 'All accounts at their daily cap.', until: slot },
      resumesAt: slot,
      capacityLeft: 0,
    });
    // The window and the tray write the time in the user's own format: the reason they show carries none.
    expect(s.waiting!.reason).not.toMatch(/\d:\d\d/);
    expect(s.nextBatchAt).toBeUndefined();
    // The campaign's page says the same, and its ETA is a day later, when the slots free.
    const c = s.campaigns.find((x) => x.id === id)!;
    expect(c).toMatchObject({ waiting: { reason: 'All accounts at their daily cap.', until: slot }, left: 2 });
    expect(Date.parse(c.eta!)).toBeGreaterThanOrEqual(firstSend + DAY);
    expect(c.eta).toBe(s.eta);
    expect((await engine.campaigns.get({ id })).eta).toBe(c.eta);
    expectConsistent(s);
  });

  it('mid-batch, "sent in 24 h" is what went out, as the campaign and the chart count it; what is being sent is apart', async () => {
    const gmail = await startTestGmail({ replyDelayMs: 40 });
    setup = await createTestEngine({ accounts: [ALICE], gmail });
    const { engine } = setup;
    const id = await queued(6);
    const seen: Promise<{ status: SendingStatus; chart: number; campaignSent: number }>[] = [];
    gmail.onReceived(() => {
      if (seen.length === 3) {
        seen.push(
          (async () => ({
            status: await engine.sending.status(),
            chart: (await engine.history.sendsPerHour()).reduce((n, h) => n + h.sent, 0),
            campaignSent: (await engine.campaigns.get({ id })).counts.sent,
          }))(),
        );
      } else seen.push(Promise.resolve(undefined as never));
    });
    await engine.runBatchNow();
    const mid = await seen[3]!;
    const inSnapshot = mid.status.campaigns.find((c) => c.id === id)!;
    expect(mid.status.inFlight).toBeGreaterThan(0);
    expect(mid.status.sentLast24h).toBe(inSnapshot.counts.sent);
    expect(mid.status.sentLast24h).toBe(mid.chart);
    expect(mid.status.sentLast24h).toBe(mid.campaignSent);
    expect((await engine.accounts.list())[0]!.sentLast24h).toBe(6);
    expectConsistent(mid.status);
    await gmail.close();
  });

  it('a cancelled campaign shows what was sent: 0 of 41 is 0 %, not a full bar', async () => {
    setup = await createTestEngine({ accounts: [ALICE] });
    const { engine } = setup;
    await engine.sending.pause();
    const id = await queued(41);
    await engine.campaigns.cancel({ id });
    const c = (await engine.sending.status()).campaigns.find((x) => x.id === id)!;
    expect(c).toMatchObject({ status: 'cancelled', done: 0, of: 41, percent: 0, left: 0 });
    expect(c.counts).toMatchObject({ cancelled: 41, sent: 0 });
  });

  it('the bar: failures are outcomes too (all settled is 100 %), skipped rows are not counted, and it never rounds up to 100 early', async () => {
    setup = await createTestEngine({ accounts: [ALICE] });
    const { engine, gmail } = setup;
    gmail.fail({ stage: 'rcpt', rcpt: 'r2@example.com', fault: { reply: GMAIL_REPLIES.noSuchUser } });
    const { campaign } = await engine.campaigns.create({
      name: 'c',
      subject: 's',
      text: 't',
      csv: `${recipientsCsv(3)}\nnot-an-address,X`,
    });
    await engine.campaigns.queue({ id: campaign.id });
    await drain(engine);
    expect((await engine.sending.status()).campaigns[0]).toMatchObject({
      counts: { sent: 2, failed: 1, skipped: 1 },
      done: 3,
      of: 3,
      percent: 100,
    });
    const counts = (over: Partial<MessageCounts>) =>
      ({ ...Object.fromEntries(MESSAGE_STATUSES.map((st) => [st, 0])), ...over }) as MessageCounts;
    expect(progressOf(counts({ sent: 199, queued: 1 }))).toMatchObject({ done: 199, of: 200, percent: 99 });
    expect(progressOf(counts({ sent: 1, queued: 2 }))).toMatchObject({ percent: 33 });
    expect(progressOf(counts({ rehearsed: 3, expired: 1 }))).toMatchObject({ done: 3, of: 4, percent: 75 });
    expect(progressOf(counts({ skipped: 2 }))).toMatchObject({ done: 0, of: 0, percent: 0 });
  });

  it('every event of a run: the snapshot adds up, and agrees with the campaign and account views read at the end', async () => {
    setup = await createTestEngine({
      accounts: [
        { ...ALICE, dailyCap: 7 },
        { ...TEST_ACCOUNTS[1]!, dailyCap: 5 },
      ],
    });
    const { engine } = setup;
    const snapshots: Promise<SendingStatus>[] = [];
    for (const name of ['status', 'message', 'batch', 'account', 'campaign'] as const)
      engine.events.on(name, () => snapshots.push(engine.sending.status()));
    const first = await queued(9);
    const rehearsal = await queued(4, { rehearsal: true });
    const second = await queued(6);
    await drain(engine);
    for (const s of await Promise.all(snapshots)) expectConsistent(s);
    expect(snapshots.length).toBeGreaterThan(20);

    const s = await engine.sending.status();
    expectConsistent(s);
    for (const id of [first, rehearsal, second]) {
      const fromSnapshot = s.campaigns.find((c) => c.id === id)!;
      const fromGet = await engine.campaigns.get({ id });
      expect(fromSnapshot.counts).toEqual(fromGet.counts);
      expect(fromSnapshot.eta).toBe(fromGet.eta);
    }
    const accounts = await engine.accounts.list();
    expect(s.sentLast24h).toBe(accounts.reduce((n, a) => n + a.sentLast24h, 0));
    expect(s.capacityLeft).toBe(accounts.reduce((n, a) => n + a.remaining, 0));
    expect(s).toMatchObject({ state: 'waiting', sentLast24h: 12, queued: 3 });
  });
});
