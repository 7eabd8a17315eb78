import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Dovecot, startDovecot } from '../support/dovecot';
import { sampleMail } from '../support/mail-samples';
import { type TestSetup, createTestEngine, drain } from '../support/test-engine';
import type { TestGmailAccount } from '../support/test-gmail';

/**
 * Unsubscribe requests, replies and auto-replies in the sending account's inbox (PRODUCT.md
 * §5b): a request suppresses the address at once; a reply marks its message; an auto-reply is
 * counted apart, never as a reply.
 */

let dovecot: Dovecot;
beforeAll(async () => {
  dovecot = await startDovecot();
}, 600_000);
afterAll(() => dovecot?.close());

let setup: TestSetup;
afterEach(async () => setup?.close());

let n = 0;
function freshAccount(): TestGmailAccount & { dailyCap: number } {
  n++;
  return { email: `club${n}@gmail.test`, appPassword: `pass${String(n).padStart(12, 'y')}`, dailyCap: 500 };
}

async function sendCampaign(recipients: string[], options: { name?: string; replyTo?: string } = {}) {
  const csv = ['email', ...recipients].join('\n');
  const name = options.name ?? 'Spring meeting';
  const { campaign } = await setup.engine.campaigns.create({
    name,
    subject: name,
    text: 'See you on Saturday.',
    csv,
    ...(options.replyTo ? { replyTo: options.replyTo } : {}),
  });
  await setup.engine.campaigns.queue({ id: campaign.id });
  await drain(setup.engine);
  await setup.gmail.mailboxIdle();
  return campaign.id;
}

const messageTo = async (campaignId: number, email: string) =>
  (await setup.engine.campaigns.messages({ id: campaignId, limit: 1000 })).items.find((m) => m.email === email)!;

