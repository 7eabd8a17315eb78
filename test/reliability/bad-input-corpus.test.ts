/**
 * The bad-input corpus: the files and values real data brings, each taken along the path it
 * travels in the product — a file's bytes decoded as the window decodes them, then
 * `campaigns.create` through the API handler table both doors share — and each with one clear
 * result: parsed right, or refused with the row and the reason and nothing stored. Mail goes
 * to the test Gmail, and what it received is read raw: no value may add a header line.
 *
 * Extends test/engine/bad-input.test.ts (every engine function's refusals), csv-import.test.ts
 * (parser details) and campaigns.test.ts (the hostile-CSV report, merge escaping, export).
 */
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHandlers, createApiHandlers, invoke } from '../../src-main/api/handlers';
import { csvFileTooLarge, decodeText } from '../../src-renderer/lib/csv';
import { snapshotTables } from '../support/db-snapshot';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, drain } from '../support/test-engine';
import type { AcceptedMessage } from '../support/test-gmail';

const ALICE = TEST_ACCOUNTS[0]!;
const MB = 1024 * 1024;

let setup: TestSetup;
let handlers: ApiHandlers;
let reader: Database.Database;
let corpusDir: string;

beforeAll(async () => {
  setup = await createTestEngine({ accounts: [ALICE] });
  handlers = createApiHandlers(setup.engine, { version: 'test', door: 'headless' });
  reader = new Database(setup.databaseFile, { readonly: true, fileMustExist: true });
  corpusDir = mkdtempSync(join(tmpdir(), 'trickle-corpus-'));
});

afterAll(async () => {
  reader?.close();
  await setup?.close();
  if (corpusDir) rmSync(corpusDir, { recursive: true, force: true });
});

const snapshot = () => snapshotTables(reader);

/** One API call through the handler table, as either door makes it. */
async function call(name: string, args: unknown): Promise<{ ok: boolean; value?: any; error?: any }> {
  return (await invoke(handlers, name, args)) as { ok: boolean; value?: any; error?: any };
}

async function value(name: string, args: unknown): Promise<any> {
  const answer = await call(name, args);
  if (!answer.ok) expect.fail(`${name} was refused: ${JSON.stringify(answer.error)}`);
  return answer.value;
}

/** Refused with this code, a message matching every pattern, and not one row of the database changed. */
async function expectRefused(name: string, args: unknown, code: string, says: RegExp[] = []): Promise<{ message: string; field?: string }> {
  const before = snapshot();
  const answer = await call(name, args);
  expect(answer.ok, `${name} should have been refused`).toBe(false);
  expect(answer.error.code).toBe(code);
  for (const pattern of says) expect(answer.error.message).toMatch(pattern);
  expect(answer.error.message).not.toMatch(/undefined|\[object |SQLITE|TypeError/);
  expect(snapshot()).toEqual(before);
  return answer.error;
}

/** Writes the bytes as a file, and reads it back the way the window does (FileReader → decodeText). */
function pickFile(name: string, bytes: Buffer): string {
  const path = join(corpusDir, name);
  writeFileSync(path, bytes);
  const read = readFileSync(path);
  return decodeText(read.buffer.slice(read.byteOffset, read.byteOffset + read.byteLength));
}

// ---- What the test Gmail received, read raw -------------------------------------------------

/** Every header Trickle writes; anything else in the header section was injected. */
const TRICKLE_HEADERS = new Set([
  'from',
  'to',
  'subject',
  'reply-to',
  'message-id',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'list-unsubscribe',
]);

function headerSection(raw: string): string {
  const end = raw.indexOf('\r\n\r\n');
  return end < 0 ? raw : raw.slice(0, end);
}

/** The raw message's header section holds only Trickle's headers, each once, and it went only to `to`. */
function expectNoInjectedHeader(mail: AcceptedMessage, to: string): void {
  expect(mail.envelope.to).toEqual([to]);
  const lines = headerSection(mail.raw).split('\r\n');
  const names: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line)) continue; // a folded continuation of the header above
    const name = /^([A-Za-z0-9-]+):/.exec(line)?.[1]?.toLowerCase();
    expect(name && TRICKLE_HEADERS.has(name), `a header line Trickle never writes: ${JSON.stringify(line)}`).toBe(true);
    names.push(name!);
  }
  for (const once of ['from', 'to', 'subject', 'message-id', 'date', 'mime-version', 'content-type', 'list-unsubscribe']) {
    expect(
      names.filter((n) => n === once),
      `${once} in\n${headerSection(mail.raw)}`,
    ).toHaveLength(1);
  }
}

