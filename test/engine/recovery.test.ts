import { afterEach, describe, expect, it } from 'vitest';
import { TEST_ACCOUNTS, type TestSetup, crash, createTestEngine, drain, recipientsCsv, until } from '../support/test-engine';

let setup: TestSetup;
/** The crashed engine's stalled connection times out quickly, so the test need not wait. */
const QUICK_TIMEOUT = { connectionMs: 2000, socketMs: 400, idleMs: 60_000 };
afterEach(async () => setup?.close());

describe('recovery after a crash', () => {
  it('a message being sent becomes in doubt, the rest of the batch is sent once, nothing is lost', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 2), smtpTimeouts: QUICK_TIMEOUT });
    const { gmail } = setup;
    const first = setup.engine;
    const { campaign } = await first.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(14) });
    await first.campaigns.queue({ id: campaign.id });

    // r3's data reaches the server, which never answers: the app dies while waiting.
    gmail.fail({ stage: 'data', rcpt: 'r3@example.com', times: 1, fault: { stall: 'after-data' } });
    const dying = first.runBatchNow().catch((error: unknown) => error);
    await until(() => gmail.receivedButUnacknowledged.length === 1, 'r3 to reach the server');
    crash(first);

    const second = await setup.reopen();
    expect(await second.start()).toEqual({ inDoubt: 1, requeued: 7 });
    const inDoubt = (await second.campaigns.messages({ id: campaign.id, status: 'in_doubt' })).items;
    expect(inDoubt).toMatchObject([{ email: 'r3@example.com', attempts: 1, lastError: { code: 'INTERRUPTED' } }]);
    expect(inDoubt[0]!.lastError!.explanation).toMatch(/may have arrived/);
    // The batch history shows what the interrupted batch did, not an empty batch still running.
    expect(await second.batches.list({ limit: 5 })).toMatchObject([
      {
        claimed: 10,
        sent: 2,
        inDoubt: 1,
        requeued: 7,
        remaining: 11,
        finishedAt: expect.any(String),
        summary: 'Batch: 2 sent, 1 failed, 11 left (interrupted: Trickle stopped during this batch)',
      },
    ]);

    await drain(second);
    await second.runRetryNow();
    await drain(second);
    await dying;

    const delivered = gmail.accepted.map((m) => m.envelope.to[0]!);
    // Every recipient but the one in doubt was delivered exactly once; r3 was not sent again.
    expect(delivered.sort()).toEqual(
      Array.from({ length: 14 }, (_, i) => `r${i + 1}@example.com`)
        .filter((e) => e !== 'r3@example.com')
        .sort(),
    );
    const counts = (await second.campaigns.get({ id: campaign.id })).counts;
    expect(counts).toMatchObject({ sent: 13, in_doubt: 1, queued: 0, sending: 0 });
    // The in-doubt send still counts against its account's cap: it may have arrived.
    const accounts = await second.accounts.list();
    expect(accounts.reduce((sum, a) => sum + a.sentLast24h, 0)).toBe(14);

    // Only on purpose: the user resends it, with the same Message-ID as the first copy.
    expect(await second.campaigns.resendInDoubt({ id: campaign.id })).toEqual({ requeued: 1 });
    await drain(second);
    const resent = gmail.accepted.find((m) => m.envelope.to[0] === 'r3@example.com');
    expect(resent?.messageId).toBe(gmail.receivedButUnacknowledged[0]!.messageId);
    expect((await second.campaigns.get({ id: campaign.id })).status).toBe('completed');
  });

  it('a campaign whose last message was in flight at the crash completes on restart', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1), smtpTimeouts: QUICK_TIMEOUT });
    const { gmail } = setup;
    const first = setup.engine;
    const { campaign } = await first.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(2) });
    await first.campaigns.queue({ id: campaign.id });
    gmail.fail({ stage: 'data', rcpt: 'r2@example.com', times: 1, fault: { stall: 'after-data' } });
    const dying = first.runBatchNow().catch((error: unknown) => error);
    await until(() => gmail.receivedButUnacknowledged.length === 1, 'r2 to reach the server');
    crash(first);

    const second = await setup.reopen();
    expect(await second.start()).toEqual({ inDoubt: 1, requeued: 0 });
    await drain(second);
    await dying;
    // Nothing is left to send: the campaign says it is done (the one in doubt waits for the user).
    const after = await second.campaigns.get({ id: campaign.id });
    expect(after.counts).toMatchObject({ sent: 1, in_doubt: 1, queued: 0, sending: 0 });
    expect(after.status).toBe('completed');
  });

  it('messages claimed but not yet started go back to the queue, not into doubt', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1), smtpTimeouts: QUICK_TIMEOUT });
    const { gmail } = setup;
    const first = setup.engine;
    const { campaign } = await first.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(3) });
    await first.campaigns.queue({ id: campaign.id });
    gmail.fail({ stage: 'data', rcpt: 'r1@example.com', times: 1, fault: { stall: 'after-data' } });
    const dying = first.runBatchNow().catch((error: unknown) => error);
    await until(() => gmail.receivedButUnacknowledged.length === 1, 'r1 to reach the server');
    crash(first);
    const second = await setup.reopen();
    expect(await second.start()).toEqual({ inDoubt: 1, requeued: 2 });
    await drain(second);
    await dying;
    expect(gmail.accepted.map((m) => m.envelope.to[0])).toEqual(['r2@example.com', 'r3@example.com']);
  });
});
