import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Dovecot, startDovecot } from '../support/dovecot';
import { type TestSetup, crash, createTestEngine, drain, until } from '../support/test-engine';
import type { TestGmailAccount } from '../support/test-gmail';

/**
 * What Sent Mail tells (PRODUCT.md §5b): whether Gmail took a message in doubt, and what the
 * account sent outside Trickle, which Gmail counts towards the same daily limit.
 */

let dovecot: Dovecot;
beforeAll(async () => {
  dovecot = await startDovecot();
}, 600_000);
afterAll(() => dovecot?.close());

let setup: TestSetup;
afterEach(async () => setup?.close());

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let n = 0;
function freshAccount(extra: Partial<TestGmailAccount> & { dailyCap?: number } = {}): TestGmailAccount & { dailyCap: number } {
  n++;
  return { email: `club${n}@gmail.test`, appPassword: `pass${String(n).padStart(12, 'z')}`, dailyCap: 500, ...extra };
}

async function queueCampaign(recipients: string[], name = 'Spring meeting') {
  const { campaign } = await setup.engine.campaigns.create({
    name,
    subject: name,
    text: 'See you on Saturday.',
    csv: ['email', ...recipients].join('\n'),
  });
  await setup.engine.campaigns.queue({ id: campaign.id });
  return campaign.id;
}

const messages = async (id: number) => (await setup.engine.campaigns.messages({ id, limit: 1000 })).items;

