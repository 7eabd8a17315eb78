import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, recipientsCsv } from '../support/test-engine';

/**
 * A user's actions on one campaign run one after another, each checking the campaign as the
 * last one left it. Big ones work in slices with other calls in between, so without that a
 * cancel could be overwritten by a resume still checking merge fields, and the campaign would
 * send again. (Found by review; the first, second and fourth failed before the change.)
 */

let setup: TestSetup;
afterEach(async () => setup?.close());
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('actions on one campaign, asked for together', () => {
  it('a cancel asked for while a big resume runs applies after it: nothing is sent after the cancel returns', async () => {
    setup = await createTestEngine({ accounts: [TEST_ACCOUNTS[0]!], settings: { batchSize: 5 } });
    const { engine, gmail } = setup;
    const { campaign } = await engine.campaigns.create({
      name: 'big',
      subject: 'Hi {{first_name}}',
      text: 't',
      csv: recipientsCsv(60_000),
    });
    await engine.campaigns.queue({ id: campaign.id });
    await engine.campaigns.pause({ id: campaign.id });

    const resuming = engine.campaigns.resume({ id: campaign.id });
    await tick(5); // the resume is checking merge fields, a slice at a time
    const cancelled = await engine.campaigns.cancel({ id: campaign.id });
    expect((await resuming).status).toBe('queued'); // it finished first, as asked
    expect(cancelled.status).toBe('cancelled');
    const sentBefore = gmail.accepted.length;
    expect(await engine.runBatchNow()).toBeUndefined();
    expect(gmail.accepted).toHaveLength(sentBefore);
    const after = await engine.campaigns.get({ id: campaign.id });
    expect(after.status).toBe('cancelled');
    expect(after.counts).toMatchObject({ queued: 0, cancelled: 60_000 - after.counts.sent });
  });

  it('cancel then queue on a draft: the queue is refused, the draft stays cancelled', async () => {
    setup = await createTestEngine({ accounts: [TEST_ACCOUNTS[0]!] });
    const { engine } = setup;
    const { campaign } = await engine.campaigns.create({
      name: 'big',
      subject: 'Hi {{first_name}}',
      text: 't',
      csv: recipientsCsv(20_000),
    });
    const [cancel, queue] = await Promise.allSettled([
      engine.campaigns.cancel({ id: campaign.id }),
      engine.campaigns.queue({ id: campaign.id }),
    ]);
    expect(cancel).toMatchObject({ status: 'fulfilled', value: { status: 'cancelled' } });
    expect(queue).toMatchObject({ status: 'rejected', reason: { code: 'conflict', message: 'This campaign is already cancelled.' } });
    const after = await engine.campaigns.get({ id: campaign.id });
    expect(after.status).toBe('cancelled');
    expect(after.counts).toMatchObject({ queued: 0, pending: 0, cancelled: 20_000 });
  });

  it('a retry then a cancel: the cancel finds and cancels everything the retry requeued', async () => {
    setup = await createTestEngine({ accounts: [TEST_ACCOUNTS[0]!] });
    const { campaign } = await setup.engine.campaigns.create({ name: 'big', subject: 's', text: 't', csv: recipientsCsv(60_000) });
    await setup.engine.campaigns.queue({ id: campaign.id });
    await setup.engine.stop();
    const db = new BetterSqlite3(setup.databaseFile);
    db.prepare(`update messages set status = 'failed', attempts = 3, error_code = '550' where campaign_id = ?`).run(campaign.id);
    db.prepare(`update campaigns set status = 'sending' where id = ?`).run(campaign.id);
    db.close();

    const engine = await setup.reopen();
    const retrying = engine.campaigns.retryFailed({ id: campaign.id });
    await tick(20); // the retry is requeueing, a range at a time
    const cancelled = await engine.campaigns.cancel({ id: campaign.id });
    expect(await retrying).toEqual({ requeued: 60_000 });
    expect(cancelled.counts).toMatchObject({ queued: 0, failed: 0, cancelled: 60_000 });
  });

  it('an edit then a queue: the queue checks the edited subject', async () => {
    setup = await createTestEngine({ accounts: [TEST_ACCOUNTS[0]!] });
    const { engine } = setup;
    const { campaign } = await engine.campaigns.create({ name: 'd', subject: 'Hi {{first_name}}', text: 't', csv: recipientsCsv(100) });
    const [update, queue] = await Promise.allSettled([
      engine.campaigns.update({ id: campaign.id, subject: 'Hi {{nickname}}' }),
      engine.campaigns.queue({ id: campaign.id }),
    ]);
    expect(update.status).toBe('fulfilled');
    // {{nickname}} is no column of the list: the queue saw the edited subject.
    expect(queue).toMatchObject({
      status: 'rejected',
      reason: { code: 'merge_unknown_field', message: expect.stringContaining('nickname') },
    });
    expect((await engine.campaigns.get({ id: campaign.id })).status).toBe('draft');
  });
});