describe('unsubscribe requests', () => {
  it('a reply saying "Unsubscribe" suppresses the address at once, marks the message, and shows where it came from', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    const id = await sendCampaign(['ann@example.org', 'ben@example.org']);
    const toAnn = setup.gmail.acceptedBy(alice.email).find((m) => m.envelope.to[0] === 'ann@example.org')!;
    await setup.gmail.answer(toAnn, 'reply', { FIRST_LINE: 'Unsubscribe' });
    await setup.gmail.mailboxIdle();
    // A second campaign to ann is queued before the look: it must not reach her.
    const later = await setup.engine.campaigns.create({
      name: 'Later',
      subject: 'Later',
      text: 'x',
      csv: 'email\nann@example.org\nben@example.org',
    });
    await setup.engine.campaigns.queue({ id: later.campaign.id });

    const accountId = (await setup.engine.accounts.list())[0]!.id;
    expect(await setup.engine.accounts.checkInbox({ id: accountId })).toMatchObject({ unsubscribes: 1, replies: 0 });
    expect((await messageTo(id, 'ann@example.org')).unsubscribedAt).toBe(new Date(setup.clock.now()).toISOString());
    expect((await messageTo(id, 'ann@example.org')).repliedAt).toBeUndefined();
    expect((await setup.engine.campaigns.get({ id })).replies).toEqual({ replied: 0, autoReplied: 0, unsubscribed: 1 });
    expect((await setup.engine.suppressions.list()).items).toEqual([
      expect.objectContaining({
        email: 'ann@example.org',
        reason: 'unsubscribed',
        detail: `Asked to unsubscribe by email to ${alice.email}: “Unsubscribe”`,
        source: { account: alice.email, campaignId: id, campaignName: 'Spring meeting' },
      }),
    ]);
    await drain(setup.engine);
    expect(setup.gmail.acceptedBy(alice.email).filter((m) => m.envelope.to[0] === 'ann@example.org')).toHaveLength(1);
    expect((await messageTo(later.campaign.id, 'ann@example.org')).status).toBe('skipped');
    expect((await messageTo(later.campaign.id, 'ben@example.org')).status).toBe('sent');
  });

  it('a message to the List-Unsubscribe address is recognised by its token, with no subject and no text, even when replies go to another address', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    const id = await sendCampaign(['ann@example.org'], { replyTo: 'office@club.example' });
    const toAnn = setup.gmail.acceptedBy(alice.email)[0]!;
    const header = toAnn.headers.get('list-unsubscribe')!;
    // The mailto points at the sending account (whose inbox Trickle reads), with the message's token.
    expect(header).toMatch(new RegExp(`^<mailto:${alice.email.replace('@', '\\+unsub-[0-9a-f]{16}-\\d+@')}\\?subject=unsubscribe>$`));
    await setup.gmail.answer(toAnn, 'unsubscribe-token', { REPLIER: 'ann.private@elsewhere.example' });
    await setup.gmail.mailboxIdle();
    await setup.engine.runInboxChecksNow();
    // The recipient is suppressed, and so is the address that asked.
    expect((await setup.engine.suppressions.list()).items.map((s) => [s.email, s.reason, s.detail])).toEqual(
      expect.arrayContaining([
        ['ann@example.org', 'unsubscribed', `Asked to unsubscribe by email to ${alice.email} (by its unsubscribe link)`],
        ['ann.private@elsewhere.example', 'unsubscribed', `Asked to unsubscribe by email to ${alice.email} (by its unsubscribe link)`],
      ]),
    );
    expect((await messageTo(id, 'ann@example.org')).unsubscribedAt).toBeDefined();
  });

  it('"Unsubscribe" as the subject, to the plain address, from someone this account wrote to', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    const id = await sendCampaign(['ann@example.org']);
    await setup.gmail.deliver(alice.email, sampleMail('unsubscribe-subject', { ACCOUNT: alice.email, REPLIER: 'ann@example.org' }));
    // The same from a stranger this account never wrote to: nothing to act on.
    await setup.gmail.deliver(alice.email, sampleMail('unsubscribe-subject', { ACCOUNT: alice.email, REPLIER: 'stranger@example.org' }));
    await setup.gmail.mailboxIdle();
    await setup.engine.runInboxChecksNow();
    expect((await setup.engine.suppressions.list()).items.map((s) => s.email)).toEqual(['ann@example.org']);
    expect((await messageTo(id, 'ann@example.org')).unsubscribedAt).toBeDefined();
  });

  it('an old request read again (the mailbox read from the start) does not undo the user putting the address back', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    await sendCampaign(['ann@example.org']);
    await setup.gmail.answer(setup.gmail.acceptedBy(alice.email)[0]!, 'reply', { FIRST_LINE: 'Unsubscribe' });
    await setup.gmail.mailboxIdle();
    const accountId = (await setup.engine.accounts.list())[0]!.id;
    expect((await setup.engine.accounts.checkInbox({ id: accountId })).unsubscribes).toBe(1);
    // Ann asked to be added back; the user removes her from the list.
    await setup.engine.suppressions.remove({ email: 'ann@example.org' });
    // The server renumbers the mailbox (a new UIDVALIDITY): every message is read again.
    await dovecot.renewUidValidity(alice.email);
    expect(await setup.engine.accounts.checkInbox({ id: accountId })).toEqual({
      bounces: 0,
      unsubscribes: 0,
      replies: 0,
      autoReplies: 0,
      settled: 0,
    });
    expect((await setup.engine.suppressions.list()).total).toBe(0);
  });
});