describe('a message in doubt, settled from Sent Mail', () => {
  it('Gmail took it (the line broke after the data): found in Sent Mail, it is sent, "confirmed in Sent Mail"', async () => {
    setup = await createTestEngine({ mailbox: dovecot, accounts: [freshAccount()] });
    setup.gmail.fail({ stage: 'data', rcpt: 'ann@example.org', times: 1, fault: { drop: 'after-data' } });
    const id = await queueCampaign(['ann@example.org', 'ben@example.org']);
    await drain(setup.engine);
    await setup.gmail.mailboxIdle();
    expect((await messages(id)).map((m) => m.status)).toEqual(['in_doubt', 'sent']);
    const accountId = (await setup.engine.accounts.list())[0]!.id;
    const sentBefore = (await setup.engine.accounts.list())[0]!.sentLast24h;

    expect(await setup.engine.accounts.checkInbox({ id: accountId })).toMatchObject({ settled: 1 });
    const [ann] = await messages(id);
    expect(ann).toMatchObject({
      status: 'sent',
      settled: { how: 'confirmed_in_sent_mail', at: new Date(setup.clock.now()).toISOString() },
      attempts: 1,
    });
    expect(ann!.lastError).toBeUndefined();
    // It was counted against the cap as soon as it might have gone; once, still.
    expect((await setup.engine.accounts.list())[0]!.sentLast24h).toBe(sentBefore);
    expect(setup.gmail.receivedButUnacknowledged).toHaveLength(1);
    expect(setup.gmail.accepted).toHaveLength(1); // never sent again
    expect((await setup.engine.campaigns.get({ id })).status).toBe('completed');
  });

  it('Gmail never took it (the line broke mid-data): it waits 15 minutes, then goes back to the queue with no attempt used and the reason kept, and is sent once', async () => {
    setup = await createTestEngine({ mailbox: dovecot, accounts: [freshAccount()] });
    setup.gmail.fail({ stage: 'data', rcpt: 'ann@example.org', times: 1, fault: { drop: 'mid-data' } });
    const id = await queueCampaign(['ann@example.org']);
    await drain(setup.engine);
    await setup.gmail.mailboxIdle();
    const [inDoubt] = await messages(id);
    expect(inDoubt).toMatchObject({ status: 'in_doubt', attempts: 1 });
    expect((await setup.engine.campaigns.get({ id })).status).toBe('completed');
    const accountId = (await setup.engine.accounts.list())[0]!.id;
    expect((await setup.engine.accounts.list())[0]!.sentLast24h).toBe(1);

    // 14 minutes on: not in Sent Mail, but not long enough to be sure.
    setup.clock.advance(14 * MINUTE);
    expect(await setup.engine.accounts.checkInbox({ id: accountId })).toMatchObject({ settled: 0 });
    expect((await messages(id))[0]!.status).toBe('in_doubt');

    setup.clock.advance(1 * MINUTE);
    expect(await setup.engine.accounts.checkInbox({ id: accountId })).toMatchObject({ settled: 1 });
    const [requeued] = await messages(id);
    expect(requeued).toMatchObject({
      status: 'queued',
      attempts: 0,
      settled: { how: 'not_in_sent_mail' },
      lastError: {
        code: inDoubt!.lastError!.code,
        explanation: expect.stringMatching(
          /^Not in .*’s Sent Mail 15 minutes after it was sent, so Gmail never took it: queued again \(no attempt used\)\. Before: The connection broke/,
        ),
      },
    });
    // Its reservation is released (Gmail never counted it), and the campaign opens again to send it.
    expect((await setup.engine.accounts.list())[0]!.sentLast24h).toBe(0);
    expect((await setup.engine.campaigns.get({ id })).status).toBe('queued');
    await drain(setup.engine);
    const [sent] = await messages(id);
    expect(sent).toMatchObject({ status: 'sent', attempts: 1, messageId: inDoubt!.messageId, settled: { how: 'not_in_sent_mail' } });
    expect(setup.gmail.accepted.map((m) => m.messageId)).toEqual([inDoubt!.messageId]);
    expect((await setup.engine.campaigns.get({ id })).status).toBe('completed');
    // Now it is in Sent Mail: a later look leaves it alone.
    await setup.gmail.mailboxIdle();
    await setup.engine.accounts.checkInbox({ id: accountId });
    expect((await messages(id))[0]!.status).toBe('sent');
  });

  it('with the setting off, or with a mailbox it cannot read, an in-doubt message waits for the user', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    setup.gmail.fail({ stage: 'data', rcpt: 'ann@example.org', times: 1, fault: { drop: 'mid-data' } });
    setup.gmail.fail({ stage: 'data', rcpt: 'ben@example.org', times: 1, fault: { drop: 'after-data' } });
    const id = await queueCampaign(['ann@example.org', 'ben@example.org']);
    await drain(setup.engine);
    await setup.gmail.mailboxIdle();
    const accountId = (await setup.engine.accounts.list())[0]!.id;
    setup.clock.advance(HOUR);

    await setup.engine.settings.update({ settleInDoubtFromSentMail: false });
    expect(await setup.engine.accounts.checkInbox({ id: accountId })).toMatchObject({ settled: 0 });
    expect((await messages(id)).map((m) => m.status)).toEqual(['in_doubt', 'in_doubt']);

    await setup.engine.settings.update({ settleInDoubtFromSentMail: true });
    await dovecot.setPassword(alice.email, 'refused-for-now');
    expect(await setup.engine.accounts.checkInbox({ id: accountId })).toMatchObject({ settled: 0, problem: expect.any(String) });
    expect((await messages(id)).map((m) => m.status)).toEqual(['in_doubt', 'in_doubt']);

    await dovecot.setPassword(alice.email, alice.appPassword);
    expect(await setup.engine.accounts.checkInbox({ id: accountId })).toMatchObject({ settled: 2 });
    expect((await messages(id)).map((m) => m.status)).toEqual(['queued', 'sent']);
  });

  it('after a crash: what recovery put in doubt is settled by the next look', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({
      mailbox: dovecot,
      accounts: [alice],
      smtpTimeouts: { connectionMs: 2000, socketMs: 400, idleMs: 60_000 },
    });
    // The server holds the data and never answers, as when the app dies while it waits for the 250.
    setup.gmail.fail({ stage: 'data', rcpt: 'ann@example.org', times: 1, fault: { stall: 'after-data' } });
    const id = await queueCampaign(['ann@example.org']);
    const dying = setup.engine.runBatchNow().catch((error: unknown) => error);
    await until(() => setup.gmail.receivedButUnacknowledged.length === 1, 'the data to reach the server');
    crash(setup.engine);
    await dying;
    const again = await setup.reopen();
    expect(await again.start()).toMatchObject({ inDoubt: 1 });
    await setup.gmail.mailboxIdle();
    await again.runInboxChecksNow();
    expect((await again.campaigns.messages({ id })).items[0]).toMatchObject({ status: 'sent', settled: { how: 'confirmed_in_sent_mail' } });
  });
});

