import { afterEach, describe, expect, it } from 'vitest';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, drain, recipientsCsv } from '../support/test-engine';

let setup: TestSetup;
afterEach(async () => setup?.close());

describe('sending a campaign through three accounts', () => {
  it('sends at most 10 per batch, rotating evenly, one login per account, in import order', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS });
    const { engine, gmail } = setup;
    const loginsBefore = gmail.logins.length; // each account logged in once when it was verified
    const { campaign, report } = await engine.campaigns.create({
      name: 'Autumn newsletter',
      subject: 'Hello {{first_name}}',
      html: '<p>Dear {{first_name}},</p><p>News.</p>',
      csv: recipientsCsv(25),
    });
    expect(report).toEqual({ imported: 25, duplicates: 0, invalid: [], suppressed: 0 });
    expect(await engine.campaigns.queue({ id: campaign.id })).toEqual({ queued: 25, message: 'Queued 25 emails' });
    // Three batches of at most 10, 30 s apart, 2 s between messages: the 25th goes at 68 s.
    const queued = await engine.campaigns.get({ id: campaign.id });
    expect(Date.parse(queued.eta!) - setup.clock.now()).toBe(68_000);
    expect(Date.parse((await engine.sending.status()).eta!)).toBe(Date.parse(queued.eta!));

    const first = await engine.runBatchNow();
    expect(first).toMatchObject({ claimed: 10, sent: 10, failed: 0, remaining: 15 });
    expect(gmail.accepted).toHaveLength(10);
    const perAccount = TEST_ACCOUNTS.map((a) => gmail.acceptedBy(a.email).length);
    expect(Math.max(...perAccount) - Math.min(...perAccount)).toBeLessThanOrEqual(1);
    expect(gmail.accepted.map((m) => m.envelope.to[0])).toEqual(Array.from({ length: 10 }, (_, i) => `r${i + 1}@example.com`));

    expect(await drain(engine)).toBe(2);
    expect(gmail.accepted).toHaveLength(25);
    const done = await engine.campaigns.get({ id: campaign.id });
    expect(done.status).toBe('completed');
    expect(done.counts.sent).toBe(25);
    expect(done.eta).toBeUndefined();
    // One pooled connection per account, reused across messages and batches.
    const sendingLogins = gmail.logins.slice(loginsBefore);
    for (const a of TEST_ACCOUNTS) expect(sendingLogins.filter((l) => l.account === a.email)).toHaveLength(1);
    // Every message has its own Message-ID, as stored when it was queued.
    const { items } = await engine.campaigns.messages({ id: campaign.id, limit: 100 });
    expect(new Set(gmail.accepted.map((m) => m.messageId)).size).toBe(25);
    expect(new Set(items.map((m) => m.messageId))).toEqual(new Set(gmail.accepted.map((m) => m.messageId)));
    expect(gmail.accepted[0]!.headers.get('subject')).toBe('Hello Reader1');
    const [, hex, row] = /^<([0-9a-f]{16})[0-9a-f]{8}\.(\d+)@/.exec(gmail.accepted[0]!.messageId!)!;
    expect(gmail.accepted[0]!.headers.get('list-unsubscribe')).toBe(`<mailto:alice+unsub-${hex}-${row}@gmail.test?subject=unsubscribe>`);
  });
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** For each account, the most sends it made in any 24-hour window, from what the engine stored. */
async function maxSendsInAnyDay(setup: TestSetup, campaignIds: number[]): Promise<Map<number, number>> {
  const byAccount = new Map<number, number[]>();
  for (const id of campaignIds) {
    const { items } = await setup.engine.campaigns.messages({ id, limit: 1000 });
    for (const m of items) {
      if (!m.sentAt || m.accountId === undefined) continue;
      byAccount.set(m.accountId, [...(byAccount.get(m.accountId) ?? []), Date.parse(m.sentAt)]);
    }
  }
  const result = new Map<number, number>();
  for (const [account, times] of byAccount) {
    times.sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= DAY) j++;
      most = Math.max(most, i - j + 1);
    }
    result.set(account, most);
  }
  return result;
}