describe('replies and auto-replies', () => {
  it('a reply marks its message replied (with the time); an out-of-office is an auto-reply, never a reply; both are counted and filterable', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    const id = await sendCampaign(['ann@example.org', 'ben@example.org', 'cat@example.org']);
    const [toAnn, toBen, toCat] = setup.gmail.acceptedBy(alice.email);
    setup.clock.advance(3_600_000);
    const repliedAt = setup.clock.now();
    await setup.gmail.answer(toAnn!, 'reply', { FIRST_LINE: 'Thanks, see you on Saturday!' });
    await setup.gmail.answer(toBen!, 'out-of-office');
    await setup.gmail.answer(toCat!, 'vacation-subject-only');
    await setup.gmail.mailboxIdle();
    const accountId = (await setup.engine.accounts.list())[0]!.id;
    expect(await setup.engine.accounts.checkInbox({ id: accountId })).toEqual({
      bounces: 0,
      unsubscribes: 0,
      replies: 1,
      autoReplies: 2,
      settled: 0,
    });
    expect(await messageTo(id, 'ann@example.org')).toMatchObject({ status: 'sent', repliedAt: new Date(repliedAt).toISOString() });
    expect((await messageTo(id, 'ann@example.org')).autoRepliedAt).toBeUndefined();
    expect((await messageTo(id, 'ben@example.org')).repliedAt).toBeUndefined();
    expect((await messageTo(id, 'ben@example.org')).autoRepliedAt).toBeDefined();
    expect((await setup.engine.campaigns.get({ id })).replies).toEqual({ replied: 1, autoReplied: 2, unsubscribed: 0 });
    expect(await setup.engine.campaigns.messages({ id, mark: 'replied' })).toMatchObject({
      total: 1,
      items: [{ email: 'ann@example.org' }],
    });
    expect((await setup.engine.campaigns.messages({ id, mark: 'auto_replied' })).items.map((m) => m.email)).toEqual([
      'ben@example.org',
      'cat@example.org',
    ]);
    // Replies suppress nobody.
    expect((await setup.engine.suppressions.list()).total).toBe(0);
    // A second reply from ann changes nothing more.
    await setup.gmail.answer(toAnn!, 'reply', { FIRST_LINE: 'And one more thing.' });
    await setup.gmail.mailboxIdle();
    expect((await setup.engine.accounts.checkInbox({ id: accountId })).replies).toBe(0);
  });

  it('the export carries what came back', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    setup.gmail.bounce({ rcpt: 'gone@example.org' });
    const id = await sendCampaign(['ann@example.org', 'gone@example.org']);
    await setup.gmail.answer(setup.gmail.acceptedBy(alice.email)[0]!, 'reply');
    await setup.gmail.mailboxIdle();
    await setup.engine.runInboxChecksNow();
    const { csv } = await setup.engine.campaigns.export({ id });
    const [header, ann, gone] = csv.slice(1).trim().split('\r\n');
    expect(header).toBe(
      'row,email,status,attempts,sent_at_utc,account,message_id,error_code,server_reply,explanation,skip_reason,bounce_status,bounce_reply,bounce_explanation,bounced_at_utc,replied_at_utc,auto_replied_at_utc,unsubscribed_at_utc',
    );
    const at = new Date(setup.clock.now()).toISOString().replace('T', ' ').slice(0, 19);
    expect(ann!.endsWith(`,,,,,${at},,`)).toBe(true);
    expect(gone).toMatch(new RegExp(`,bounced,.*,5\\.1\\.1,550-5\\.1\\.1 The email account.*,"?The address does not exist.*,${at},,,$`));
  });
});

describe('the bounce alert', () => {
  it('tells the user once when a campaign’s bounces pass 5 % of what it sent', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    const alerts: unknown[] = [];
    setup.engine.events.on('bounces', (alert) => alerts.push(alert));
    const recipients = Array.from({ length: 20 }, (_, i) => `r${i + 1}@example.org`);
    setup.gmail.bounce({ rcpt: 'r3@example.org' });
    const id = await sendCampaign(recipients);
    await setup.engine.runInboxChecksNow();
    expect(alerts).toEqual([]); // 1 of 20: 5 %, not past it
    // Another notice comes later (Gmail's for r4): 2 of 20.
    const r4 = setup.gmail.acceptedBy(alice.email).find((m) => m.envelope.to[0] === 'r4@example.org')!;
    await setup.gmail.answer(r4, 'gmail-dsn');
    await setup.gmail.mailboxIdle();
    await setup.engine.runInboxChecksNow();
    expect(alerts).toEqual([{ campaignId: id, name: 'Spring meeting', bounced: 2, out: 20, percent: 10 }]);
    // Once.
    const r5 = setup.gmail.acceptedBy(alice.email).find((m) => m.envelope.to[0] === 'r5@example.org')!;
    await setup.gmail.answer(r5, 'gmail-dsn');
    await setup.gmail.mailboxIdle();
    await setup.engine.runInboxChecksNow();
    expect(alerts).toHaveLength(1);
    expect((await setup.engine.campaigns.get({ id })).counts.bounced).toBe(3);
  });
});
