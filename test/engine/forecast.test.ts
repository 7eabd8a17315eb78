/**
 * The forecast before Queue (issue #13): when the campaign will finish at the accounts'
 * capacity, whether that is past today, how many of its messages go today and how many sends
 * are left today, and what it waits behind — from the same model as the ETA after queueing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, drain, recipientsCsv } from '../support/test-engine';

const DAY = 24 * 3_600_000;
let setup: TestSetup;
afterEach(async () => {
  await setup?.close();
});

async function draft(count: number, name = 'c') {
  const { campaign } = await setup.engine.campaigns.create({ name, subject: 's', text: 't', csv: recipientsCsv(count, `${name}.example`) });
  return campaign.id;
}

describe('campaigns.forecast', () => {
  it('20,000 recipients against 350 sends a day: the finish date before queueing, and the same ETA after', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.map((a, i) => ({ ...a, dailyCap: [100, 100, 150][i]! })) });
    const { engine, clock } = setup;
    const id = await draft(20_000);
    const f = await engine.campaigns.forecast({ id });
    expect(f).toMatchObject({
      campaignId: id,
      messages: 20_000,
      pastToday: true,
      sendsLeftToday: 350,
      today: 350,
      ahead: [],
      expiring: 0,
      paused: false,
      rehearsal: false,
    });
    // 350 a day: the last of 20,000 goes on the 58th day (57 full days after today's 350).
    const days = (Date.parse(f.finishAt!) - clock.now()) / DAY;
    expect(Math.floor(days)).toBe(57);
    await engine.campaigns.queue({ id });
    expect((await engine.campaigns.get({ id })).eta).toBe(f.finishAt);
    expect((await engine.sending.status()).eta).toBe(f.finishAt);
  });

  it('100 to send with 60 left today: says so, and when the rest goes', async () => {
    setup = await createTestEngine({ accounts: [{ ...TEST_ACCOUNTS[0]!, dailyCap: 100 }] });
    const { engine, clock } = setup;
    const warmup = await draft(40, 'warmup');
    await engine.campaigns.queue({ id: warmup });
    await drain(engine);
    clock.advance(60_000);
    const id = await draft(100);
    const f = await engine.campaigns.forecast({ id });
    expect(f).toMatchObject({ messages: 100, sendsLeftToday: 60, today: 60, pastToday: true, ahead: [] });
    // The other 40 go when the warm-up's sends turn a day old.
    expect(Date.parse(f.finishAt!)).toBeGreaterThanOrEqual(clock.now() - 60_000 + DAY);
    expect(Date.parse(f.finishAt!)).toBeLessThan(clock.now() + DAY + 120_000);
    expect(Date.parse(f.finishAt!)).toBeGreaterThanOrEqual(Date.parse(f.endOfToday));
  });

  it('waits behind a campaign queued before it, and names it', async () => {
    setup = await createTestEngine({ accounts: [{ ...TEST_ACCOUNTS[0]!, dailyCap: 50 }] });
    const { engine } = setup;
    const first = await draft(45, 'first');
    await engine.campaigns.queue({ id: first });
    const id = await draft(20);
    const f = await engine.campaigns.forecast({ id });
    expect(f.ahead).toEqual([{ id: first, name: 'first', left: 45 }]);
    expect(f).toMatchObject({ sendsLeftToday: 50, today: 5, pastToday: true });
    const alone = await draft(5, 'alone');
    await engine.campaigns.cancel({ id: first });
    expect((await engine.campaigns.forecast({ id: alone })).ahead).toEqual([]);
  });

  it('a small campaign within today’s capacity finishes today, at the batch cadence', async () => {
    setup = await createTestEngine({ accounts: [TEST_ACCOUNTS[0]!] });
    const { engine, clock } = setup;
    const id = await draft(25);
    const f = await engine.campaigns.forecast({ id });
    // Batches of 10 every 30 s with 2 s between messages: the 25th goes at 60 s + 4 × 2 s.
    expect(Date.parse(f.finishAt!) - clock.now()).toBe(68_000);
    expect(f).toMatchObject({ today: 25, sendsLeftToday: 100 });
    expect(f.pastToday).toBe(Date.parse(f.finishAt!) >= Date.parse(f.endOfToday));
  });

  it('says why there is no finish time: nobody to send to, no account, or paused', async () => {
    setup = await createTestEngine({});
    const { engine } = setup;
    const empty = await engine.campaigns.createDraft({ name: 'empty' });
    expect(await engine.campaigns.forecast({ id: empty.id })).toMatchObject({
      messages: 0,
      reason: expect.stringMatching(/nobody to send to yet/),
    });
    const id = await draft(3);
    const f = await engine.campaigns.forecast({ id });
    expect(f.finishAt).toBeUndefined();
    expect(f.reason).toMatch(/No Gmail account yet/);
    await setup.addAccount(TEST_ACCOUNTS[0]!);
    await engine.sending.pause();
    expect(await engine.campaigns.forecast({ id })).toMatchObject({ paused: true, finishAt: expect.any(String) });
  });

  it('a rehearsal takes no capacity: it finishes at the cadence even with every account at its cap', async () => {
    setup = await createTestEngine({ accounts: [{ ...TEST_ACCOUNTS[0]!, dailyCap: 3 }] });
    const { engine, clock } = setup;
    const warmup = await draft(3, 'warmup');
    await engine.campaigns.queue({ id: warmup });
    await drain(engine);
    const { campaign } = await engine.campaigns.create({ name: 'r', subject: 's', text: 't', csv: recipientsCsv(12), rehearsal: true });
    const f = await engine.campaigns.forecast({ id: campaign.id });
    expect(f).toMatchObject({ rehearsal: true, sendsLeftToday: 0, today: 12, pastToday: false });
    expect(Date.parse(f.finishAt!) - clock.now()).toBe(30_000 + 2000);
  });
});

describe('the measured pace', () => {
  it('each account’s time per message is measured from its sends, as a moving figure', async () => {
    setup = await createTestEngine({ accounts: [TEST_ACCOUNTS[0]!], settings: { messageDelayMs: 0 } });
    const { engine } = setup;
    expect((await engine.accounts.list())[0]!.paceMs).toBeUndefined();
    const id = await draft(3);
    await engine.campaigns.queue({ id });
    await drain(engine);
    // The fake clock does not move during a send: measured, it takes no time.
    expect((await engine.accounts.list())[0]!.paceMs).toBe(0);
  });
});
