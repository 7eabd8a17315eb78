/**
 * PRODUCT.md §5 end to end: each kind of server reply, produced by the test Gmail on a real
 * loopback SMTP session and read by nodemailer, through the engine's real SQLite outbox. Each
 * test asserts what the user would see: the message's status, attempts and error, the
 * account's state, the suppression list, the campaign's status, and what Gmail received.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Account } from '../../src-shared/views/accounts';
import type { Engine } from '../../src-main/engine/engine';
import type { Message } from '../../src-shared/views/campaigns';
import { type FaultRule, GMAIL_REPLIES, type TestGmail } from '../support/test-gmail';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, drain, recipientsCsv } from '../support/test-engine';
import { COOLING_MS } from '../../src-main/engine/accounts/account-state';
import { DAY, HOUR } from '../../src-main/engine/core/clock';

let setup: TestSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

const MINUTE = 60_000;
const COOLING = COOLING_MS;

const [ALICE, BOB] = [TEST_ACCOUNTS[0]!, TEST_ACCOUNTS[1]!];
const iso = (ms: number) => new Date(ms).toISOString();
/** nodemailer's words when the socket dies without a reply. */
const DROPPED = 'Connection closed unexpectedly';

type AccountEvent = { accountId: number; state: string; explanation?: string };

/** Two accounts (alice, bob), a queued campaign of `n` recipients r1…rn@example.com. */
async function startCampaign(n: number, options: Parameters<typeof createTestEngine>[0] = {}) {
  setup = await createTestEngine({ accounts: [ALICE, BOB], ...options });
  const { engine } = setup;
  const accountEvents: AccountEvent[] = [];
  engine.events.on('account', (e) => accountEvents.push(e));
  const { campaign } = await engine.campaigns.create({
    name: 'Club news',
    subject: 'Hello {{first_name}}',
    text: 'Dear {{first_name}}, the club meets on Friday.',
    csv: recipientsCsv(n),
  });
  expect((await engine.campaigns.queue({ id: campaign.id })).queued).toBe(n);
  const ids = await accountIds(engine);
  return { ...setup, campaignId: campaign.id, alice: ids.alice, bob: ids.bob, accountEvents };
}

async function accountIds(engine: Engine) {
  const list = await engine.accounts.list();
  return { alice: list.find((a) => a.email === ALICE.email)!.id, bob: list.find((a) => a.email === BOB.email)!.id };
}

async function account(engine: Engine, id: number): Promise<Account> {
  return (await engine.accounts.list()).find((a) => a.id === id)!;
}

async function messages(engine: Engine, campaignId: number): Promise<Map<string, Message>> {
  const { items } = await engine.campaigns.messages({ id: campaignId, limit: 1000 });
  return new Map(items.map((m) => [m.email.replace('@example.com', ''), m]));
}

function deliveredTo(gmail: TestGmail, account?: string): string[] {
  return (account ? gmail.acceptedBy(account) : gmail.accepted).map((m) => m.envelope.to[0]!.replace('@example.com', ''));
}

/** What Gmail does when its connections sit idle for a few minutes: they are closed, the next send logs in again. */
function closeConnections(engine: Engine): void {
  engine.internals.ctx.mailer.closeAll();
}

// ---------------------------------------------------------------------------------------------

interface AccountRow {
  name: string;
  /** Scripts the fault for alice, whose turn comes first (lowest id, nothing sent yet). */
  script(gmail: TestGmail): void;
  state: 'auth_failed' | 'cooling';
  code: string;
  response: string;
  explanation: RegExp;
}

const onAlice = (stage: FaultRule['stage'], fault: FaultRule['fault']) => (gmail: TestGmail) =>
  gmail.fail({ stage, account: ALICE.email, fault });