describe('mail sent outside Trickle', () => {
  it('counts towards the rolling cap by its recipients (To, Cc, Bcc), shown apart, and lowers what Trickle sends', async () => {
    const alice = freshAccount({ dailyCap: 10 });
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    const now = setup.clock.now();
    await setup.gmail.sendOutside(alice.email, {
      to: ['a@example.com', 'b@example.com'],
      cc: ['c@example.com'],
      bcc: ['d@example.com'],
      at: now - 2 * HOUR,
    });
    await setup.gmail.sendOutside(alice.email, { to: ['e@example.com', 'f@example.com'], at: now - 23 * HOUR });
    // Too old to count (25 h ago).
    await setup.gmail.sendOutside(alice.email, { to: ['g@example.com'], at: now - 25 * HOUR });
    await setup.gmail.mailboxIdle();
    await setup.engine.runInboxChecksNow();
    const [account] = await setup.engine.accounts.list();
    expect(account).toMatchObject({ sentLast24h: 6, sentOutsideLast24h: 6, remaining: 4, nextSlotAt: new Date(now + HOUR).toISOString() });

    const id = await queueCampaign(Array.from({ length: 8 }, (_, i) => `r${i + 1}@example.org`));
    await drain(setup.engine);
    expect(setup.gmail.accepted).toHaveLength(4);
    expect((await setup.engine.campaigns.get({ id })).counts).toMatchObject({ sent: 4, queued: 4 });
    expect((await setup.engine.sending.status()).waitingReason).toMatch(/daily cap/);
    // Trickle's own copies in Sent Mail are not counted again.
    await setup.gmail.mailboxIdle();
    await setup.engine.runInboxChecksNow();
    expect((await setup.engine.accounts.list())[0]).toMatchObject({ sentLast24h: 10, sentOutsideLast24h: 6, remaining: 0 });

    // An hour on, the 23-hour-old message's two recipients leave the window.
    setup.clock.advance(HOUR + 1);
    expect((await setup.engine.accounts.list())[0]).toMatchObject({ sentOutsideLast24h: 4, remaining: 2 });
    await drain(setup.engine);
    expect(setup.gmail.accepted).toHaveLength(6);
  });

  it('finds Sent Mail by its \\Sent flag under a localised name, never by a name: a decoy "Sent" is not read', async () => {
    const bert = freshAccount({ mailboxLanguage: 'de' });
    setup = await createTestEngine({ mailbox: dovecot, accounts: [bert] });
    await setup.gmail.sendOutside(bert.email, { to: ['a@example.com', 'b@example.com'] });
    // Something in the decoy: a reader that went by the name would count it.
    const session = await dovecot.session(bert.email);
    await session.append(
      'Sent',
      'From: x\r\nTo: y@example.com, z@example.com\r\nMessage-ID: <decoy@example.com>\r\nSubject: decoy\r\n\r\nx',
      [],
      new Date(setup.clock.now()),
    );
    await session.logout();
    setup.gmail.fail({ stage: 'data', rcpt: 'ann@example.org', times: 1, fault: { drop: 'after-data' } });
    const id = await queueCampaign(['ann@example.org']);
    await drain(setup.engine);
    await setup.gmail.mailboxIdle();
    await setup.engine.runInboxChecksNow();
    expect((await setup.engine.accounts.list())[0]).toMatchObject({ sentOutsideLast24h: 2, inbox: { state: 'ok' } });
    expect((await messages(id))[0]).toMatchObject({ status: 'sent', settled: { how: 'confirmed_in_sent_mail' } });
  });
});