function lastMailTo(address: string): AcceptedMessage {
  const mail = setup.gmail.accepted.filter((m) => m.envelope.to.includes(address)).at(-1);
  if (!mail) expect.fail(`nothing reached ${address}`);
  return mail;
}

async function queueAndSend(campaignId: number): Promise<void> {
  await value('campaigns.queue', { id: campaignId });
  await drain(setup.engine);
  expect((await value('campaigns.get', { id: campaignId })).status).toBe('completed');
}

// ---------------------------------------------------------------------------------------------

const utf8 = (text: string) => Buffer.from(text, 'utf8');
/** Windows-1252 ("ANSI"), what Excel's plain "CSV" writes on a Western Windows: é ü are single bytes. */
const windows1252 = (text: string) => Buffer.from(text, 'latin1');
const utf16le = (text: string, bom = true) => Buffer.concat([Buffer.from(bom ? [0xff, 0xfe] : []), Buffer.from(text, 'utf16le')]);
const utf16be = (text: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);

type Expected =
  | {
      /** [spreadsheet row, address, name or undefined] of each imported recipient, in order. */
      recipients: [number, string, string | undefined][];
      invalid?: { row: number; reason: RegExp }[];
      /** The {{notes}} each imported recipient's message carries, in order. */
      notes?: string[];
    }
  | { refused: RegExp[]; row?: number };

interface FileCase {
  name: string;
  bytes: () => Buffer;
  expected: Expected;
}

const lastOf10k = () => {
  const lines = ['email,name,notes'];
  for (let i = 1; i < 10_000; i++) lines.push(`r${i}@example.com,Reader ${i},ok`);
  lines.push('last@example.com,Last,"quote never closed');
  return utf8(`${lines.join('\n')}\n`);
};

