import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Dovecot, startDovecot } from '../support/dovecot';
import { sampleMail } from '../support/mail-samples';
import { startTcpProxy } from '../support/tcp-proxy';
import { type TestSetup, createTestEngine, drain } from '../support/test-engine';
import type { TestGmailAccount } from '../support/test-gmail';
import { mailboxSnapshot } from '../support/mailbox-snapshot';

/**
 * Failure notices, read from the account's mailbox (PRODUCT.md §5b), against the test Gmail in
 * its real-Gmail behaviour: it accepts unknown recipients and reports them later in the inbox.
 * One Dovecot for the file; each test's accounts have mailboxes of their own.
 */

let dovecot: Dovecot;
beforeAll(async () => {
  dovecot = await startDovecot();
}, 600_000);
afterAll(() => dovecot?.close());

let setup: TestSetup;
afterEach(async () => setup?.close());

let n = 0;
/** An account with a mailbox no other test uses. */
function freshAccount(name = 'club'): TestGmailAccount & { dailyCap: number } {
  n++;
  return { email: `${name}${n}@gmail.test`, appPassword: `pass${String(n).padStart(12, 'x')}`, dailyCap: 500 };
}

async function sendCampaign(recipients: string[], name = 'Spring meeting') {
  const csv = ['email,first_name', ...recipients.map((r, i) => `${r},Reader${i + 1}`)].join('\n');
  const { campaign } = await setup.engine.campaigns.create({ name, subject: name, text: 'Dear {{first_name}}, see you on Saturday.', csv });
  await setup.engine.campaigns.queue({ id: campaign.id });
  await drain(setup.engine);
  await setup.gmail.mailboxIdle();
  return campaign.id;
}

async function messagesOf(campaignId: number) {
  return (await setup.engine.campaigns.messages({ id: campaignId, limit: 1000 })).items;
}

