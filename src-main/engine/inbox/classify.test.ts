import { describe, expect, it } from 'vitest';
import { sampleMail } from '../../../test/support/mail-samples';
import { unsubscribeAddress } from '../core/message-ids';
import { classify, worthReading } from './classify';
import { INBOX_TRIAGE_FIELDS, readMail, triageMail } from './read-mail';

/**
 * One test per form of what comes back (test/fixtures/inbox/*.eml, filled with sample values):
 * each is read the way the mailbox reader reads it — the headers alone first (does it deserve a
 * look?), then the whole mail — and classified.
 */

const ACCOUNT = 'alice@gmail.com';
const OURS = '<0123456789abcdef01234567.42@a1b2c3d4.trickle.invalid>';
const RCPT = 'nobody@example.org';

/**
 * The mail as the reader sees it: first what triage fetches (the envelope a server parses, here
 * taken from the full parse, and the few raw fields it lacks), then the whole mail.
 */
async function read(raw: string) {
  const full = await readMail(Buffer.from(raw));
  const headerEnd = raw.indexOf('\r\n\r\n');
  const fields = raw
    .slice(0, headerEnd)
    .replace(/\r\n(?=[ \t])/g, ' ')
    .split('\r\n')
    .filter((line) => INBOX_TRIAGE_FIELDS.includes(line.slice(0, line.indexOf(':')).toLowerCase()))
    .join('\r\n');
  const list = (name: string) => [...(full.headers.get(name) ?? '').matchAll(/[^\s<>,;"]+@[^\s<>,;"]+/g)].map((m) => ({ address: m[0] }));
  const envelope = {
    ...(full.messageId ? { messageId: full.messageId } : {}),
    subject: full.subject,
    from: list('from'),
    to: list('to'),
    cc: list('cc'),
    ...(full.headers.get('in-reply-to') ? { inReplyTo: full.headers.get('in-reply-to') } : {}),
  };
  const headers = triageMail(envelope, Buffer.from(fields));
  return { full, headers };
}

describe('failure notices', () => {
  it("Gmail's RFC 3464 report: the recipient, 5.1.1, the server's words and the original's Message-ID", async () => {
    const { full, headers } = await read(sampleMail('gmail-dsn', { ACCOUNT, RCPT, ORIGINAL_MESSAGE_ID: OURS }));
    expect(worthReading(headers)).toBe(true);
    expect(classify(full)).toEqual({
      kind: 'notice',
      recipients: [
        {
          address: RCPT,
          status: '5.1.1',
          diagnostic: expect.stringMatching(/^550-5\.1\.1 The email account that you tried to reach does not exist/),
          permanent: true,
        },
      ],
      originalMessageId: OURS,
      reporter: 'googlemail.com',
    });
  });

  it("Gmail's older plain-text notice: X-Failed-Recipients, the other server's reply, the original quoted below the marker", async () => {
    const { full, headers } = await read(sampleMail('gmail-legacy', { ACCOUNT, RCPT, ORIGINAL_MESSAGE_ID: OURS }));
    expect(worthReading(headers)).toBe(true);
    expect(classify(full)).toEqual({
      kind: 'notice',
      recipients: [
        {
          address: RCPT,
          status: '5.1.1',
          diagnostic: `550 5.1.1 <${RCPT}>: Recipient address rejected: User unknown in virtual mailbox table`,
          permanent: true,
        },
      ],
      originalMessageId: OURS,
      reporter: 'mailer-daemon@googlemail.com',
    });
  });

  it("Postfix's notice, with only the original's headers returned", async () => {
    const { full } = await read(sampleMail('postfix', { ACCOUNT, RCPT, ORIGINAL_MESSAGE_ID: OURS }));
    expect(classify(full)).toMatchObject({
      kind: 'notice',
      recipients: [{ address: RCPT, status: '5.1.1', permanent: true, diagnostic: `550 5.1.1 <${RCPT}> User doesn't exist: ${RCPT}` }],
      originalMessageId: OURS,
      reporter: 'mail.example.org',
    });
  });

  it("Exchange's NDR (Undeliverable:, 5.1.10, the original attached whole)", async () => {
    const { full, headers } = await read(sampleMail('exchange-ndr', { ACCOUNT, RCPT, ORIGINAL_MESSAGE_ID: OURS }));
    expect(worthReading(headers)).toBe(true);
    expect(classify(full)).toMatchObject({
      kind: 'notice',
      recipients: [
        { address: RCPT, status: '5.1.10', permanent: true, diagnostic: expect.stringContaining('RESOLVER.ADR.RecipientNotFound') },
      ],
      originalMessageId: OURS,
    });
  });

  it('a "delayed" notice (4.4.1) is temporary', async () => {
    const { full } = await read(sampleMail('gmail-delayed', { ACCOUNT, RCPT, ORIGINAL_MESSAGE_ID: OURS }));
    expect(classify(full)).toMatchObject({
      kind: 'notice',
      recipients: [{ address: RCPT, status: '4.4.1', permanent: false }],
      originalMessageId: OURS,
    });
  });

  it('a legacy notice of a temporary failure is temporary', async () => {
    const raw = sampleMail('gmail-legacy', { ACCOUNT, RCPT, DIAGNOSTIC: '451 4.3.0 Mail server temporarily rejected message.' })
      .replace('failed permanently', 'is delayed; Gmail will keep trying')
      .replace('Technical details of permanent failure', 'Technical details of temporary failure');
    expect(classify((await read(raw)).full)).toMatchObject({ kind: 'notice', recipients: [{ status: '4.3.0', permanent: false }] });
  });

  it('a notice about a message that is not ours still reads as a notice (matching it is not classification’s job)', async () => {
    const { full } = await read(sampleMail('gmail-dsn', { ACCOUNT, RCPT, ORIGINAL_MESSAGE_ID: '<CAKx1@mail.gmail.com>' }));
    expect(classify(full)).toMatchObject({ kind: 'notice', originalMessageId: '<CAKx1@mail.gmail.com>' });
  });
});