describe('daily caps', () => {
  it('no account ever exceeds its cap in any 24 h window, across simulated days and a restart', async () => {
    const caps = [5, 4, 3];
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.map((a, i) => ({ ...a, dailyCap: caps[i]! })) });
    const { gmail, clock } = setup;
    let engine = setup.engine;
    const { campaign } = await engine.campaigns.create({ name: 'Big list', subject: 'Hi', text: 'Hello', csv: recipientsCsv(40) });
    await engine.campaigns.queue({ id: campaign.id });

    // Day 1: the batch sends what the caps allow (12), then nothing more goes out.
    await drain(engine);
    expect(gmail.accepted).toHaveLength(12);
    const status = await engine.sending.status();
    expect(status.capacityLeft).toBe(0);
    expect(status.waitingReason).toMatch(/^All accounts at their daily cap — next slot tomorrow at \d\d:\d\d\.$/); // the slot frees a day after the first send
    // The same, structured, for the window and the tray (the time in the user's own format).
    expect(status).toMatchObject({ state: 'waiting', waiting: { reason: 'All accounts at their daily cap.', until: status.resumesAt } });
    expect(status.nextBatchAt).toBeUndefined();
    const sentTimes = (await engine.campaigns.messages({ id: campaign.id, status: 'sent' })).items.map((m) => Date.parse(m.sentAt!));
    expect(Date.parse(status.resumesAt!)).toBe(Math.min(...sentTimes) + DAY);

    // Hourly ticks through the day: still nothing, since no send is 24 h old yet.
    for (let h = 0; h < 23; h++) {
      clock.advance(HOUR);
      expect(await engine.runBatchNow()).toBeUndefined();
    }
    // A restart mid-way must not reset anything: caps come from stored send times.
    await engine.stop();
    engine = await setup.reopen();
    await engine.start();
    expect(await engine.runBatchNow()).toBeUndefined();

    // Then days pass in hourly steps until the campaign is done.
    for (let h = 0; h < 24 * 4 && gmail.accepted.length < 40; h++) {
      clock.advance(HOUR);
      await drain(engine);
    }
    expect(gmail.accepted).toHaveLength(40);
    const most = await maxSendsInAnyDay({ ...setup, engine }, [campaign.id]);
    const accounts = await engine.accounts.list();
    for (const account of accounts) expect(most.get(account.id)).toBeLessThanOrEqual(account.dailyCap);
    // Each account was used to its full cap on day one: nothing was wasted either.
    expect(accounts.map((a) => most.get(a.id))).toEqual(caps);
  });

  it('a clock jump backwards cannot free capacity', async () => {
    setup = await createTestEngine({ accounts: [{ ...TEST_ACCOUNTS[0]!, dailyCap: 2 }] });
    const { engine, clock, gmail } = setup;
    const { campaign } = await engine.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(5) });
    await engine.campaigns.queue({ id: campaign.id });
    await drain(engine);
    clock.advance(-6 * HOUR);
    await drain(engine);
    clock.advance(12 * HOUR); // 6 h after the sends, by the clock's own account
    await drain(engine);
    expect(gmail.accepted).toHaveLength(2);
  });
});

describe('retries', () => {
  it('go back to the queue only while an account has capacity, and stop at the maximum attempts', async () => {
    setup = await createTestEngine({ accounts: [{ ...TEST_ACCOUNTS[0]!, dailyCap: 2 }] });
    const { engine, gmail, clock } = setup;
    gmail.fail({
      stage: 'rcpt',
      rcpt: 'r1@example.com',
      fault: {
        reply:
          '450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.',
      },
    });
    const { campaign } = await engine.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(3) });
    await engine.campaigns.queue({ id: campaign.id });

    // The claim takes only what the cap allows (2); the refused one gives its slot back to r3.
    expect(await engine.runBatchNow()).toMatchObject({ claimed: 2, sent: 1, retrying: 1 });
    expect(await engine.runBatchNow()).toMatchObject({ claimed: 1, sent: 1 });
    const waiting = (await engine.campaigns.messages({ id: campaign.id, status: 'retry_wait' })).items;
    expect(waiting).toMatchObject([{ email: 'r1@example.com', attempts: 1, lastError: { code: '4.2.1' } }]);

    // The one account is at its cap: retrying now would only churn.
    expect(await engine.runRetryNow()).toEqual({ requeued: 0, gaveUp: 0 });

    for (const expected of [2, 3]) {
      clock.advance(DAY);
      expect(await engine.runRetryNow()).toEqual({ requeued: 1, gaveUp: 0 });
      await engine.runBatchNow();
      const [message] = (await engine.campaigns.messages({ id: campaign.id, status: expected < 3 ? 'retry_wait' : 'failed' })).items;
      expect(message).toMatchObject({ email: 'r1@example.com', attempts: expected });
    }
    const [failed] = (await engine.campaigns.messages({ id: campaign.id, status: 'failed' })).items;
    expect(failed!.lastError!.explanation).toMatch(/Tried 3 times; giving up/);
    expect(failed!.lastError!.response).toMatch(/^450 4\.2\.1 The user you are trying to contact/);
    clock.advance(DAY);
    expect(await engine.runRetryNow()).toEqual({ requeued: 0, gaveUp: 0 });
    expect((await engine.campaigns.get({ id: campaign.id })).status).toBe('completed');
    expect(gmail.accepted.map((m) => m.envelope.to[0])).toEqual(['r2@example.com', 'r3@example.com']);
  });
});

