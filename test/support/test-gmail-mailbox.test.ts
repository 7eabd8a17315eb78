import { ImapFlow } from 'imapflow';
import nodemailer, { type Transporter } from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Dovecot, startDovecot } from './dovecot';
import { NOTICE_FORMS } from './mail-samples';
import { GMAIL_REPLIES, type TestGmail, startTestGmail } from './test-gmail';

/**
 * The test Gmail in its real-Gmail behaviour: it takes the message, keeps a copy in the account's
 * Sent Mail, and reports an unknown recipient later, as a notice in the inbox — in each form real
 * servers use. Looked at from outside, with the account's own IMAP login.
 */

const ALICE = { email: 'alice@gmail.test', appPassword: 'aaaabbbbccccdddd' };
const BERT = { email: 'bert@gmail.test', appPassword: 'bbbbccccddddeeee', mailboxLanguage: 'de' as const };

let dovecot: Dovecot;
let gmail: TestGmail;
let transport: Transporter;
beforeAll(async () => {
  dovecot = await startDovecot();
  gmail = await startTestGmail({ mailbox: dovecot, accounts: [ALICE, BERT] });
  transport = nodemailer.createTransport({
    host: gmail.host,
    port: gmail.port,
    secure: false,
    ignoreTLS: true,
    auth: { user: ALICE.email, pass: ALICE.appPassword },
  });
}, 600_000);
afterEach(() => gmail.clearFaults());
afterAll(async () => {
  transport?.close();
  await gmail?.close();
  await dovecot?.close();
});

async function login(account: { email: string; appPassword: string }): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: dovecot.host,
    port: dovecot.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: account.email, pass: account.appPassword },
    logger: false,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Every message of a mailbox: its flags, date and source. */
async function messagesIn(client: ImapFlow, path: string) {
  const box = await client.mailboxOpen(path, { readOnly: true });
  if (box.exists === 0) return [];
  return client.fetchAll('1:*', { uid: true, flags: true, internalDate: true, source: true });
}

