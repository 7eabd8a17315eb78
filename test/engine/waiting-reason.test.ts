import { afterEach, describe, expect, it } from 'vitest';
import { createTestEngine, drain, recipientsCsv, type TestSetup, TEST_ACCOUNTS } from '../support/test-engine';

/**
 * Attack finding #11.10: at 15:59 the status said "resumes at 15:59" about a slot that frees
 * tomorrow at 15:59. A time that is not today carries its day.
 */

let setup: TestSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

/** Local time on 23 Nov 2026 (a Monday), as the user's machine shows it. */
const local = (day: number, hour: number, minute: number) => new Date(2026, 10, day, hour, minute).getTime();

describe('when sending resumes, in words', () => {
  it('a slot that frees tomorrow at this very minute says "tomorrow"', async () => {
    setup = await createTestEngine({ accounts: [{ ...TEST_ACCOUNTS[0]!, dailyCap: 1 }] });
    setup.clock.set(local(23, 15, 59));
    const { campaign } = await setup.engine.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(2) });
    await setup.engine.campaigns.queue({ id: campaign.id });
    await drain(setup.engine);

    const status = await setup.engine.sending.status();
    expect(status.waitingReason).toBe('All accounts at their daily cap — next slot tomorrow at 15:59.');
    expect(Date.parse(status.resumesAt!)).toBe(local(24, 15, 59));
  });

  it('accounts cooling down past midnight say "tomorrow"; cooling until later today gives the time alone', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 2) });
    const { engine, gmail, clock } = setup;
    clock.set(local(23, 23, 50));
    const { campaign } = await engine.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(4) });
    await engine.campaigns.queue({ id: campaign.id });
    gmail.fail({ stage: 'connect', fault: { reply: '421 4.7.0 Try again later, closing connection.' } });
    await engine.runBatchNow();
    // Cooling for 15 minutes from 23:50: that is tomorrow, 00:05.
    expect((await engine.sending.status()).waitingReason).toBe(
      'No account can send now (2 cooling down after a server refusal) — sending resumes tomorrow at 00:05.',
    );
    clock.set(local(24, 0, 20));
    await engine.runBatchNow();
    // Refused again at 00:20: cooling until 00:35, today.
    expect((await engine.sending.status()).waitingReason).toBe(
      'No account can send now (2 cooling down after a server refusal) — sending resumes at 00:35.',
    );
  });

  it('a campaign scheduled days ahead names the day', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1) });
    setup.clock.set(local(23, 9, 0));
    const sendAfter = new Date(local(26, 10, 0)).toISOString();
    const { campaign } = await setup.engine.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(2), sendAfter });
    await setup.engine.campaigns.queue({ id: campaign.id });
    expect((await setup.engine.sending.status()).waitingReason).toBe('Scheduled: the next campaign starts on Thu 26 Nov at 10:00.');
    setup.clock.set(local(26, 8, 0));
    expect((await setup.engine.sending.status()).waitingReason).toBe('Scheduled: the next campaign starts at 10:00.');
  });
});