describe('queue order and pausing', () => {
  it('campaigns go out in the order they were queued, not created', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1), settings: { batchSize: 4 } });
    const { engine, gmail } = setup;
    const a = (await engine.campaigns.create({ name: 'A', subject: 'A', text: 'a', csv: recipientsCsv(3, 'a.test') })).campaign;
    const b = (await engine.campaigns.create({ name: 'B', subject: 'B', text: 'b', csv: recipientsCsv(3, 'b.test') })).campaign;
    await engine.campaigns.queue({ id: b.id });
    await engine.campaigns.queue({ id: a.id });
    await engine.runBatchNow();
    expect(gmail.accepted.map((m) => m.envelope.to[0])).toEqual(['r1@b.test', 'r2@b.test', 'r3@b.test', 'r1@a.test']);
  });

  it('global pause sends nothing; pausing mid-batch lets the message in hand finish and requeues the rest', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS });
    const { engine, gmail } = setup;
    const { campaign } = await engine.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(12) });
    await engine.campaigns.queue({ id: campaign.id });

    await engine.sending.pause();
    expect(await engine.runBatchNow()).toBeUndefined();
    expect(await engine.sending.status()).toMatchObject({
      paused: true,
      queued: 12,
      waitingReason: 'Sending is paused. Resume to carry on.',
    });
    expect(gmail.accepted).toHaveLength(0);

    await engine.sending.resume();
    let paused = false;
    engine.events.on('message', () => {
      if (!paused) void engine.sending.pause();
      paused = true;
    });
    const batch = await engine.runBatchNow();
    expect(batch).toMatchObject({ claimed: 10, sent: 1, requeued: 9 });
    expect(gmail.accepted).toHaveLength(1);
    const counts = (await engine.campaigns.get({ id: campaign.id })).counts;
    expect(counts).toMatchObject({ sent: 1, queued: 11, sending: 0 });
    // The pause survives a restart.
    await engine.stop();
    const again = await setup.reopen();
    expect((await again.sending.status()).paused).toBe(true);
    await again.sending.resume();
    await drain(again);
    expect(gmail.accepted).toHaveLength(12);
  });

  it('a paused campaign is passed over while others send; resumed, it carries on', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1) });
    const { engine, gmail } = setup;
    const a = (await engine.campaigns.create({ name: 'A', subject: 'A', text: 'a', csv: recipientsCsv(3, 'a.test') })).campaign;
    const b = (await engine.campaigns.create({ name: 'B', subject: 'B', text: 'b', csv: recipientsCsv(3, 'b.test') })).campaign;
    await engine.campaigns.queue({ id: a.id });
    await engine.campaigns.queue({ id: b.id });
    await engine.campaigns.pause({ id: a.id });
    await drain(engine);
    expect(gmail.accepted.map((m) => m.envelope.to[0])).toEqual(['r1@b.test', 'r2@b.test', 'r3@b.test']);
    expect((await engine.campaigns.resume({ id: a.id })).status).toBe('queued');
    await drain(engine);
    expect(gmail.accepted).toHaveLength(6);
    expect((await engine.campaigns.get({ id: a.id })).status).toBe('completed');
  });
});