const ACCOUNT_ROWS: AccountRow[] = [
  {
    name: '535 5.7.8 (app password revoked) at AUTH',
    script: (gmail) => gmail.setPassword(ALICE.email, 'revokedrevokedre'),
    state: 'auth_failed',
    code: '5.7.8',
    response: GMAIL_REPLIES.badCredentials,
    explanation: /app password/i,
  },
  {
    name: '534 5.7.9 (application-specific password required) at AUTH',
    script: onAlice('auth', { reply: GMAIL_REPLIES.appPasswordRequired }),
    state: 'auth_failed',
    code: '5.7.9',
    response: GMAIL_REPLIES.appPasswordRequired,
    explanation: /app password/i,
  },
  {
    name: '534 5.7.14 (log in through your web browser) at AUTH',
    script: onAlice('auth', { reply: GMAIL_REPLIES.webLoginRequired }),
    state: 'auth_failed',
    code: '5.7.14',
    response: GMAIL_REPLIES.webLoginRequired,
    explanation: /web browser/i,
  },
  {
    name: '553 5.7.1 (sender not owned) at MAIL FROM',
    script: onAlice('mail', { reply: GMAIL_REPLIES.senderNotOwned }),
    state: 'auth_failed',
    code: '5.7.1',
    response: GMAIL_REPLIES.senderNotOwned,
    explanation: /account/i,
  },
  {
    name: '454 4.7.0 (too many login attempts) at AUTH',
    script: onAlice('auth', { reply: GMAIL_REPLIES.tooManyLogins }),
    state: 'cooling',
    code: '4.7.0',
    response: GMAIL_REPLIES.tooManyLogins,
    explanation: /15 minutes/,
  },
  {
    name: '421 4.7.0 (try again later) as the greeting',
    // No account is known when the greeting goes out: the first connection (alice's) gets it.
    script: (gmail) => gmail.fail({ stage: 'connect', times: 1, fault: { reply: GMAIL_REPLIES.tryAgainLater } }),
    state: 'cooling',
    code: '4.7.0',
    response: GMAIL_REPLIES.tryAgainLater,
    explanation: /15 minutes/,
  },
  {
    name: '421 4.7.28 (unusual rate) at MAIL FROM',
    script: onAlice('mail', { reply: GMAIL_REPLIES.unsolicitedRate }),
    state: 'cooling',
    code: '4.7.28',
    response: GMAIL_REPLIES.unsolicitedRate,
    explanation: /unusual rate/i,
  },
  {
    name: '421 4.7.0 at RCPT TO (nodemailer: ECONNECTION with the 421)',
    script: onAlice('rcpt', { reply: GMAIL_REPLIES.tryAgainLater }),
    state: 'cooling',
    code: '4.7.0',
    response: GMAIL_REPLIES.tryAgainLater,
    explanation: /15 minutes/,
  },
  ...(['auth', 'mail', 'rcpt', 'data'] as const).map(
    (stage): AccountRow => ({
      name: `connection dropped at ${stage.toUpperCase()}, before the message data`,
      script: onAlice(stage, { drop: 'before-data' }),
      state: 'cooling',
      code: 'ECONNECTION',
      response: DROPPED,
      explanation: /before the message was sent.*15 minutes|15 minutes.*nothing was lost/i,
    }),
  ),
];

describe('replies about the account: the account stops, the message goes back without using an attempt', () => {
  it.each(ACCOUNT_ROWS)('$name → $state', async (row) => {
    const { engine, gmail, campaignId, alice, bob, accountEvents } = await startCampaign(4);
    row.script(gmail);

    // Alice's turn comes first (r1): refused; her r3 goes to bob in the same batch.
    const first = await engine.runBatchNow();
    expect(first).toMatchObject({ claimed: 4, sent: 3, requeued: 1, failed: 0, retrying: 0, inDoubt: 0 });
    let byEmail = await messages(engine, campaignId);
    expect(byEmail.get('r1')).toMatchObject({
      status: 'queued',
      attempts: 0,
      lastError: { code: row.code, response: row.response },
    });
    expect(byEmail.get('r1')!.lastError!.explanation).toMatch(row.explanation);
    for (const r of ['r2', 'r3', 'r4']) expect(byEmail.get(r)).toMatchObject({ status: 'sent', accountId: bob, attempts: 1 });

    const a = await account(engine, alice);
    expect(a.state).toBe(row.state);
    expect(a.stateDetail).toMatchObject({ code: row.code, response: row.response });
    expect(a.stateDetail!.explanation).toMatch(row.explanation);
    if (row.state === 'cooling') {
      // r1 was the batch's first message: the refusal came at the batch's start time.
      expect(a.stateUntil).toBe(iso(first!.startedAt + COOLING));
    } else {
      expect(a.stateUntil).toBeUndefined();
      // "notify": the account's change is announced with the reason in words.
      expect(accountEvents).toContainEqual(expect.objectContaining({ accountId: alice, state: 'auth_failed' }));
      expect(accountEvents.find((e) => e.state === 'auth_failed')!.explanation).toMatch(row.explanation);
    }
    expect((await account(engine, bob)).state).toBe('ok');
    // The cap only counts what went out: alice's refused send gave its slot back.
    expect((await account(engine, alice)).sentLast24h).toBe(0);

    // The next batch gives r1 to bob; alice is not tried again.
    const loginsBefore = gmail.logins.filter((l) => l.account === ALICE.email).length;
    expect(await engine.runBatchNow()).toMatchObject({ claimed: 1, sent: 1 });
    byEmail = await messages(engine, campaignId);
    expect(byEmail.get('r1')).toMatchObject({ status: 'sent', accountId: bob, attempts: 1 });
    expect(byEmail.get('r1')!.lastError).toBeUndefined();
    expect(gmail.logins.filter((l) => l.account === ALICE.email)).toHaveLength(loginsBefore);
    expect(deliveredTo(gmail, ALICE.email)).toEqual([]);
    expect(deliveredTo(gmail).sort()).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(gmail.receivedButUnacknowledged).toHaveLength(0);
    expect((await engine.suppressions.list()).total).toBe(0);
    expect((await engine.campaigns.get({ id: campaignId })).status).toBe('completed');
  });
});