const FILES: FileCase[] = [
  {
    name: 'UTF-8 with a byte-order mark (Excel’s “CSV UTF-8”)',
    bytes: () => utf8('\uFEFFEmail,Name\r\nzoe@example.com,Zoë\r\nrenee@example.com,Renée Müller\r\n'),
    expected: {
      recipients: [
        [2, 'zoe@example.com', 'Zoë'],
        [3, 'renee@example.com', 'Renée Müller'],
      ],
    },
  },
  {
    name: 'Windows-1252 (Excel’s plain “CSV”): refused at the first row that cannot be read',
    bytes: () => windows1252('Email;Name\r\nann@example.com;Ann\r\nrenee@example.com;Renée Müller\r\njose@example.com;José\r\n'),
    expected: { refused: [/^Row 3 /, /could not be read/, /CSV UTF-8/], row: 3 },
  },
  {
    name: 'UTF-16 LE with a byte-order mark, tab-separated (Excel’s “Unicode Text”)',
    bytes: () => utf16le('email\tname\r\nzoe@example.com\tZoë\r\nbob@example.com\tBob\r\n'),
    expected: {
      recipients: [
        [2, 'zoe@example.com', 'Zoë'],
        [3, 'bob@example.com', 'Bob'],
      ],
    },
  },
  {
    name: 'UTF-16 BE with a byte-order mark',
    bytes: () => utf16be('email,name\nzoe@example.com,Zoë\n'),
    expected: { recipients: [[2, 'zoe@example.com', 'Zoë']] },
  },
  {
    name: 'UTF-16 without a byte-order mark: refused, saying how to save it',
    bytes: () => utf16le('email,name\nzoe@example.com,Zoë\n', false),
    expected: { refused: [/UTF-16/, /CSV UTF-8/] },
  },
  {
    name: '“;” as the delimiter, with commas inside the values',
    bytes: () => utf8('email;name;notes\nann@example.com;Smith, Ann;a, b, c\nbob@example.com;"Jones; Bob";x\n'),
    expected: {
      recipients: [
        [2, 'ann@example.com', 'Smith, Ann'],
        [3, 'bob@example.com', 'Jones; Bob'],
      ],
      notes: ['a, b, c', 'x'],
    },
  },
  {
    name: 'quoted cells that span lines (CRLF, LF), rows counted as a spreadsheet shows them',
    bytes: () =>
      utf8(
        'email,name,notes\r\nann@example.com,Ann,"line 1\r\nline 2\nline 3"\r\nbob@example.com,"Bob\r\nJunior",x\r\ncy@example.com,Cy,y\r\n',
      ),
    expected: {
      recipients: [
        [2, 'ann@example.com', 'Ann'],
        [3, 'bob@example.com', 'Bob Junior'],
        [4, 'cy@example.com', 'Cy'],
      ],
      notes: ['line 1\r\nline 2\nline 3', 'x', 'y'],
    },
  },
  {
    name: 'ragged rows: too many cells is reported with its row, too few leaves the fields empty',
    bytes: () => utf8('email,name,notes\nann@example.com,Ann,a,surprise\nbob@example.com\ncy@example.com,Cy,c,,\n'),
    expected: {
      recipients: [
        [3, 'bob@example.com', undefined],
        [4, 'cy@example.com', 'Cy'],
      ],
      invalid: [{ row: 2, reason: /4 cells but the header has 3/ }],
      notes: ['none', 'c'],
    },
  },
  {
    name: 'blank, whitespace-only and delimiter-only lines, before and between rows',
    bytes: () => utf8('\n\nemail,name\n\nann@example.com,Ann\n   \n,\n\t\n\nbob@example.com,Bob\n\n\n'),
    expected: {
      recipients: [
        [5, 'ann@example.com', 'Ann'],
        [10, 'bob@example.com', 'Bob'],
      ],
    },
  },
  {
    name: 'an unclosed quote in the last of 10,000 rows: refused whole, naming that row',
    bytes: lastOf10k,
    expected: { refused: [/^Row 10001 /, /never closed/], row: 10001 },
  },
];