describe('the test Gmail with a mailbox', () => {
  it('keeps a copy of each message it takes in Sent Mail (\\Seen, dated by its clock), found by the \\Sent flag', async () => {
    const at = Date.parse('2026-11-23T09:00:00Z');
    gmail.setClock(() => at);
    const info = await transport.sendMail({ from: ALICE.email, to: 'reader@example.com', subject: 'Hello', text: 'Hi' });
    await gmail.mailboxIdle();
    const client = await login(ALICE);
    const sent = (await client.list()).find((m) => m.flags.has('\\Sent'))!;
    expect(sent.path).toBe('[Gmail]/Sent Mail');
    const copies = await messagesIn(client, sent.path);
    await client.logout();
    expect(copies).toHaveLength(1);
    expect(copies[0]!.source!.toString()).toContain(`Message-ID: ${info.messageId}`);
    // (\\Recent is the session's view, not a stored flag.)
    expect([...copies[0]!.flags!].filter((f) => f !== '\\Recent')).toEqual(['\\Seen']);
    expect(new Date(copies[0]!.internalDate!).getTime()).toBe(at);
    gmail.setClock(Date.now);
  });

  it('accepts an unknown recipient at RCPT (250), and each notice form lands in the inbox, naming the recipient and the original', async () => {
    const before = gmail.accepted.length;
    for (const [i, form] of NOTICE_FORMS.entries()) gmail.bounce({ rcpt: `gone${i}@example.org`, form, times: 1 });
    const ids: string[] = [];
    for (const i of NOTICE_FORMS.keys())
      ids.push((await transport.sendMail({ from: ALICE.email, to: `gone${i}@example.org`, subject: `Notice ${i}`, text: 'x' })).messageId);
    expect(gmail.accepted.length - before).toBe(NOTICE_FORMS.length);
    await gmail.mailboxIdle();
    const client = await login(ALICE);
    const inbox = await messagesIn(client, 'INBOX');
    await client.logout();
    const notices = inbox.map((m) => m.source!.toString());
    for (const [i, form] of NOTICE_FORMS.entries()) {
      const notice = notices.find((n) => n.includes(`gone${i}@example.org`));
      expect(notice, form).toBeDefined();
      expect(notice, form).toContain(ids[i]);
    }
    expect(notices.find((n) => n.includes('gone1@example.org'))).toMatch(
      /X-Failed-Recipients: gone1@example\.org[\s\S]*----- Original message -----/,
    );
    expect(notices.find((n) => n.includes('gone4@example.org'))).toMatch(/Action: delayed\r\nStatus: 4\.4\.1/);
  });

  it('drops the notice "a few seconds later": after the scripted delay, not before', async () => {
    gmail.bounce({ rcpt: 'late@example.org', delayMs: 300, times: 1 });
    const client = await login(ALICE);
    const count = async () => {
      const status = await client.status('INBOX', { messages: true });
      return status ? status.messages : undefined;
    };
    const before = await count();
    await transport.sendMail({ from: ALICE.email, to: 'late@example.org', subject: 'Late', text: 'x' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await count()).toBe(before);
    await gmail.mailboxIdle();
    expect(await count()).toBe(before! + 1);
    await client.logout();
  });

  it('still refuses at RCPT when told to, as other hosts do: nothing kept, nothing reported', async () => {
    gmail.fail({ stage: 'rcpt', rcpt: 'refused@example.org', fault: { reply: GMAIL_REPLIES.noSuchUser } });
    await expect(transport.sendMail({ from: ALICE.email, to: 'refused@example.org', subject: 'No', text: 'x' })).rejects.toMatchObject({
      responseCode: 550,
    });
    await gmail.mailboxIdle();
    const client = await login(ALICE);
    const sent = await messagesIn(client, '[Gmail]/Sent Mail');
    await client.logout();
    expect(sent.some((m) => m.source!.toString().includes('refused@example.org'))).toBe(false);
  });

  it('puts answers, and mail sent outside Trickle, where Gmail would: a reply in the inbox, the outside message in Sent Mail under its localised name', async () => {
    const bertTransport = nodemailer.createTransport({
      host: gmail.host,
      port: gmail.port,
      secure: false,
      ignoreTLS: true,
      auth: { user: BERT.email, pass: BERT.appPassword },
    });
    await bertTransport.sendMail({
      from: BERT.email,
      to: 'friend@example.com',
      subject: 'Treffen',
      text: 'x',
      headers: { 'List-Unsubscribe': '<mailto:bert+unsub-0123456789abcdef-7@gmail.test?subject=unsubscribe>' },
    });
    bertTransport.close();
    const message = gmail.acceptedBy(BERT.email).at(-1)!;
    await gmail.answer(message, 'reply', { FIRST_LINE: 'Gerne!' });
    await gmail.answer(message, 'unsubscribe-token');
    await gmail.sendOutside(BERT.email, { to: ['a@example.com'], cc: ['b@example.com'], bcc: ['c@example.com'] });
    await gmail.mailboxIdle();
    const client = await login(BERT);
    const inbox = (await messagesIn(client, 'INBOX')).map((m) => m.source!.toString());
    const sent = (await messagesIn(client, '[Gmail]/Gesendet')).map((m) => m.source!.toString());
    await client.logout();
    expect(inbox[0]).toMatch(new RegExp(`In-Reply-To: ${message.messageId}[\\s\\S]*Gerne!`));
    expect(inbox[1]).toContain('To: bert+unsub-0123456789abcdef-7@gmail.test');
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatch(/To: a@example\.com\r\nCc: b@example\.com\r\nBcc: c@example\.com/);
  });

  it('revoking an app password closes the mailbox to it as well', async () => {
    gmail.setPassword(ALICE.email, 'zzzzyyyyxxxxwwww');
    await gmail.mailboxIdle();
    await expect(login(ALICE)).rejects.toMatchObject({ authenticationFailed: true });
    gmail.setPassword(ALICE.email, ALICE.appPassword);
    await gmail.mailboxIdle();
    (await login(ALICE)).close();
  });
});