// ---------------------------------------------------------------------------------------------

interface MessageRow {
  name: string;
  stage: 'rcpt' | 'data';
  reply: string;
  status: 'retry_wait' | 'failed';
  code: string;
  explanation: RegExp;
  bounced?: boolean;
}

const MESSAGE_ROWS: MessageRow[] = [
  {
    name: '450 4.2.1 (recipient receiving too fast) at RCPT TO',
    stage: 'rcpt',
    reply: GMAIL_REPLIES.recipientRateLimited,
    status: 'retry_wait',
    code: '4.2.1',
    explanation: /try again/i,
  },
  {
    name: '451 4.3.0 (temporarily rejected) after DATA',
    stage: 'data',
    reply: GMAIL_REPLIES.temporarilyRejected,
    status: 'retry_wait',
    code: '4.3.0',
    explanation: /try again/i,
  },
  {
    name: '452 4.5.3 (too many recipients) after DATA',
    stage: 'data',
    reply: GMAIL_REPLIES.tooManyRecipients,
    status: 'retry_wait',
    code: '4.5.3',
    explanation: /try again/i,
  },
  {
    name: '550 5.1.1 (no such user) at RCPT TO',
    stage: 'rcpt',
    reply: GMAIL_REPLIES.noSuchUser,
    status: 'failed',
    code: '5.1.1',
    explanation: /does not exist.*suppression list/i,
    bounced: true,
  },
  {
    name: '550 5.2.1 (account disabled) at RCPT TO',
    stage: 'rcpt',
    reply: '550 5.2.1 The email account that you tried to reach is disabled.',
    status: 'failed',
    code: '5.2.1',
    explanation: /suppression list/i,
    bounced: true,
  },
  {
    name: '553 5.1.3 (not a valid address) at RCPT TO',
    stage: 'rcpt',
    reply: '553 5.1.3 The recipient address <r1@example.com> is not a valid RFC 5321 address.',
    status: 'failed',
    code: '5.1.3',
    explanation: /suppression list/i,
    bounced: true,
  },
  {
    name: '552 5.3.4 (message too large) after DATA',
    stage: 'data',
    reply: GMAIL_REPLIES.messageTooBig,
    status: 'failed',
    code: '5.3.4',
    explanation: /too large/i,
  },
  {
    name: '552 5.2.2 (mailbox full) at RCPT TO',
    stage: 'rcpt',
    reply: '552 5.2.2 The email account that you tried to reach is over quota.',
    status: 'failed',
    code: '5.2.2',
    explanation: /refused/i,
  },
  {
    name: '550 5.7.1 (likely unsolicited) after DATA, once',
    stage: 'data',
    reply: GMAIL_REPLIES.likelySpam,
    status: 'failed',
    code: '5.7.1',
    explanation: /unsolicited/i,
  },
];

