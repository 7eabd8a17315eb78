/**
 * Mail that comes back, in the forms real servers use, from the templates in
 * test/fixtures/inbox/*.eml: the classification tests fill them with sample values, the test
 * Gmail with the real message it accepted. One template per form, so what the unit tests prove
 * is what the end-to-end tests meet.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SAMPLE_FORMS = [
  /** Gmail's current failure notice: RFC 3464 multipart/report, the original attached. */
  'gmail-dsn',
  /** Gmail's older plain-text notice: X-Failed-Recipients, the original quoted below "----- Original message -----". */
  'gmail-legacy',
  /** Postfix's "Undelivered Mail Returned to Sender", the original's headers as text/rfc822-headers. */
  'postfix',
  /** Exchange / Outlook.com's "Undeliverable:" NDR, status 5.1.10. */
  'exchange-ndr',
  /** Gmail's "Delivery Status Notification (Delay)": Action delayed, 4.x.x. */
  'gmail-delayed',
  /** An Outlook out-of-office: Auto-Submitted, "Automatic reply:". */
  'out-of-office',
  /** An old-style vacation message: only its subject says so. */
  'vacation-subject-only',
  /** A reply (In-Reply-To, References), its first line FIRST_LINE, our message quoted below. */
  'reply',
  /** A message to the List-Unsubscribe address: no subject, no text. */
  'unsubscribe-token',
  /** "Unsubscribe" to the account's plain address, naming no message. */
  'unsubscribe-subject',
] as const;
export type SampleForm = (typeof SAMPLE_FORMS)[number];

export const NOTICE_FORMS = [
  'gmail-dsn',
  'gmail-legacy',
  'postfix',
  'exchange-ndr',
  'gmail-delayed',
] as const satisfies readonly SampleForm[];
export type NoticeForm = (typeof NOTICE_FORMS)[number];

export interface SampleValues {
  /** The sending account, whose inbox the mail lands in. */
  ACCOUNT: string;
  /** The recipient a notice is about. */
  RCPT?: string;
  /** Its domain (by default, RCPT's). */
  RCPT_DOMAIN?: string;
  ORIGINAL_MESSAGE_ID?: string;
  ORIGINAL_SUBJECT?: string;
  /** The returned message's header block. */
  ORIGINAL_HEADERS?: string;
  ORIGINAL_BODY?: string;
  STATUS?: string;
  DIAGNOSTIC?: string;
  DATE?: string;
  NOTICE_ID?: string;
  REPLIER?: string;
  REPLIER_NAME?: string;
  TOKEN_ADDRESS?: string;
  FIRST_LINE?: string;
}

/** What each notice form's server says, by default. */
export function noticeDefaults(form: NoticeForm, rcpt: string): { STATUS: string; DIAGNOSTIC: string } {
  switch (form) {
    case 'gmail-dsn':
      return {
        STATUS: '5.1.1',
        DIAGNOSTIC:
          "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser a1si2 - gsmtp",
      };
    case 'gmail-legacy':
      return { STATUS: '5.1.1', DIAGNOSTIC: `550 5.1.1 <${rcpt}>: Recipient address rejected: User unknown in virtual mailbox table` };
    case 'postfix':
      return { STATUS: '5.1.1', DIAGNOSTIC: `550 5.1.1 <${rcpt}> User doesn't exist: ${rcpt}` };
    case 'exchange-ndr':
      return {
        STATUS: '5.1.10',
        DIAGNOSTIC: `550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient ${rcpt} not found by SMTP address lookup`,
      };
    case 'gmail-delayed':
      return {
        STATUS: '4.4.1',
        DIAGNOSTIC: `The recipient server did not accept our requests to connect. [mx.${rcpt.split('@')[1]}. 203.0.113.5: timed out]`,
      };
  }
}

const templates = new Map<SampleForm, string>();

/** test/fixtures/inbox, found from here upwards: this file also runs bundled (bench/out, test/chaos/out). */
function fixturesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    for (const candidate of [join(dir, 'fixtures', 'inbox'), join(dir, 'test', 'fixtures', 'inbox')]) {
      if (existsSync(candidate)) return candidate;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('mail samples: test/fixtures/inbox not found');
    dir = up;
  }
}

/** The form filled with `values` (sensible ones where missing), as a CRLF message. */
export function sampleMail(form: SampleForm, values: SampleValues): string {
  let template = templates.get(form);
  if (template === undefined) {
    template = readFileSync(join(fixturesDir(), `${form}.eml`), 'utf8');
    templates.set(form, template);
  }
  const rcpt = values.RCPT ?? 'nobody@example.com';
  const originalId = values.ORIGINAL_MESSAGE_ID ?? `<${randomBytes(8).toString('hex')}@mail.gmail.com>`;
  const subject = values.ORIGINAL_SUBJECT ?? 'Spring meeting';
  const filled: Required<SampleValues> = {
    RCPT: rcpt,
    RCPT_DOMAIN: rcpt.split('@')[1] ?? 'example.com',
    ORIGINAL_MESSAGE_ID: originalId,
    ORIGINAL_SUBJECT: subject,
    ORIGINAL_HEADERS:
      values.ORIGINAL_HEADERS ??
      [
        `From: Club <${values.ACCOUNT}>`,
        `To: ${rcpt}`,
        `Subject: ${subject}`,
        `Message-ID: ${originalId}`,
        'Date: Mon, 23 Nov 2026 09:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
      ].join('\n'),
    ORIGINAL_BODY: values.ORIGINAL_BODY ?? 'Dear member, the spring meeting is on Saturday.',
    DATE: values.DATE ?? new Date().toUTCString().replace('GMT', '+0000'),
    NOTICE_ID: values.NOTICE_ID ?? `<${randomBytes(10).toString('hex')}@mx.example.net>`,
    REPLIER: values.REPLIER ?? rcpt,
    REPLIER_NAME: values.REPLIER_NAME ?? 'Dana Reader',
    TOKEN_ADDRESS: values.TOKEN_ADDRESS ?? values.ACCOUNT,
    FIRST_LINE: values.FIRST_LINE ?? 'Thanks, see you on Saturday!',
    ...((NOTICE_FORMS as readonly string[]).includes(form) ? noticeDefaults(form as NoticeForm, rcpt) : { STATUS: '', DIAGNOSTIC: '' }),
    ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)),
  } as Required<SampleValues>;
  const text = template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, key: string) => {
    const value = (filled as unknown as Record<string, string>)[key];
    if (value === undefined) throw new Error(`sample ${form}: no value for ${whole}`);
    return value;
  });
  return text.replace(/\r?\n/g, '\r\n');
}

/** The header block of a message as received (up to its blank line). */
export function headerBlock(raw: string): string {
  const end = raw.search(/\r?\n\r?\n/);
  return (end < 0 ? raw : raw.slice(0, end)).replace(/\r\n/g, '\n');
}