describe('a failure notice in the inbox', () => {
  it("Gmail's report: the message becomes bounced with the code, the server's words and a sentence; the address is suppressed, with where it came from", async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    setup.gmail.bounce({ rcpt: 'gone@example.org' });
    const id = await sendCampaign(['ann@example.org', 'gone@example.org', 'ben@example.org']);
    // Gmail said 250 to all three.
    expect((await setup.engine.campaigns.get({ id })).counts).toMatchObject({ sent: 3, bounced: 0 });

    const [account] = await setup.engine.accounts.list();
    expect(await setup.engine.accounts.checkInbox({ id: account!.id })).toEqual({
      bounces: 1,
      unsubscribes: 0,
      replies: 0,
      autoReplies: 0,
      settled: 0,
    });

    const campaign = await setup.engine.campaigns.get({ id });
    expect(campaign.counts).toMatchObject({ sent: 2, bounced: 1 });
    const gone = (await messagesOf(id)).find((m) => m.email === 'gone@example.org')!;
    expect(gone.status).toBe('bounced');
    expect(gone.bounce).toEqual({
      status: '5.1.1',
      diagnostic: expect.stringMatching(/^550-5\.1\.1 The email account that you tried to reach does not exist/),
      explanation: expect.stringMatching(/^The address does not exist.*suppression list/),
      at: new Date(setup.clock.now()).toISOString(),
    });
    const { items } = await setup.engine.suppressions.list();
    expect(items).toEqual([
      expect.objectContaining({
        email: 'gone@example.org',
        reason: 'bounced',
        source: { account: alice.email, campaignId: id, campaignName: 'Spring meeting' },
      }),
    ]);
    const accountAfter = (await setup.engine.accounts.list())[0]!;
    expect(accountAfter.inbox).toEqual({ state: 'ok', lastCheckAt: new Date(setup.clock.now()).toISOString() });

    // A later campaign skips the address.
    const { report } = await setup.engine.campaigns.create({
      name: 'Later',
      subject: 'x',
      text: 'x',
      csv: 'email\ngone@example.org\nann@example.org',
    });
    expect(report.suppressed).toBe(1);
  });

  it.each([
    ['gmail-legacy', '5.1.1', /^550 5\.1\.1 <gone@example\.org>: Recipient address rejected/],
    ['postfix', '5.1.1', /^550 5\.1\.1 <gone@example\.org> User doesn't exist/],
    ['exchange-ndr', '5.1.10', /RESOLVER\.ADR\.RecipientNotFound/],
  ] as const)('the %s form bounces the message the same way', async (form, status, diagnostic) => {
    setup = await createTestEngine({ mailbox: dovecot, accounts: [freshAccount()] });
    setup.gmail.bounce({ rcpt: 'gone@example.org', form });
    const id = await sendCampaign(['gone@example.org', 'ann@example.org']);
    await setup.engine.runInboxChecksNow();
    const gone = (await messagesOf(id)).find((m) => m.email === 'gone@example.org')!;
    expect(gone).toMatchObject({ status: 'bounced', bounce: { status, diagnostic: expect.stringMatching(diagnostic) } });
    expect((await setup.engine.suppressions.list()).items.map((s) => s.email)).toEqual(['gone@example.org']);
  });

  it('a "delayed" notice (4.4.1) is noted only: the message stays sent, the address is not suppressed', async () => {
    setup = await createTestEngine({ mailbox: dovecot, accounts: [freshAccount()] });
    setup.gmail.bounce({ rcpt: 'slow@example.org', form: 'gmail-delayed' });
    const id = await sendCampaign(['slow@example.org']);
    const [account] = await setup.engine.accounts.list();
    expect(await setup.engine.accounts.checkInbox({ id: account!.id })).toMatchObject({ bounces: 0 });
    expect((await messagesOf(id))[0]).toMatchObject({ status: 'sent' });
    expect((await messagesOf(id))[0]!.bounce).toBeUndefined();
    expect((await setup.engine.suppressions.list()).total).toBe(0);
  });

  it('a notice seen twice counts once: on a second look, after a restart, and when the mailbox must be read again from the start', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    setup.gmail.bounce({ rcpt: 'gone@example.org' });
    const id = await sendCampaign(['gone@example.org']);
    const accountId = (await setup.engine.accounts.list())[0]!.id;
    expect((await setup.engine.accounts.checkInbox({ id: accountId })).bounces).toBe(1);
    expect((await setup.engine.accounts.checkInbox({ id: accountId })).bounces).toBe(0);
    // The very same notice delivered again (Gmail shows it twice, or the user copied it back).
    const notice = setup.gmail.acceptedBy(alice.email)[0]!;
    await setup.gmail.answer(notice, 'gmail-dsn', { NOTICE_ID: '<same-notice@mx.google.com>' });
    await setup.gmail.answer(notice, 'gmail-dsn', { NOTICE_ID: '<same-notice@mx.google.com>' });
    await setup.gmail.mailboxIdle();
    expect((await setup.engine.accounts.checkInbox({ id: accountId })).bounces).toBe(0);

    await setup.engine.stop();
    const again = await setup.reopen();
    // After a restart, and with the mailbox renumbered by the server (a new UIDVALIDITY: every
    // message is read again), the notices still count once. The user meanwhile put the address back.
    await again.suppressions.remove({ email: 'gone@example.org' });
    await dovecot.renewUidValidity(alice.email);
    const reread = await again.accounts.checkInbox({ id: accountId });
    expect(reread).toEqual({ bounces: 0, unsubscribes: 0, replies: 0, autoReplies: 0, settled: 0 });
    expect((await again.campaigns.get({ id })).counts).toMatchObject({ bounced: 1, sent: 0 });
    expect((await again.suppressions.list()).total).toBe(0);
  });

  it('reads only what is new: the next look fetches the messages after the last one it read', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    const proxy = await startTcpProxy(dovecot);
    try {
      const accountId = (await setup.engine.accounts.list())[0]!.id;
      await setup.engine.accounts.update({ id: accountId, imapHost: '127.0.0.1', imapPort: proxy.port });
      setup.gmail.bounce({ rcpt: 'gone1@example.org', times: 1 });
      await sendCampaign(['gone1@example.org', 'ann@example.org']);
      await setup.engine.accounts.checkInbox({ id: accountId });
      const first = proxy.clientLines.length;
      setup.gmail.bounce({ rcpt: 'gone2@example.org', times: 1 });
      await sendCampaign(['gone2@example.org'], 'Second');
      expect((await setup.engine.accounts.checkInbox({ id: accountId })).bounces).toBe(1);
      const fetches = proxy.clientLines.slice(first).filter((l) => / UID FETCH /i.test(l));
      // Inbox: the one new notice (UID 2), its headers then its text; Sent Mail: the new copy (UID 3).
      expect(fetches.map((l) => /UID FETCH (\S+)/i.exec(l)![1])).toEqual(['2', '2', '3']);
      expect(fetches.every((l) => !/\bBODY\[/i.test(l))).toBe(true); // PEEK only
    } finally {
      await proxy.close();
    }
  });
});