describe('replies about one message: the account carries on', () => {
  it.each(MESSAGE_ROWS)('$name → $status', async (row) => {
    const { engine, gmail, campaignId, alice, bob } = await startCampaign(4);
    gmail.fail({ stage: row.stage, rcpt: 'r1@example.com', times: 1, fault: { reply: row.reply } });

    expect(await engine.runBatchNow()).toMatchObject({
      claimed: 4,
      sent: 3,
      requeued: 0,
      failed: row.status === 'failed' ? 1 : 0,
      retrying: row.status === 'retry_wait' ? 1 : 0,
    });
    const r1 = (await messages(engine, campaignId)).get('r1')!;
    expect(r1).toMatchObject({ status: row.status, attempts: 1, lastError: { code: row.code, response: row.reply } });
    expect(r1.lastError!.explanation).toMatch(row.explanation);
    // Neither account is blamed: both stay usable, and alice went on to send r3.
    for (const id of [alice, bob]) expect((await account(engine, id)).state).toBe('ok');
    expect(deliveredTo(gmail, ALICE.email)).toEqual(['r3']);

    const suppressions = await engine.suppressions.list();
    if (row.bounced) {
      expect(suppressions.items).toEqual([
        expect.objectContaining({ email: 'r1@example.com', reason: 'bounced', detail: expect.stringContaining(row.code) }),
      ]);
      // Never sent to again: a later campaign skips the address at import.
      const next = await engine.campaigns.create({ name: 'Next', subject: 's', text: 't', csv: recipientsCsv(2) });
      expect(next.report).toMatchObject({ imported: 1, suppressed: 1 });
    } else {
      expect(suppressions.total).toBe(0);
    }

    // No batch re-sends it by itself; only the retry job brings a temporary failure back.
    expect(await engine.runBatchNow()).toBeUndefined();
    const retry = await engine.runRetryNow();
    expect(retry).toEqual({ requeued: row.status === 'retry_wait' ? 1 : 0, gaveUp: 0 });
    await drain(engine);
    const after = (await messages(engine, campaignId)).get('r1')!;
    const campaign = await engine.campaigns.get({ id: campaignId });
    if (row.status === 'retry_wait') {
      expect(after).toMatchObject({ status: 'sent', attempts: 2 }); // the refused try and the one that went
      expect(deliveredTo(gmail).filter((r) => r === 'r1')).toHaveLength(1);
      expect(campaign.counts).toMatchObject({ sent: 4, failed: 0 });
    } else {
      expect(after).toMatchObject({ status: 'failed', attempts: 1 });
      expect(deliveredTo(gmail)).not.toContain('r1');
      expect(campaign.counts).toMatchObject({ sent: 3, failed: 1 });
    }
    expect(campaign.status).toBe('completed');
  });
});

// ---------------------------------------------------------------------------------------------