describe('auto-replies', () => {
  it('an out-of-office with Auto-Submitted is an auto-reply, not a reply', async () => {
    const { full, headers } = await read(sampleMail('out-of-office', { ACCOUNT, REPLIER: RCPT, ORIGINAL_MESSAGE_ID: OURS }));
    expect(worthReading(headers)).toBe(true);
    expect(classify(full)).toEqual({ kind: 'auto_reply', references: [OURS], from: RCPT });
  });

  it('a vacation message that only its subject gives away is an auto-reply', async () => {
    const { full } = await read(sampleMail('vacation-subject-only', { ACCOUNT, REPLIER: RCPT, ORIGINAL_MESSAGE_ID: OURS }));
    expect(classify(full)).toEqual({ kind: 'auto_reply', references: [OURS], from: RCPT });
  });

  it('X-Autoreply, and Precedence: auto_reply, make an auto-reply too; Auto-Submitted: no does not', async () => {
    const base = sampleMail('reply', { ACCOUNT, REPLIER: RCPT, ORIGINAL_MESSAGE_ID: OURS });
    const withHeader = (header: string) => base.replace('MIME-Version: 1.0', `${header}\r\nMIME-Version: 1.0`);
    expect(classify((await read(withHeader('X-Autoreply: yes'))).full).kind).toBe('auto_reply');
    expect(classify((await read(withHeader('Precedence: auto_reply'))).full).kind).toBe('auto_reply');
    expect(classify((await read(withHeader('Auto-Submitted: no'))).full).kind).toBe('reply');
  });
});

describe('unsubscribe requests and replies', () => {
  it('a reply whose first line is "Unsubscribe" is a request, even though the quoted footer mentions it too', async () => {
    const { full } = await read(sampleMail('reply', { ACCOUNT, REPLIER: RCPT, ORIGINAL_MESSAGE_ID: OURS, FIRST_LINE: 'Unsubscribe' }));
    expect(classify(full)).toEqual({ kind: 'unsubscribe', references: [OURS], from: RCPT, firstLine: 'Unsubscribe' });
  });

  it('a message to the List-Unsubscribe address, with no subject and no text, is a request carrying its token', async () => {
    const token = unsubscribeAddress(ACCOUNT, OURS);
    expect(token).toBe('alice+unsub-0123456789abcdef-42@gmail.com');
    const { full, headers } = await read(sampleMail('unsubscribe-token', { ACCOUNT, REPLIER: RCPT, TOKEN_ADDRESS: token }));
    expect(worthReading(headers)).toBe(true);
    expect(classify(full)).toEqual({
      kind: 'unsubscribe',
      token: { rowId: 42, messageIdStart: '<0123456789abcdef' },
      references: [],
      from: RCPT,
      firstLine: '',
    });
  });

  it('"Unsubscribe" as the subject of a message naming none of ours is a request', async () => {
    const { full, headers } = await read(sampleMail('unsubscribe-subject', { ACCOUNT, REPLIER: RCPT }));
    expect(worthReading(headers)).toBe(true);
    expect(classify(full)).toEqual({ kind: 'unsubscribe', references: [], from: RCPT, firstLine: 'Please take me off your list.' });
  });

  it('a reply naming one of our messages is a reply; its subject echoing ours ("…unsubscribe…") does not make it a request', async () => {
    const raw = sampleMail('reply', {
      ACCOUNT,
      REPLIER: RCPT,
      ORIGINAL_MESSAGE_ID: OURS,
      ORIGINAL_SUBJECT: 'How to unsubscribe from the old list',
    });
    const { full, headers } = await read(raw);
    expect(worthReading(headers)).toBe(true);
    expect(classify(full)).toEqual({ kind: 'reply', references: [OURS], from: RCPT });
  });

  it('mail that names none of ours and asks nothing is left unread, and is nothing', async () => {
    const raw = sampleMail('reply', {
      ACCOUNT,
      REPLIER: RCPT,
      ORIGINAL_MESSAGE_ID: '<CAK1@mail.gmail.com>',
      ORIGINAL_SUBJECT: 'Stop by on Friday',
    });
    const { full, headers } = await read(raw);
    expect(worthReading(headers)).toBe(false);
    expect(classify(full)).toEqual({ kind: 'other' });
  });
});

describe('broken mail', () => {
  it('garbage, an empty message and a header block without a body classify as nothing, without throwing', async () => {
    for (const raw of [
      '',
      '\u0000\u0001\u0002 not a mail',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="x"\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n',
    ]) {
      const mail = await readMail(Buffer.from(raw));
      expect(classify(mail).kind).toMatch(/other|notice/);
      if (classify(mail).kind === 'notice') throw new Error('a report without a recipient is no notice');
    }
  });
});