describe('notices that lie, and mail that matches nothing', () => {
  it('a notice naming a Message-ID that is not ours, a recipient never sent to, or another account’s message changes nothing', async () => {
    const alice = freshAccount();
    const bob = freshAccount('bob');
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice, bob] });
    await setup.engine.accounts.update({ id: (await setup.engine.accounts.list())[1]!.id, enabled: false });
    const id = await sendCampaign(['ann@example.org', 'ben@example.org']);
    const sent = setup.gmail.acceptedBy(alice.email);
    expect(sent).toHaveLength(2);
    const [ann] = sent;
    // Not ours: about a message the user sent from Gmail to the same address.
    await setup.gmail.deliver(
      alice.email,
      sampleMail('gmail-dsn', { ACCOUNT: alice.email, RCPT: 'ann@example.org', ORIGINAL_MESSAGE_ID: '<CAKx9=abc@mail.gmail.com>' }),
    );
    // Ours, but the notice names a recipient it never went to.
    await setup.gmail.deliver(
      alice.email,
      sampleMail('gmail-dsn', { ACCOUNT: alice.email, RCPT: 'stranger@example.org', ORIGINAL_MESSAGE_ID: ann!.messageId! }),
    );
    // Ours, delivered to the other account's inbox (alice sent it, not bob).
    await setup.gmail.deliver(
      bob.email,
      sampleMail('gmail-dsn', { ACCOUNT: bob.email, RCPT: 'ann@example.org', ORIGINAL_MESSAGE_ID: ann!.messageId! }),
    );
    // A made-up Message-ID in our shape, with ann's row id.
    const forged = ann!.messageId!.replace(/<[0-9a-f]{24}/, '<000000000000000000000000');
    await setup.gmail.deliver(
      alice.email,
      sampleMail('gmail-dsn', { ACCOUNT: alice.email, RCPT: 'ann@example.org', ORIGINAL_MESSAGE_ID: forged }),
    );
    // A legacy notice quoting nothing, about an address this account never wrote to.
    await setup.gmail.deliver(
      alice.email,
      sampleMail('gmail-legacy', {
        ACCOUNT: alice.email,
        RCPT: 'nobody@else.example',
        ORIGINAL_HEADERS: 'Subject: hello',
        ORIGINAL_MESSAGE_ID: '',
      }).replace(/^Message-ID: $/m, ''),
    );
    // A reply to a message that is not ours.
    await setup.gmail.deliver(
      alice.email,
      sampleMail('reply', { ACCOUNT: alice.email, REPLIER: 'ann@example.org', ORIGINAL_MESSAGE_ID: '<CAKx9=abc@mail.gmail.com>' }),
    );
    await setup.gmail.mailboxIdle();
    const before = await messagesOf(id);
    await setup.engine.runInboxChecksNow();
    expect(await messagesOf(id)).toEqual(before);
    expect((await setup.engine.suppressions.list()).total).toBe(0);
    expect((await setup.engine.campaigns.get({ id })).replies).toEqual({ replied: 0, autoReplied: 0, unsubscribed: 0 });
  });

  it('a notice quoting no Message-ID is matched by the failed recipient among what this account sent', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    const id = await sendCampaign(['gone@example.org', 'ann@example.org']);
    const raw = sampleMail('gmail-legacy', {
      ACCOUNT: alice.email,
      RCPT: 'gone@example.org',
      ORIGINAL_HEADERS: 'Subject: Spring meeting',
      ORIGINAL_BODY: 'Dear Reader1',
    });
    await setup.gmail.deliver(alice.email, raw);
    await setup.gmail.mailboxIdle();
    await setup.engine.runInboxChecksNow();
    expect((await messagesOf(id)).map((m) => [m.email, m.status])).toEqual([
      ['gone@example.org', 'bounced'],
      ['ann@example.org', 'sent'],
    ]);
  });

  it('a huge message and a malformed one are read without harm, and a notice after them still counts', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    setup.gmail.bounce({ rcpt: 'gone@example.org' });
    const id = await sendCampaign(['gone@example.org']);
    const huge = sampleMail('gmail-dsn', {
      ACCOUNT: alice.email,
      RCPT: 'other@example.org',
      ORIGINAL_BODY: 'x'.repeat(76).concat('\r\n').repeat(120_000),
    });
    await setup.gmail.deliver(alice.email, huge);
    await setup.gmail.deliver(
      alice.email,
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\nFrom: mailer-daemon@googlemail.com\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n\u0000\u0001Final-Recipient: ;;;\r\nAction: failed\r\n--b',
    );
    await setup.gmail.deliver(alice.email, '\u0000\u00ff garbage without headers');
    await setup.gmail.mailboxIdle();
    const accountId = (await setup.engine.accounts.list())[0]!.id;
    expect(await setup.engine.accounts.checkInbox({ id: accountId })).toMatchObject({ bounces: 1 });
    expect((await messagesOf(id))[0]!.status).toBe('bounced');
    expect((await setup.engine.accounts.list())[0]!.inbox.state).toBe('ok');
  });
});