describe('550 5.7.1 policy blocks pause the campaign after three in a row', () => {
  const block = (gmail: TestGmail, ...recipients: string[]) => {
    for (const r of recipients) gmail.fail({ stage: 'data', rcpt: `${r}@example.com`, fault: { reply: GMAIL_REPLIES.likelySpam } });
  };

  it('three in a row: the campaign is paused with the reason, the rest stays queued until resumed', async () => {
    const { engine, gmail, campaignId, alice, bob } = await startCampaign(6);
    block(gmail, 'r1', 'r2', 'r3'); // across both accounts: it is the campaign's content that is refused

    expect(await engine.runBatchNow()).toMatchObject({ claimed: 6, sent: 0, failed: 3, requeued: 3 });
    const campaign = await engine.campaigns.get({ id: campaignId });
    expect(campaign.status).toBe('paused');
    expect(campaign.statusDetail).toMatch(/3 messages in a row were blocked as unsolicited/);
    expect(campaign.statusDetail).toContain(GMAIL_REPLIES.likelySpam);
    expect(campaign.counts).toMatchObject({ failed: 3, queued: 3, sending: 0, sent: 0 });
    const byEmail = await messages(engine, campaignId);
    for (const r of ['r1', 'r2', 'r3']) {
      expect(byEmail.get(r)).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastError: { code: '5.7.1', response: GMAIL_REPLIES.likelySpam },
      });
    }
    for (const r of ['r4', 'r5', 'r6']) expect(byEmail.get(r)).toMatchObject({ status: 'queued', attempts: 0 });
    for (const id of [alice, bob]) expect((await account(engine, id)).state).toBe('ok');

    // Paused: the next batches pass it over.
    expect(await engine.runBatchNow()).toBeUndefined();
    expect(gmail.accepted).toHaveLength(0);

    // The user reviews and resumes: the rest goes out.
    gmail.clearFaults();
    await engine.campaigns.resume({ id: campaignId });
    await drain(engine);
    expect(deliveredTo(gmail).sort()).toEqual(['r4', 'r5', 'r6']);
    expect((await engine.campaigns.get({ id: campaignId })).status).toBe('completed');
  });

  it('two in a row do not pause it, and a success in between resets the count', async () => {
    const { engine, gmail, campaignId } = await startCampaign(6);
    block(gmail, 'r1', 'r2', 'r4', 'r5'); // r3 and r6 get through

    expect(await engine.runBatchNow()).toMatchObject({ claimed: 6, sent: 2, failed: 4, requeued: 0 });
    const campaign = await engine.campaigns.get({ id: campaignId });
    expect(campaign.status).toBe('completed');
    expect(campaign.statusDetail).toBeUndefined();
    expect(campaign.counts).toMatchObject({ sent: 2, failed: 4 });
    expect(deliveredTo(gmail)).toEqual(['r3', 'r6']);
  });

  it('the count carries across batches: two, then a third in the next batch, pauses', async () => {
    const { engine, gmail, campaignId } = await startCampaign(6, { settings: { batchSize: 2 } });
    block(gmail, 'r1', 'r2', 'r3');
    expect(await engine.runBatchNow()).toMatchObject({ claimed: 2, failed: 2 });
    expect((await engine.campaigns.get({ id: campaignId })).status).toBe('sending');
    expect(await engine.runBatchNow()).toMatchObject({ claimed: 2, failed: 1, requeued: 1 });
    expect((await engine.campaigns.get({ id: campaignId })).status).toBe('paused');
    expect(gmail.accepted).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the connection is lost after the message data: in doubt', () => {
  it('a drop after the final dot: in_doubt, never re-sent by batches or the retry job, resent only on purpose', async () => {
    const { engine, gmail, campaignId, bob, clock } = await startCampaign(4);
    gmail.fail({ stage: 'data', rcpt: 'r2@example.com', times: 1, fault: { drop: 'after-data' } });

    expect(await engine.runBatchNow()).toMatchObject({ claimed: 4, sent: 3, inDoubt: 1, requeued: 0 });
    let r2 = (await messages(engine, campaignId)).get('r2')!;
    expect(r2).toMatchObject({ status: 'in_doubt', attempts: 1, accountId: bob, lastError: { code: 'ECONNECTION', response: DROPPED } });
    expect(r2.lastError!.explanation).toMatch(/may have arrived/);
    // Gmail did get it in full.
    expect(gmail.receivedButUnacknowledged.map((m) => m.envelope.to[0])).toEqual(['r2@example.com']);
    expect(gmail.receivedButUnacknowledged[0]!.messageId).toBe(r2.messageId);
    // Not the account's fault; and since it may have gone out, it counts against bob's cap.
    const b = await account(engine, bob);
    expect(b.state).toBe('ok');
    expect(b.sentLast24h).toBe(2);
    const campaign = await engine.campaigns.get({ id: campaignId });
    expect(campaign.counts).toMatchObject({ sent: 3, in_doubt: 1, queued: 0, sending: 0 });
    expect(campaign.status).toBe('completed');

    // Batches, the retry job, and time passing leave it alone.
    expect(await drain(engine)).toBe(0);
    expect(await engine.runRetryNow()).toEqual({ requeued: 0, gaveUp: 0 });
    clock.advance(DAY);
    expect(await engine.runRetryNow()).toEqual({ requeued: 0, gaveUp: 0 });
    expect(await drain(engine)).toBe(0);
    expect(deliveredTo(gmail)).not.toContain('r2');
    expect((await messages(engine, campaignId)).get('r2')!.status).toBe('in_doubt');

    // The user chooses to resend it: same Message-ID, so a receiving server can tell it is the same message.
    expect(await engine.campaigns.resendInDoubt({ id: campaignId })).toMatchObject({ requeued: 1 });
    await drain(engine);
    r2 = (await messages(engine, campaignId)).get('r2')!;
    expect(r2.status).toBe('sent');
    const resent = gmail.accepted.filter((m) => m.envelope.to[0] === 'r2@example.com');
    expect(resent).toHaveLength(1);
    expect(resent[0]!.messageId).toBe(gmail.receivedButUnacknowledged[0]!.messageId);
  });

  it('resending an in-doubt message keeps its first attempt counted against the cap, even if the resend is refused', async () => {
    const { engine, gmail, campaignId, bob } = await startCampaign(2);
    gmail.fail({ stage: 'data', rcpt: 'r2@example.com', times: 1, fault: { drop: 'after-data' } });
    await engine.runBatchNow();
    const firstAttemptAt = setup!.clock.now();
    expect((await account(engine, bob)).sentLast24h).toBe(1);

    gmail.fail({ stage: 'rcpt', rcpt: 'r2@example.com', times: 1, fault: { reply: GMAIL_REPLIES.recipientRateLimited } });
    await engine.campaigns.resendInDoubt({ id: campaignId });
    setup!.clock.advance(HOUR);
    expect(await engine.runBatchNow()).toMatchObject({ claimed: 1, retrying: 1 });
    // Gmail has r2's first copy from bob: it still counts, from when it was sent.
    const accounts = await engine.accounts.list();
    expect(accounts.reduce((sum, a) => sum + a.sentLast24h, 0)).toBe(2);
    const b = await account(engine, bob);
    expect(b.sentLast24h).toBe(1);
    expect(b.nextSlotAt).toBe(iso(firstAttemptAt + DAY));
  });

  it('no answer after the final dot (timeout): in_doubt too', async () => {
    const { engine, gmail, campaignId, alice } = await startCampaign(2, {
      smtpTimeouts: { connectionMs: 2000, socketMs: 400, idleMs: 60_000 },
    });
    gmail.fail({ stage: 'data', rcpt: 'r1@example.com', times: 1, fault: { stall: 'after-data' } });

    expect(await engine.runBatchNow()).toMatchObject({ claimed: 2, sent: 1, inDoubt: 1 });
    const r1 = (await messages(engine, campaignId)).get('r1')!;
    expect(r1).toMatchObject({ status: 'in_doubt', attempts: 1, accountId: alice, lastError: { code: 'ETIMEDOUT' } });
    expect(r1.lastError!.explanation).toMatch(/may have arrived/);
    expect(gmail.receivedButUnacknowledged.map((m) => m.envelope.to[0])).toEqual(['r1@example.com']);
    expect(await engine.runRetryNow()).toEqual({ requeued: 0, gaveUp: 0 });
    expect(await drain(engine)).toBe(0);
    expect(deliveredTo(gmail)).toEqual(['r2']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('a revoked app password in the middle of a campaign', () => {
  it('the account needs the user; its messages go to the other account; a new app password makes it usable again', async () => {
    const { engine, gmail, campaignId, alice, bob, accountEvents } = await startCampaign(8, { settings: { batchSize: 4 } });

    expect(await engine.runBatchNow()).toMatchObject({ sent: 4 });
    expect(deliveredTo(gmail, ALICE.email)).toEqual(['r1', 'r3']);

    // The user revokes alice's app password; her connection is gone by the next login.
    gmail.setPassword(ALICE.email, 'revokedrevokedre');
    closeConnections(engine);

    expect(await engine.runBatchNow()).toMatchObject({ claimed: 4, sent: 3, requeued: 1, failed: 0 });
    let a = await account(engine, alice);
    expect(a.state).toBe('auth_failed');
    expect(a.stateDetail).toMatchObject({ code: '5.7.8', response: GMAIL_REPLIES.badCredentials });
    expect(a.stateDetail!.explanation).toMatch(/new app password/i);
    expect(accountEvents).toContainEqual(expect.objectContaining({ accountId: alice, state: 'auth_failed' }));
    let byEmail = await messages(engine, campaignId);
    expect(byEmail.get('r5')).toMatchObject({ status: 'queued', attempts: 0, lastError: { code: '5.7.8' } });
    // r7 was alice's too: it went to bob in the same batch.
    expect(byEmail.get('r7')).toMatchObject({ status: 'sent', accountId: bob, attempts: 1 });

    // The account stays out (it is not retried every batch); r5 goes with bob in the next one.
    const aliceLogins = () => gmail.logins.filter((l) => l.account === ALICE.email).length;
    const loginsBefore = aliceLogins();
    await drain(engine);
    expect(aliceLogins()).toBe(loginsBefore);
    byEmail = await messages(engine, campaignId);
    expect(byEmail.get('r5')).toMatchObject({ status: 'sent', accountId: bob, attempts: 1 });
    expect([...byEmail.values()].every((m) => m.status === 'sent' && m.attempts === 1)).toBe(true); // one attempt each: the refused logins used none
    expect(deliveredTo(gmail).sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8']);
    expect((await engine.sending.status()).capacityLeft).toBe((await account(engine, bob)).remaining);

    // A wrong new password is refused and changes nothing.
    await expect(engine.accounts.update({ id: alice, appPassword: 'stillwrongstillw' })).rejects.toMatchObject({ code: 'login_failed' });
    expect((await account(engine, alice)).state).toBe('auth_failed');

    // The user creates a new app password and enters it: alice is ok and used again.
    gmail.setPassword(ALICE.email, 'newnewnewnewnewn');
    a = await engine.accounts.update({ id: alice, appPassword: 'newnewnewnewnewn' });
    expect(a.state).toBe('ok');
    expect(a.stateDetail).toBeUndefined();
    const { campaign: next } = await engine.campaigns.create({ name: 'More', subject: 's', text: 't', csv: recipientsCsv(2, 'more.test') });
    await engine.campaigns.queue({ id: next.id });
    await drain(engine);
    expect(gmail.acceptedBy(ALICE.email).map((m) => m.envelope.to[0])).toContain('r1@more.test');
  });
});

// ---------------------------------------------------------------------------------------------

describe("Gmail's own daily limit (550 5.4.5)", () => {
  it('the account is limit_reached until its oldest send turns 24 h old; the message goes back and another account sends it', async () => {
    // Trickle's cap (100) is above what Gmail allows this account today (2).
    const { engine, gmail, clock, campaignId, alice, bob } = await startCampaign(8, { settings: { batchSize: 2 } });
    gmail.setDailyLimit(ALICE.email, 2);

    // Alice sends r1 now and r3 an hour later, then Gmail refuses her third.
    expect(await engine.runBatchNow()).toMatchObject({ sent: 2 });
    clock.advance(HOUR);
    expect(await engine.runBatchNow()).toMatchObject({ sent: 2 });
    expect(deliveredTo(gmail, ALICE.email)).toEqual(['r1', 'r3']);
    const aliceFirstSend = Date.parse((await messages(engine, campaignId)).get('r1')!.sentAt!);
    clock.advance(HOUR);
    const refusedAt = clock.now();
    expect(await engine.runBatchNow()).toMatchObject({ claimed: 2, sent: 1, requeued: 1, failed: 0 });

    let byEmail = await messages(engine, campaignId);
    expect(byEmail.get('r5')).toMatchObject({
      status: 'queued',
      attempts: 0,
      lastError: { code: '5.4.5', response: GMAIL_REPLIES.dailyLimit },
    });
    expect(byEmail.get('r5')!.lastError!.explanation).toMatch(/daily sending limit/i);
    const a = await account(engine, alice);
    expect(a.state).toBe('limit_reached');
    expect(a.stateDetail).toMatchObject({ code: '5.4.5', response: GMAIL_REPLIES.dailyLimit });
    expect(a.stateUntil).toBe(iso(aliceFirstSend + DAY));
    expect(Date.parse(a.stateUntil!)).toBeGreaterThanOrEqual(refusedAt + HOUR);
    expect(a.sentLast24h).toBe(2); // the refused one is not counted

    // The rest, r5 included, goes through bob; alice is not tried while limited.
    const aliceLogins = () => gmail.logins.filter((l) => l.account === ALICE.email).length;
    const loginsBefore = aliceLogins();
    await drain(engine);
    byEmail = await messages(engine, campaignId);
    expect(byEmail.get('r5')).toMatchObject({ status: 'sent', accountId: bob, attempts: 1 });
    expect(deliveredTo(gmail, BOB.email).sort()).toEqual(['r2', 'r4', 'r5', 'r6', 'r7', 'r8']);
    expect(aliceLogins()).toBe(loginsBefore);
    expect((await engine.campaigns.get({ id: campaignId })).status).toBe('completed');

    // A minute before the slot frees she is still limited; at that time she is usable again.
    clock.set(Date.parse(a.stateUntil!) - MINUTE);
    expect((await account(engine, alice)).state).toBe('limit_reached');
    clock.set(Date.parse(a.stateUntil!));
    gmail.resetDay();
    expect((await account(engine, alice)).state).toBe('ok');
    const { campaign: next } = await engine.campaigns.create({
      name: 'Next day',
      subject: 's',
      text: 't',
      csv: recipientsCsv(1, 'next.test'),
    });
    await engine.campaigns.queue({ id: next.id });
    await drain(engine);
    expect(gmail.acceptedBy(ALICE.email).map((m) => m.envelope.to[0])).toContain('r1@next.test');
  });

  it('with no send of its own in the last 24 h (Gmail counted mail sent elsewhere), the account waits 1 hour', async () => {
    const { engine, gmail, campaignId, alice, bob } = await startCampaign(4);
    gmail.setDailyLimit(ALICE.email, 0);

    const first = await engine.runBatchNow();
    expect(first).toMatchObject({ claimed: 4, sent: 3, requeued: 1 });
    const a = await account(engine, alice);
    expect(a.state).toBe('limit_reached');
    expect(a.sentLast24h).toBe(0);
    expect(a.nextSlotAt).toBeUndefined();
    expect(a.stateUntil).toBe(iso(first!.startedAt + HOUR));
    await drain(engine);
    expect((await messages(engine, campaignId)).get('r1')).toMatchObject({ status: 'sent', accountId: bob, attempts: 1 });
  });
});

// ---------------------------------------------------------------------------------------------

describe('cooling ends by itself', () => {
  it('after 15 minutes the account is ok again and used; before that it is left alone', async () => {
    const { engine, gmail, clock, campaignId, alice } = await startCampaign(12, { settings: { batchSize: 4 } });
    gmail.fail({ stage: 'connect', times: 1, fault: { reply: GMAIL_REPLIES.tryAgainLater } });

    const first = await engine.runBatchNow();
    expect(first).toMatchObject({ claimed: 4, sent: 3, requeued: 1 });
    const until = Date.parse((await account(engine, alice)).stateUntil!);
    expect(until).toBe(first!.startedAt + COOLING);

    // While cooling, everything goes through bob.
    expect(await engine.runBatchNow()).toMatchObject({ sent: 4 });
    clock.set(until - MINUTE);
    expect((await account(engine, alice)).state).toBe('cooling');
    expect(await engine.runBatchNow()).toMatchObject({ sent: 4 });
    expect(deliveredTo(gmail, ALICE.email)).toEqual([]);

    clock.set(until);
    const a = await account(engine, alice);
    expect(a.state).toBe('ok');
    expect(a.stateUntil).toBeUndefined();
    expect(a.stateDetail).toBeUndefined();
    expect(await engine.runBatchNow()).toMatchObject({ sent: 1 });
    expect(deliveredTo(gmail, ALICE.email)).toEqual(['r12']);
    const counts = (await engine.campaigns.get({ id: campaignId })).counts;
    expect(counts).toMatchObject({ sent: 12, queued: 0 });
  });

  it('with the only account cooling, the status says why and when sending resumes', async () => {
    setup = await createTestEngine({ accounts: [ALICE] });
    const { engine, gmail } = setup;
    const { campaign } = await engine.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(3) });
    await engine.campaigns.queue({ id: campaign.id });
    gmail.fail({ stage: 'mail', times: 1, account: ALICE.email, fault: { reply: GMAIL_REPLIES.unsolicitedRate } });

    expect(await engine.runBatchNow()).toMatchObject({ claimed: 3, sent: 0, requeued: 3 });
    const counts = (await engine.campaigns.get({ id: campaign.id })).counts;
    expect(counts).toMatchObject({ queued: 3, sending: 0, failed: 0 });
    const status = await engine.sending.status();
    expect(status.waitingReason).toMatch(/cooling down/);
    const [a] = await engine.accounts.list();
    expect(status.resumesAt).toBe(a!.stateUntil);
    expect(await engine.runBatchNow()).toBeUndefined();

    setup.clock.set(Date.parse(a!.stateUntil!));
    await drain(engine);
    expect(gmail.accepted).toHaveLength(3);
  });
});