describe('CSV files', () => {
  for (const c of FILES) {
    it(c.name, async () => {
      const csv = pickFile(`${c.name.slice(0, 20).replace(/\W+/g, '-')}.csv`, c.bytes());
      const args = { name: c.name.slice(0, 200), subject: 'Hello {{name|friend}}', text: 'Notes: {{notes|none}}', csv };
      const expected = c.expected;
      if ('refused' in expected) {
        const before = (await value('campaigns.list', {})).length;
        await expectRefused('campaigns.create', args, 'csv_invalid', expected.refused);
        expect((await value('campaigns.list', {})).length).toBe(before);
        return;
      }
      const { campaign, report } = await value('campaigns.create', args);
      expect(report.imported).toBe(expected.recipients.length);
      expect(report.invalid.map((i: { row: number }) => i.row)).toEqual((expected.invalid ?? []).map((i) => i.row));
      for (const [i, want] of (expected.invalid ?? []).entries()) expect(report.invalid[i].reason).toMatch(want.reason);
      // No byte-order mark or stray character turned into a column name.
      for (const field of campaign.fields as string[]) expect(field).toMatch(/^[\p{L}\p{N}_]+$/u);

      const pending = (await value('campaigns.messages', { id: campaign.id, status: 'pending' })).items;
      expect(pending.map((m: { row: number; email: string; name?: string }) => [m.row, m.email, m.name])).toEqual(expected.recipients);
      if (expected.notes) {
        const notes = [];
        for (const m of pending)
          notes.push((await value('campaigns.preview', { id: campaign.id, messageId: m.id })).text.split('\n\n--\n')[0]);
        expect(notes).toEqual(expected.notes.map((n) => `Notes: ${n}`));
      }
    });
  }

  it('100,000 copies of one address: one recipient, 99,999 duplicates, a short report', async () => {
    const own = await createTestEngine();
    try {
      const ownHandlers = createApiHandlers(own.engine, { version: 'test', door: 'headless' });
      const csv = `email,name\nSame@Example.com,Same\n${'same@example.com,Same\n'.repeat(99_999)}`;
      const started = performance.now();
      const answer = (await invoke(ownHandlers, 'campaigns.create', { name: 'Copies', subject: 'Hi', text: 'Hi', csv })) as any;
      const ms = performance.now() - started;
      expect(answer.ok).toBe(true);
      expect(answer.value.report).toEqual({ imported: 1, duplicates: 99_999, invalid: [], suppressed: 0 });
      expect(answer.value.campaign.counts).toMatchObject({ pending: 1, skipped: 99_999 });
      // The report counts duplicates rather than listing them: the answer stays small.
      expect(JSON.stringify(answer).length).toBeLessThan(4000);
      expect(ms).toBeLessThan(10_000);
      const skipped = await own.engine.campaigns.messages({ id: answer.value.campaign.id, status: 'skipped', limit: 1 });
      expect(skipped.items[0]).toMatchObject({ row: 3, skipReason: 'Duplicate of row 2.' });
    } finally {
      await own.close();
    }
  });
});

describe('a 200 MB file', () => {
  it('the window refuses it by its size, before reading a byte', () => {
    const path = join(corpusDir, 'everyone.csv');
    writeFileSync(path, '');
    truncateSync(path, 200 * MB); // sparse: nothing is written
    const message = csvFileTooLarge(statSync(path).size);
    expect(message).toBe('The file is 200 MB; Trickle imports up to 50 MB at a time — split it into smaller files.');
    expect(csvFileTooLarge(50 * MB)).toBeUndefined();
  });

  it('the engine refuses it before parsing, quickly, changing nothing, with the window’s limit', async () => {
    const csv = `email,name\n${'someone@example.com,Someone\n'.repeat(Math.ceil((200 * MB) / 28))}`;
    const started = performance.now();
    const error = await expectRefused('campaigns.create', { name: 'Everyone', subject: 'Hi', text: 'Hi', csv }, 'csv_invalid', [
      /^The file is 20\d MB/,
      /split it into smaller files/,
    ]);
    // Parsing 200 MB would take tens of seconds; the size check takes a fraction of one.
    expect(performance.now() - started).toBeLessThan(3000);
    const limit = (text: string) => /up to (\d+) MB/.exec(text)?.[1];
    expect(limit(error.message)).toBe(limit(csvFileTooLarge(200 * MB)!));
  });
});

// ---- Addresses ------------------------------------------------------------------------------