describe('a mailbox that cannot be read', () => {
  it('a login refused: the inbox says auth_failed, sending goes on, nothing changes', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    setup.gmail.bounce({ rcpt: 'gone@example.org' });
    await sendCampaign(['gone@example.org']);
    // The mailbox refuses the app password (IMAP only: SMTP still takes it).
    await dovecot.setPassword(alice.email, 'not-the-app-password');
    const accountId = (await setup.engine.accounts.list())[0]!.id;
    const result = await setup.engine.accounts.checkInbox({ id: accountId });
    expect(result).toMatchObject({
      bounces: 0,
      problem: expect.stringMatching(/did not accept this account’s app password.*Sending is not affected/),
    });
    const account = (await setup.engine.accounts.list())[0]!;
    expect(account.state).toBe('ok');
    expect(account.inbox).toMatchObject({
      state: 'auth_failed',
      lastCheckAt: expect.any(String),
      detail: expect.stringMatching(/app password/),
    });
    expect(JSON.stringify(account)).not.toContain(alice.appPassword);
    // Sending is not stopped by it.
    const id = await sendCampaign(['ann@example.org'], 'Still sending');
    expect((await setup.engine.campaigns.get({ id })).counts.sent).toBe(1);
    expect((await setup.engine.suppressions.list()).total).toBe(0);
    // A new (right) password: the next look reads the notice.
    await dovecot.setPassword(alice.email, alice.appPassword);
    expect((await setup.engine.accounts.checkInbox({ id: accountId })).bounces).toBe(1);
    expect((await setup.engine.accounts.list())[0]!.inbox.state).toBe('ok');
  });

  it('the line dropped mid-fetch: unreachable, nothing half-done; the next look reads everything once', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    const proxy = await startTcpProxy(dovecot);
    try {
      const accountId = (await setup.engine.accounts.list())[0]!.id;
      await setup.engine.accounts.update({ id: accountId, imapHost: '127.0.0.1', imapPort: proxy.port });
      setup.gmail.bounce({ rcpt: 'gone@example.org' });
      setup.gmail.bounce({ rcpt: 'lost@example.org' });
      const id = await sendCampaign(['gone@example.org', 'lost@example.org']);
      proxy.dropOnce({ afterCommand: /UID FETCH .*BODY\.PEEK\[\]/i, afterBytes: 3000 });
      const cut = await setup.engine.accounts.checkInbox({ id: accountId });
      expect(proxy.drops).toBe(1);
      expect(cut.problem).toMatch(/Could not read the mailbox on 127\.0\.0\.1:\d+.*sending is not affected/);
      expect((await setup.engine.accounts.list())[0]!.inbox.state).toBe('unreachable');
      expect((await setup.engine.campaigns.get({ id })).counts).toMatchObject({ sent: 2, bounced: 0 });
      const next = await setup.engine.accounts.checkInbox({ id: accountId });
      expect(next).toMatchObject({ bounces: 2 });
      expect((await setup.engine.accounts.checkInbox({ id: accountId })).bounces).toBe(0);
      expect((await setup.engine.accounts.list())[0]!.inbox.state).toBe('ok');
    } finally {
      await proxy.close();
    }
  });

  it('an account not watched is not read: checkInbox says why; the scheduled look skips it', async () => {
    setup = await createTestEngine({ mailbox: dovecot, accounts: [freshAccount()] });
    const accountId = (await setup.engine.accounts.list())[0]!.id;
    await setup.engine.accounts.update({ id: accountId, watchInbox: false });
    await expect(setup.engine.accounts.checkInbox({ id: accountId })).rejects.toMatchObject({ code: 'conflict', message: /turned off/ });
    await setup.engine.runInboxChecksNow();
    expect((await setup.engine.accounts.list())[0]!.inbox).toMatchObject({ state: 'off' });
    expect((await setup.engine.accounts.list())[0]!.inbox.lastCheckAt).toBeUndefined();
  });
});

describe('read-only', () => {
  it('a look changes no flag, count, UIDVALIDITY or UIDNEXT in the mailbox, \\Seen included', async () => {
    const alice = freshAccount();
    setup = await createTestEngine({ mailbox: dovecot, accounts: [alice] });
    setup.gmail.bounce({ rcpt: 'gone@example.org' });
    await sendCampaign(['gone@example.org', 'ann@example.org']);
    const ann = setup.gmail.acceptedBy(alice.email)[1]!;
    await setup.gmail.answer(ann, 'reply', { FIRST_LINE: 'Unsubscribe' });
    await setup.gmail.answer(ann, 'out-of-office');
    await setup.gmail.sendOutside(alice.email, { to: ['friend@example.com'] });
    await setup.gmail.mailboxIdle();
    const before = await mailboxSnapshot(dovecot, alice.email);
    expect(before.INBOX!.messages.length).toBe(3);
    expect(before.INBOX!.messages.every((m) => !m.flags.includes('\\Seen'))).toBe(true);
    const accountId = (await setup.engine.accounts.list())[0]!.id;
    expect(await setup.engine.accounts.checkInbox({ id: accountId })).toMatchObject({ bounces: 1, unsubscribes: 1, autoReplies: 1 });
    expect(await mailboxSnapshot(dovecot, alice.email)).toEqual(before);
  });
});