const LOCAL_64 = 'a'.repeat(64);
const DOMAIN_188 = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(56)}.com`;
// The longest address a mail server takes in a 256-octet RCPT path (smtp-server, like many,
// counts 253); 254 passes Trickle's check and is the server's to refuse, visibly, if it must.
const ADDRESS_253 = `${LOCAL_64}@${DOMAIN_188}`;

const BAD_ADDRESSES: [label: string, address: string, reason: RegExp][] = [
  ['quotes around the local part', '"ann"@example.com', /quotes/],
  ['a quoted display name', '"Ann Smith" <ann@example.com>', /only the address itself, like ann@example\.com/],
  ['CR LF and a Bcc header', 'ann@example.com\r\nBcc: evil@example.net', /line break/],
  ['a lone LF and a header', 'ann@example.com\nX-Injected: yes', /line break/],
  ['a lone CR and a header', 'ann@example.com\rBcc: evil@example.net', /line break/],
  ['255 characters', `${LOCAL_64}@${DOMAIN_188.replace('.com', 'dd.com')}`, /longer than 254/],
  ['a 65-character local part', `${'a'.repeat(65)}@example.com`, /longer than 64/],
  ['more than 254 bytes in UTF-8', `${'ü'.repeat(60)}@${'ü'.repeat(70)}.example`, /longer than 254/],
  ['an IPv4 literal', 'ann@[127.0.0.1]', /IP address/],
  ['an IPv6 literal', 'ann@[IPv6:::1]', /IP address/],
  ['a bare IP address as the domain', 'ann@127.0.0.1', /IP address/],
];

const csvQuote = (s: string) => `"${s.replace(/"/g, '""')}"`;

describe('addresses', () => {
  it('in a CSV: each bad one is reported with its row and reason; only the good ones get mail, unaltered', async () => {
    expect(ADDRESS_253).toHaveLength(253);
    const rows = [
      'email,name',
      'first@example.com,First',
      ...BAD_ADDRESSES.map(([label, address]) => `${csvQuote(address)},${csvQuote(label)}`),
      `${ADDRESS_253},Longest`,
    ];
    const { campaign, report } = await value('campaigns.create', { name: 'Addresses', subject: 'Hi', text: 'Hi', csv: rows.join('\r\n') });
    expect(report.imported).toBe(2);
    expect(report.invalid.map((i: { row: number }) => i.row)).toEqual(BAD_ADDRESSES.map((_, i) => i + 3));
    for (const [i, [label, , reason]] of BAD_ADDRESSES.entries()) expect(report.invalid[i].reason, label).toMatch(reason);

    await queueAndSend(campaign.id);
    const sentHere = setup.gmail.accepted.filter((m) => m.envelope.to[0] === 'first@example.com' || m.envelope.to[0] === ADDRESS_253);
    expect(sentHere.map((m) => m.envelope.to)).toEqual([['first@example.com'], [ADDRESS_253]]);
    for (const mail of sentHere) expectNoInjectedHeader(mail, mail.envelope.to[0]!);
    // No bad address reached the server in any form.
    for (const mail of setup.gmail.accepted) for (const to of mail.envelope.to) expect(to).not.toMatch(/evil|example\.net|\[|127\.0\.0\.1/);
  });

  it('in a recipient list: reported by position, never stored as a recipient', async () => {
    const recipients = [{ email: 'listed@example.com' }, ...BAD_ADDRESSES.map(([, email]) => ({ email }))];
    const { campaign, report } = await value('campaigns.create', { name: 'List', subject: 'Hi', text: 'Hi', recipients });
    expect(report.imported).toBe(1);
    expect(report.invalid.map((i: { row: number }) => i.row)).toEqual(BAD_ADDRESSES.map((_, i) => i + 2));
    for (const [i, [label, , reason]] of BAD_ADDRESSES.entries()) expect(report.invalid[i].reason, label).toMatch(reason);
    expect((await value('campaigns.get', { id: campaign.id })).counts).toMatchObject({ pending: 1, skipped: BAD_ADDRESSES.length });
  });

  describe('wherever else an address is typed: refused, naming the field, nothing changed', () => {
    let draft = 0;
    beforeAll(async () => {
      draft = (await value('campaigns.create', { name: 'Target', subject: 'Hi', text: 'Hi', csv: 'email\nt@example.com' })).campaign.id;
    });
    const entryPoints: [string, string, (address: string) => unknown][] = [
      ['campaigns.testSend', 'to', (to) => ({ id: draft, to })],
      ['campaigns.create', 'replyTo', (replyTo) => ({ name: 'R', subject: 'Hi', text: 'Hi', replyTo })],
      ['campaigns.update', 'replyTo', (replyTo) => ({ id: draft, replyTo })],
      [
        'accounts.add',
        'email',
        (email) => ({ email, appPassword: 'abcdabcdabcdabcd', host: '127.0.0.1', port: 2525, security: 'none', verify: false }),
      ],
    ];
    // A suppression is kept as the user typed it, malformed or not (it only ever stops mail),
    // but one address is one line.
    for (const [label, address] of BAD_ADDRESSES.filter(([, a]) => /\s/.test(a))) {
      it(`suppressions.add email: ${label}`, async () => {
        const error = await expectRefused('suppressions.add', { email: address }, 'invalid_input', [/^email: /, /space or line break/]);
        expect(error.field).toBe('email');
      });
    }
    for (const [method, field, args] of entryPoints) {
      for (const [label, address, reason] of BAD_ADDRESSES) {
        it(`${method} ${field}: ${label}`, async () => {
          const error = await expectRefused(method, args(address), 'invalid_input', [new RegExp(`^${field}: `), reason]);
          expect(error.field).toBe(field);
        });
      }
    }
  });
});

// ---- Header texts: subjects and names ------------------------------------------------------

const BREAKS: [string, string][] = [
  ['CR LF', '\r\n'],
  ['LF', '\n'],
  ['CR', '\r'],
  ['a blank line', '\r\n\r\n'],
  ['NEL (U+0085)', '\u0085'],
  ['LINE SEPARATOR (U+2028)', '\u2028'],
  ['PARAGRAPH SEPARATOR (U+2029)', '\u2029'],
];

describe('merge values that show nothing', () => {
  it('count as empty: queueing names the field and the rows, and no message goes out without its subject', async () => {
    const invisible = ['\u0085', '\u200b\u200e', ' \u0007\u2028 ', '\ufeff'];
    const { campaign } = await value('campaigns.create', {
      name: 'Invisible',
      subject: '{{topic}}',
      text: 'Hi',
      recipients: [
        { email: 'seen@example.com', fields: { topic: 'News' } },
        ...invisible.map((topic, i) => ({ email: `blank${i}@example.com`, fields: { topic } })),
      ],
    });
    await expectRefused('campaigns.queue', { id: campaign.id }, 'merge_missing_field', [
      /\{\{topic\}\} is empty for 4 recipients \(rows 2, 3, 4, 5\)/,
    ]);
    // The preview of such a recipient says the same instead of showing a message with no subject.
    const blank = (await value('campaigns.messages', { id: campaign.id })).items.find(
      (m: { email: string }) => m.email === 'blank0@example.com',
    );
    const preview = await call('campaigns.preview', { id: campaign.id, messageId: blank.id });
    expect(preview.ok).toBe(false);
    expect(preview.error.message).toMatch(/\{\{topic\}\} has no value for this recipient/);
  });
});

describe('subjects and names with line breaks', () => {
  it('typed where a header is made (subject, sender names): a real line break is refused, nothing changed', async () => {
    const draft = (await value('campaigns.create', { name: 'Typed', subject: 'Hi', text: 'Hi', csv: 'email\ntyped@example.com' })).campaign
      .id;
    const accountId = (await value('accounts.list', {}))[0].id;
    for (const [label, br] of BREAKS.slice(0, 4)) {
      const injected = `News${br}Bcc: evil@example.net`;
      await expectRefused('campaigns.update', { id: draft, subject: injected }, 'invalid_input', [/^subject: /, /one line/]);
      await expectRefused('campaigns.update', { id: draft, fromName: injected }, 'invalid_input', [/^fromName: /, /one line/]);
      await expectRefused('accounts.update', { id: accountId, fromName: injected }, 'invalid_input', [/^fromName: /, /one line/]);
      const added = await expectRefused(
        'accounts.add',
        { email: 'new@example.com', appPassword: 'x', fromName: injected, host: '127.0.0.1', port: 2525, security: 'none', verify: false },
        'invalid_input',
        [/^fromName: /],
      );
      expect(added.field, label).toBe('fromName');
    }
  });

  it('from merge data, a name column, a Unicode separator or a file name: neutralised — the raw mail has no extra header', async () => {
    const accountId = (await value('accounts.list', {}))[0].id;
    // Unicode separators pass the "one line" check (they are not control characters to a
    // form field) but are folded to spaces when the header is written.
    await value('accounts.update', { id: accountId, fromName: 'Club\u2028Bcc: evil@example.net' });
    const file = await value('attachments.store', {
      filename: 'notes\r\nBcc: evil@example.net\r\n.txt',
      contentBase64: Buffer.from('hi').toString('base64'),
    });

    const rows = ['email,name,first_name'];
    for (const [i, [, br]] of BREAKS.entries()) {
      rows.push(
        `h${i}@example.com,${csvQuote(`Name${br}Bcc: evil@example.net`)},${csvQuote(`X${br}Bcc: evil@example.net${br}${br}Injected body`)}`,
      );
    }
    const { campaign } = await value('campaigns.create', {
      name: 'Headers',
      subject: 'News\u2028X-Injected: yes for {{first_name}}',
      html: '<p>Hi {{first_name}}</p>',
      attachments: [file.id],
      csv: rows.join('\r\n'),
    });
    const first = (await value('campaigns.messages', { id: campaign.id })).items[0];
    const test = await value('campaigns.testSend', { id: campaign.id, to: 'tester@example.com', messageId: first.id });
    expect(test.sentTo).toBe('tester@example.com');
    await queueAndSend(campaign.id);

    const mails = [lastMailTo('tester@example.com'), ...BREAKS.map((_, i) => lastMailTo(`h${i}@example.com`))];
    for (const mail of mails) {
      expectNoInjectedHeader(mail, mail.envelope.to[0]!);
      expect(mail.headers.get('subject')).toMatch(/^(\[Test\] )?News X-Injected: yes for X +Bcc: evil@example\.net +Injected body$/);
      expect(mail.headers.get('from')).toBe('"Club Bcc: evil@example.net" <alice@gmail.test>');
      // The attachment's name lost its line breaks too.
      expect(mail.raw).toMatch(/name="notes_Bcc_ evil@example\.net_\.txt"/);
    }
    for (const [i] of BREAKS.entries()) {
      expect(lastMailTo(`h${i}@example.com`).headers.get('to')).toBe(`"Name Bcc: evil@example.net" <h${i}@example.com>`);
    }
    await value('accounts.update', { id: accountId, fromName: '' });
  });
});

// ---- <script> and {{…}} inside merge data ----------------------------------------------------

describe('markup and template syntax inside merge data', () => {
  it('arrive as text: escaped in HTML (preview and mail alike), never evaluated again', async () => {
    const hostile = {
      first_name: '<script>alert(1)</script>',
      company: '{{secret}}',
      city: '}}{{email}}{{',
      note: '<img src=x onerror=alert(1)>{{first_name|<b>x</b>}}',
      // SMTP smuggling: a lone dot ends the DATA of a careless client, and the rest becomes commands.
      tail: 'end\r\n.\r\nRCPT TO:<evil@example.net>\r\n\n.\nDATA\r\nthe rest',
    };
    const csv = `email,first_name,company,city,note,tail,secret\nmerge@example.com,${Object.values(hostile).map(csvQuote).join(',')},LEAKED\n`;
    const { campaign } = await value('campaigns.create', {
      name: 'Merge data',
      subject: '{{first_name}} at {{company}} in {{city}}',
      html: '<p>{{first_name}}</p><p>{{company}}</p><p>{{city}}</p><p>{{note}}</p><pre>{{tail}}</pre>',
      csv,
    });
    const preview = await value('campaigns.preview', { id: campaign.id });
    await queueAndSend(campaign.id);
    const mail = lastMailTo('merge@example.com');
    expectNoInjectedHeader(mail, 'merge@example.com');

    const subject = '<script>alert(1)</script> at {{secret}} in }}{{email}}{{';
    expect(preview.subject).toBe(subject);
    expect(mail.headers.get('subject')).toBe(subject);
    const html = preview.html as string;
    expect(html).toContain('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><p>{{secret}}</p><p>}}{{email}}{{</p>');
    expect(html).toContain('<p>&lt;img src=x onerror=alert(1)&gt;{{first_name|&lt;b&gt;x&lt;/b&gt;}}</p>');
    expect(html).not.toMatch(/<script|<img|<b>/);
    // The text part, derived from the HTML, shows the data as the recipient typed it.
    expect(preview.text).toContain('<script>alert(1)</script>');
    expect(preview.text).toContain('{{secret}}');
    for (const rendered of [html, preview.text, preview.subject, mail.raw]) {
      expect(rendered).not.toContain('LEAKED');
      expect(rendered).not.toContain('merge@example.com}}');
    }
    // The whole message arrived as one, to its one recipient: the lone dots were escaped.
    expect(setup.gmail.accepted.filter((m) => m.envelope.to.some((t) => t.includes('evil')))).toEqual([]);
    expect(mail.raw).toContain('the rest');
    const htmlPart = mail.raw.slice(mail.raw.indexOf('Content-Type: text/html'));
    expect(htmlPart).toContain('&lt;script&gt;');
    expect(htmlPart).not.toMatch(/<script|<img /);
  });
});

// ---- Export ----------------------------------------------------------------------------------

describe('the exported results', () => {
  it('no cell — nor any piece of one a spreadsheet might split at ; , tab or a line break — starts a formula', async () => {
    const dde = `x;=cmd|' /C calc'!A0;`;
    const names = ['=1+2', '+1', '-2', '@SUM(1)', dde, 'Smith, -Jr', 'He said "=no"', 'plain'];
    const rows = ['email,name', ...names.map((n, i) => `x${i}@example.com,${csvQuote(n)}`)];
    rows.push(`${csvQuote('bad\n=HYPERLINK("http://evil.example")')},Bad address`);
    rows.push('bounce@example.com,Bounce');
    setup.gmail.fail({
      stage: 'rcpt',
      rcpt: 'bounce@example.com',
      times: 1,
      fault: { reply: `550 5.1.1 no such user;=cmd|' /C calc'!A0` },
    });
    const { campaign } = await value('campaigns.create', { name: '=Results; @export', subject: 'Hi', text: 'Hi', csv: rows.join('\n') });
    await queueAndSend(campaign.id);
    const exported = await value('campaigns.export', { id: campaign.id });
    expect(exported.filename).toMatch(/^Results export results\.csv$/);

    // Read as a comma-separated file: every value there, neutralised by a leading apostrophe.
    const records = parse(exported.csv, { columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.name)).toEqual([
      "'=1+2",
      "'+1",
      "'-2",
      "'@SUM(1)",
      `x;'=cmd|' /C calc'!A0;`,
      "Smith, '-Jr",
      'He said "\'=no"',
      'plain',
      '',
      'Bounce',
    ]);
    expect(records.at(-2)).toMatchObject({ status: 'skipped', email: 'bad\n\'=HYPERLINK("http://evil.example")' });
    expect(records.at(-1)).toMatchObject({ status: 'failed', server_reply: expect.stringContaining(`no such user;'=cmd|`) });
    for (const record of records) for (const cell of Object.values(record)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);

    // Read by a spreadsheet set to another separator, or split at line breaks: still nothing runs.
    for (const piece of exported.csv.split(/[,;\t\r\n]/)) expect(piece).not.toMatch(/^[\s"]*[=+\-@]/);
  });
});
