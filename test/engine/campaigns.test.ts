/**
 * Campaigns as a user meets them: the import report, merge fields, what the recipient's mail
 * looks like, Message-IDs across retries, attachments, timing windows, the campaign controls,
 * preview / test send / export. (Rehearsals: rehearsal.test.ts.) Mail goes through the test Gmail on loopback.
 */
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../src-main/engine/core/errors';
import { checkMergeFields } from '../../src-main/engine/campaigns/merge-checks';
import { TimeSlicer } from '../../src-main/engine/core/time-slice';
import type { SettingsUpdate } from '../../src-main/engine/settings/settings';
import type { AcceptedMessage } from '../support/test-gmail';
import { GMAIL_REPLIES } from '../support/test-gmail';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, drain, recipientsCsv } from '../support/test-engine';

const ALICE = TEST_ACCOUNTS[0]!;

let setup: TestSetup;
afterEach(async () => {
  await setup?.close();
});

async function oneAccount(settings?: SettingsUpdate) {
  setup = await createTestEngine({ accounts: [ALICE], ...(settings ? { settings } : {}) });
  return setup;
}

// ---- A small MIME reader: enough to look at what the recipient's mail program shows ----

interface MimePart {
  contentType: string;
  headers: string;
  body: string;
}

function headerSection(raw: string): string {
  const end = raw.search(/\r?\n\r?\n/);
  return end < 0 ? raw : raw.slice(0, end);
}

function headerValue(headers: string, name: string): string | undefined {
  const unfolded = headers.replace(/\r?\n(?=[ \t])/g, '');
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const soft = body.replace(/=\r?\n/g, '');
      const bytes: number[] = [];
      for (let i = 0; i < soft.length; i++) {
        const hex = soft[i] === '=' ? /^[0-9A-Fa-f]{2}/.exec(soft.slice(i + 1, i + 3)) : null;
        if (hex) {
          bytes.push(parseInt(hex[0], 16));
          i += 2;
        } else {
          bytes.push(...Buffer.from(soft[i]!, 'utf8'));
        }
      }
      return Buffer.from(bytes).toString('utf8');
    }
    default:
      return body;
  }
}

/** The leaf parts of a message (text, html, attachments), bodies decoded. */
function mimeParts(raw: string): MimePart[] {
  const headers = headerSection(raw);
  const body = raw.slice(headers.length).replace(/^\r?\n\r?\n/, '');
  const contentType = headerValue(headers, 'Content-Type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (contentType.toLowerCase().startsWith('multipart/') && boundary) {
    const pieces = body.split(`--${boundary}`);
    return pieces
      .slice(1)
      .filter((piece) => !piece.startsWith('--'))
      .flatMap((piece) => mimeParts(piece.replace(/^\r?\n/, '')));
  }
  return [{ contentType, headers, body: decodeBody(body, headerValue(headers, 'Content-Transfer-Encoding')) }];
}

function part(message: AcceptedMessage, type: 'text/plain' | 'text/html'): string {
  const found = mimeParts(message.raw).find((p) => p.contentType.toLowerCase().startsWith(type) && !/attachment/i.test(p.headers));
  if (!found) throw new Error(`no ${type} part in:\n${message.raw.slice(0, 2000)}`);
  return found.body;
}

function to(message: AcceptedMessage): string {
  return message.envelope.to.join(',');
}

// ---------------------------------------------------------------------------------------

describe('importing recipients', () => {
  it('reports a hostile CSV exactly: BOM, semicolons, multi-line cells, case duplicates, bad rows, suppressed', async () => {
    const { engine, gmail } = await oneAccount();
    await engine.suppressions.add({ email: 'SUP@example.com', reason: 'unsubscribed' });
    const csv =
      '\uFEFFEmail;First Name;Notes\r\n' + // row 1
      'ann@example.com;Ann;"line one\r\nline two; still notes"\r\n' + // row 2 (two lines, one row)
      'ANN@Example.com;Annie;dup\r\n' + // row 3: duplicate of row 2
      'bob@example.com;Bob;x\r\n' + // row 4
      'not-an-address;X;y\r\n' + // row 5: invalid
      'sup@example.com;Sup;z\r\n' + // row 6: suppressed
      '\r\n' + // row 7: blank, counted but ignored
      'carol@example.com;Carol;"semi;colon"\r\n' + // row 8
      'a@b;Q;w\r\n'; // row 9: invalid
    const { campaign, report } = await engine.campaigns.create({
      name: 'Club news',
      subject: 'Hello {{first_name}}',
      text: 'Hi {{first_name}}. Your notes: {{notes}}',
      csv,
    });
    expect(report).toEqual({
      imported: 3,
      duplicates: 1,
      invalid: [
        { row: 5, value: 'not-an-address', reason: 'The address has no @.' },
        { row: 9, value: 'a@b', reason: expect.stringMatching(/"b" has no dot/) },
      ],
      suppressed: 1,
    });
    expect(campaign.fields).toEqual(['first_name', 'notes']);
    expect(campaign.counts).toMatchObject({ pending: 3, skipped: 4 });

    const skipped = await engine.campaigns.messages({ id: campaign.id, status: 'skipped' });
    expect(skipped.total).toBe(4);
    expect(skipped.items.map((m) => [m.row, m.email, m.skipReason])).toEqual([
      [3, 'ANN@Example.com', 'Duplicate of row 2.'],
      [5, 'not-an-address', 'Invalid address: The address has no @.'],
      [6, 'sup@example.com', 'On the suppression list (unsubscribed).'],
      [9, 'a@b', expect.stringMatching(/^Invalid address: .*no dot/)],
    ]);

    // Only the three imported recipients get mail; the multi-line cell arrives whole.
    await engine.campaigns.queue({ id: campaign.id });
    await drain(engine);
    expect(gmail.accepted.map(to)).toEqual(['ann@example.com', 'bob@example.com', 'carol@example.com']);
    expect(part(gmail.accepted[0]!, 'text/plain')).toMatch(/Hi Ann\. Your notes: line one\r?\nline two; still notes/);
    expect(part(gmail.accepted[2]!, 'text/plain')).toContain('Your notes: semi;colon');
    expect((await engine.campaigns.get({ id: campaign.id })).counts).toMatchObject({ sent: 3, skipped: 4 });
  });
});

describe('importing recipients from a list', () => {
  it('reports and stores invalid and duplicate entries by position, and {{name}} works', async () => {
    const { engine, gmail } = await oneAccount();
    const { campaign, report } = await engine.campaigns.create({
      name: 'From a list',
      subject: 'Hi {{name}}',
      text: 'Your code: {{code|none}}',
      recipients: [
        { email: 'ann@example.com', name: 'Ann', fields: { Code: 'A1' } },
        { email: 'Ann <ann@example.com>', name: 'Ann again' },
        { email: 'ANN@EXAMPLE.COM', name: 'Ann shouting' },
        { email: 'bob@example.com', name: 'Bob' },
      ],
    });
    expect(report).toEqual({
      imported: 2,
      duplicates: 1,
      invalid: [{ row: 2, value: 'Ann <ann@example.com>', reason: expect.stringMatching(/without a name/) }],
      suppressed: 0,
    });
    const skipped = await engine.campaigns.messages({ id: campaign.id, status: 'skipped' });
    expect(skipped.items.map((m) => [m.row, m.skipReason])).toEqual([
      [2, expect.stringMatching(/^Invalid address/)],
      [3, 'Duplicate of row 1.'],
    ]);
    await engine.campaigns.queue({ id: campaign.id });
    await drain(engine);
    expect(gmail.accepted.map((m) => [to(m), m.headers.get('subject')])).toEqual([
      ['ann@example.com', 'Hi Ann'],
      ['bob@example.com', 'Hi Bob'],
    ]);
    expect(part(gmail.accepted[0]!, 'text/plain')).toContain('Your code: A1');
    expect(part(gmail.accepted[1]!, 'text/plain')).toContain('Your code: none');
  });
});

describe('merge fields', () => {
  it('fill in one pass, escape HTML, and use the default when a value is empty', async () => {
    const { engine, gmail } = await oneAccount();
    const { campaign } = await engine.campaigns.create({
      name: 'Merge',
      subject: 'Hi {{first_name|there}}',
      html: '<p>Hello {{first_name|there}} from {{company}}</p>',
      text: 'Hello {{first_name|there}} from {{company}}',
      csv: 'email,first_name,company\nr1@example.com,{{first_name}},<script>alert(1)</script>\nr2@example.com,,Acme & Sons\n',
    });
    await engine.campaigns.queue({ id: campaign.id });
    await drain(engine);
    const [r1, r2] = gmail.accepted;

    // A value containing {{first_name}} is inserted as text, never evaluated again.
    expect(r1!.headers.get('subject')).toBe('Hi {{first_name}}');
    const html1 = part(r1!, 'text/html');
    expect(html1).toContain('<p>Hello {{first_name}} from &lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(html1).not.toContain('<script>');
    expect(part(r1!, 'text/plain')).toContain('Hello {{first_name}} from <script>alert(1)</script>');

    expect(r2!.headers.get('subject')).toBe('Hi there');
    expect(part(r2!, 'text/html')).toContain('<p>Hello there from Acme &amp; Sons</p>');
    expect(part(r2!, 'text/plain')).toContain('Hello there from Acme & Sons');
  });

  it('block queueing with a clear message when a field has no value and no default', async () => {
    const { engine, gmail } = await oneAccount();
    const { campaign } = await engine.campaigns.create({
      name: 'Gaps',
      subject: 'For {{company}}',
      html: '<p>Hi {{first_name|friend}}</p>',
      csv: 'email,first_name,company\nr1@example.com,Ann,Acme\nr2@example.com,Bob,\nr3@example.com,,Initech\n',
    });
    const error = await engine.campaigns.queue({ id: campaign.id }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: 'merge_missing_field' });
    expect((error as Error).message).toMatch(/\{\{company\}\} is empty for 1 recipient \(row 3\)/);
    expect((error as Error).message).toMatch(/give a default such as \{\{company\|/);
    const after = await engine.campaigns.get({ id: campaign.id });
    expect(after.status).toBe('draft');
    expect(after.counts.pending).toBe(3);

    // Filling the gap with a default unblocks it.
    await engine.campaigns.update({ id: campaign.id, subject: 'For {{company|you}}' });
    expect(await engine.campaigns.queue({ id: campaign.id })).toMatchObject({ queued: 3 });
    await drain(engine);
    expect(gmail.accepted.map((m) => m.headers.get('subject'))).toEqual(['For Acme', 'For you', 'For Initech']);
  });
});

describe('merge fields checked from what the import noted', () => {
  // Issue 17: queueing reads the messages for a field only when the import noted it blank for
  // someone. Whatever the list and the template, the answer must be the one a look at every
  // message gives (fields_with_blanks set to unknown).
  it('gives the same answer as reading every message, for lists with blanks of every kind', async () => {
    const { engine } = await oneAccount();
    const { db } = engine.internals.ctx;
    const values = ['Ann', '', ' ', '\u200b', '\u00a0x', 'x\u200b', '\u3000', 'Bob'];
    const templates = [
      'Hi {{first_name}}',
      'For {{company}}',
      '{{first_name}} at {{company}}',
      'Hi {{name}}',
      'Hi {{missing}}',
      'Hi {{first_name|there}}',
    ];
    let cases = 0;
    for (let seed = 0; seed < 24; seed++) {
      const rows = Array.from({ length: 6 }, (_, i) => {
        const pick = (k: number) => values[(seed * 7 + i * 3 + k * 5) % values.length]!;
        return `r${i + 1}@example.com,"${pick(1)}","${pick(2)}","${pick(3)}"`;
      });
      const csv = ['email,first_name,company,name', ...rows].join('\n');
      const subject = templates[seed % templates.length]!;
      const answer = async () => {
        const { campaign } = await engine.campaigns.create({ name: `c${seed}`, subject, text: 't', csv });
        return {
          id: campaign.id,
          result: await checkMergeFields(db, { id: campaign.id, subject, html: null, text: 't' }, new TimeSlicer()).then(
            () => 'ok',
            (e: Error) => e.message,
          ),
        };
      };
      const noted = await answer();
      const scanned = await answer();
      await db.updateTable('campaigns').set({ fields_with_blanks: null }).where('id', '=', scanned.id).execute();
      const byScan = await checkMergeFields(db, { id: scanned.id, subject, html: null, text: 't' }, new TimeSlicer()).then(
        () => 'ok',
        (e: Error) => e.message,
      );
      expect(noted.result, `${subject} over ${JSON.stringify(rows)}`).toBe(byScan);
      if (byScan !== 'ok') cases++;
    }
    // Both kinds of answer were exercised.
    expect(cases).toBeGreaterThan(3);
    expect(cases).toBeLessThan(24);
  });
});

describe('editing a paused campaign', () => {
  it('refuses a template whose new field is empty for recipients still to go, so nothing fails at send time', async () => {
    const { engine, gmail } = await oneAccount({ batchSize: 1 });
    const { campaign } = await engine.campaigns.create({
      name: 'Edit',
      subject: 'Hello',
      text: 'Hi',
      csv: 'email,company\nr1@example.com,Acme\nr2@example.com,\nr3@example.com,Initech\n',
    });
    await engine.campaigns.queue({ id: campaign.id });
    await engine.runBatchNow(); // r1 sent
    await engine.campaigns.pause({ id: campaign.id });

    // r1 is sent already; r2, still queued, has no company.
    await expect(engine.campaigns.update({ id: campaign.id, subject: 'For {{company}}' })).rejects.toMatchObject({
      code: 'merge_missing_field',
      message: /\{\{company\}\} is empty for 1 recipient \(row 3\)/,
    });
    expect((await engine.campaigns.get({ id: campaign.id })).subject).toBe('Hello');

    await engine.campaigns.update({ id: campaign.id, subject: 'For {{company|you}}' });
    await engine.campaigns.resume({ id: campaign.id });
    await drain(engine);
    expect(gmail.accepted.map((m) => m.headers.get('subject'))).toEqual(['Hello', 'For you', 'For Initech']);
    expect((await engine.campaigns.get({ id: campaign.id })).counts.failed).toBe(0);
  });
});

describe('header injection', () => {
  it('a line break in a name or a merge value never adds a header or a recipient', async () => {
    const { engine, gmail } = await oneAccount();
    const { campaign } = await engine.campaigns.create({
      name: 'Injection',
      subject: 'News for {{first_name}}',
      fromName: 'Club',
      html: '<p>Hi {{first_name}}</p>',
      csv: 'email,name,first_name\r\neve@example.com,"Eve\r\nBcc: evil@x.com","X\r\nBcc: evil@x.com"\r\n',
    });
    await engine.campaigns.queue({ id: campaign.id });
    await drain(engine);

    expect(gmail.accepted).toHaveLength(1);
    const mail = gmail.accepted[0]!;
    expect(mail.envelope.to).toEqual(['eve@example.com']);
    const headers = headerSection(mail.raw);
    expect(headers).not.toMatch(/^bcc:/im);
    expect(headers).not.toMatch(/^cc:/im);
    expect(headers.match(/^subject:/gim)).toHaveLength(1);
    expect(headers.match(/^from:/gim)).toHaveLength(1);
    expect(headers.match(/^to:/gim)).toHaveLength(1);
    expect(mail.headers.get('subject')).toBe('News for X Bcc: evil@x.com');
    // evil@x.com is at most text inside a quoted display name, never an address of its own.
    expect(mail.headers.get('to')).toMatch(/^"[^"]*Bcc: evil@x\.com[^"]*" <eve@example\.com>$/);
  });

  it('a subject or sender name typed with a line break is refused, and nothing is created', async () => {
    const { engine } = await oneAccount();
    for (const bad of [{ subject: 'News\r\nBcc: evil@x.com' }, { subject: 'ok', fromName: 'Club\nBcc: evil@x.com' }]) {
      await expect(engine.campaigns.create({ name: 'Injection', html: '<p>Hi</p>', csv: recipientsCsv(1), ...bad })).rejects.toMatchObject({
        code: 'invalid_input',
        message: /must be one line: remove the line break/,
      });
    }
    expect(await engine.campaigns.list()).toEqual([]);
  });
});

describe('the message a recipient gets', () => {
  it('has a text part made from the HTML, List-Unsubscribe, and the unsubscribe line in both parts', async () => {
    const { engine, gmail } = await oneAccount();
    const html = '<h1>Big news</h1><p>Visit <a href="https://example.com/x">our site</a>, {{first_name}}.</p>';
    const plain = await engine.campaigns.create({ name: 'Plain', subject: 'One', html, csv: recipientsCsv(1) });
    const withReplyTo = await engine.campaigns.create({
      name: 'Reply-to',
      subject: 'Two',
      html,
      replyTo: 'office@club.example',
      csv: recipientsCsv(1, 'other.example'),
    });
    await engine.campaigns.queue({ id: plain.campaign.id });
    await engine.campaigns.queue({ id: withReplyTo.campaign.id });
    await drain(engine);
    const [a, b] = gmail.accepted;

    const textA = part(a!, 'text/plain');
    expect(textA).toMatch(/big news/i);
    expect(textA).toContain('Visit our site (https://example.com/x), Reader1.');
    expect(textA).not.toMatch(/<p>|<a /);
    expect(textA).toMatch(/To unsubscribe, reply with "unsubscribe" or write to alice@gmail\.test\./);
    // The mailto carries the message's token (its Message-ID's first 16 hex digits and row id),
    // so a request to it is recognised without a subject (PRODUCT.md §5b).
    const token = (m: typeof a) => {
      const [, hex, row] = /^<([0-9a-f]{16})[0-9a-f]{8}\.(\d+)@/.exec(m!.messageId!)!;
      return `alice+unsub-${hex}-${row}@gmail.test`;
    };
    expect(part(a!, 'text/html')).toContain(
      `To unsubscribe, reply with “unsubscribe” or <a href="mailto:${token(a)}?subject=unsubscribe">write to alice@gmail.test</a>`,
    );
    expect(a!.headers.get('list-unsubscribe')).toBe(`<mailto:${token(a)}?subject=unsubscribe>`);
    expect(a!.headers.has('reply-to')).toBe(false);

    // With a reply-to, replies go there, but unsubscribe requests still go to the sending
    // account, whose inbox Trickle reads: the line asks for a message to it, not a reply.
    expect(b!.headers.get('reply-to')).toBe('office@club.example');
    expect(b!.headers.get('list-unsubscribe')).toBe(`<mailto:${token(b)}?subject=unsubscribe>`);
    expect(part(b!, 'text/plain')).toMatch(/To unsubscribe, write "unsubscribe" to alice@gmail\.test\./);
    expect(part(b!, 'text/html')).toContain(
      `To unsubscribe, <a href="mailto:${token(b)}?subject=unsubscribe">write to alice@gmail.test</a>`,
    );
  });
});

describe('Message-ID', () => {
  it('is fixed when the campaign is queued and reused when a temporarily refused message is retried', async () => {
    const { engine, gmail } = await oneAccount();
    const { campaign } = await engine.campaigns.create({
      name: 'Ids',
      subject: 'Hi {{first_name}}',
      text: 'Hello',
      csv: recipientsCsv(2),
    });
    const draft = await engine.campaigns.messages({ id: campaign.id });
    expect(draft.items.every((m) => m.messageId === undefined)).toBe(true);
    await engine.campaigns.queue({ id: campaign.id });
    const queued = (await engine.campaigns.messages({ id: campaign.id })).items;
    const idOf = (email: string) => queued.find((m) => m.email === email)!.messageId!;
    expect(idOf('r1@example.com')).toMatch(/^<[^<>@\s]+@[^<>@\s]+>$/);
    expect(idOf('r1@example.com')).not.toBe(idOf('r2@example.com'));

    gmail.fail({ stage: 'rcpt', rcpt: 'r1@example.com', times: 1, fault: { reply: GMAIL_REPLIES.recipientRateLimited } });
    expect(await engine.runBatchNow()).toMatchObject({ sent: 1, retrying: 1 });
    expect(gmail.accepted.map(to)).toEqual(['r2@example.com']);
    expect(gmail.accepted[0]!.messageId).toBe(idOf('r2@example.com'));
    const waiting = (await engine.campaigns.messages({ id: campaign.id, status: 'retry_wait' })).items;
    expect(waiting).toMatchObject([{ email: 'r1@example.com', attempts: 1, messageId: idOf('r1@example.com') }]);
    expect(waiting[0]!.lastError).toMatchObject({ code: '4.2.1' });

    expect(await engine.runRetryNow()).toEqual({ requeued: 1, gaveUp: 0 });
    expect(await engine.runBatchNow()).toMatchObject({ sent: 1 });
    expect(gmail.accepted.map(to)).toEqual(['r2@example.com', 'r1@example.com']);
    expect(gmail.accepted[1]!.messageId).toBe(idOf('r1@example.com'));
    const done = (await engine.campaigns.messages({ id: campaign.id })).items;
    expect(done.map((m) => [m.email, m.status, m.messageId])).toEqual([
      ['r1@example.com', 'sent', idOf('r1@example.com')],
      ['r2@example.com', 'sent', idOf('r2@example.com')],
    ]);
  });
});

describe('attachments', () => {
  it('a small file arrives with the message', async () => {
    const { engine, gmail } = await oneAccount();
    const file = await engine.attachments.store({
      filename: 'agenda.txt',
      contentBase64: Buffer.from('Agenda: 1. Welcome 2. Budget\n').toString('base64'),
    });
    expect(file).toEqual({ id: expect.any(Number), filename: 'agenda.txt', size: 29 });
    const { campaign } = await engine.campaigns.create({
      name: 'With file',
      subject: 'Agenda',
      text: 'See attached.',
      attachments: [file.id],
      csv: recipientsCsv(1),
    });
    expect(campaign.attachments).toEqual([{ id: file.id, filename: 'agenda.txt', size: 29 }]);
    await engine.campaigns.queue({ id: campaign.id });
    await drain(engine);
    expect(gmail.accepted).toHaveLength(1);
    const attached = mimeParts(gmail.accepted[0]!.raw).find((p) => /filename="?agenda\.txt/i.test(p.headers));
    expect(attached?.body).toBe('Agenda: 1. Welcome 2. Budget\n');
  });

  it('a stored file removed after queueing pauses the campaign, naming the file, and burns nothing; resume after restoring sends', async () => {
    const { engine, gmail, dataDir } = await oneAccount();
    const stored = await engine.attachments.store({
      filename: 'minutes.pdf',
      contentBase64: Buffer.from('%PDF-1.4 minutes\n').toString('base64'),
    });
    // The store's copy, as a damaged data folder or a careless clean-up would lose it.
    const file = join(dataDir, 'attachments', 'store', String(stored.id));
    const { campaign } = await engine.campaigns.create({
      name: 'Minutes',
      subject: 'Minutes',
      text: 'Attached.',
      attachments: [stored.id],
      csv: recipientsCsv(2),
    });
    await engine.campaigns.queue({ id: campaign.id });
    unlinkSync(file);

    await engine.runBatchNow();
    expect(gmail.accepted).toHaveLength(0);
    const paused = await engine.campaigns.get({ id: campaign.id });
    expect(paused.status).toBe('paused');
    expect(paused.statusDetail).toMatch(/minutes\.pdf/);
    expect(paused.statusDetail).toMatch(/Remove it from the campaign and add the file again/);
    expect(paused.attachments).toEqual([{ id: stored.id, filename: 'minutes.pdf', size: 17, missing: true }]);
    const items = (await engine.campaigns.messages({ id: campaign.id })).items;
    expect(items.map((m) => [m.status, m.attempts])).toEqual([
      ['queued', 0],
      ['queued', 0],
    ]);
    expect((await engine.accounts.list())[0]).toMatchObject({ sentLast24h: 0, remaining: 100 });
    expect(await engine.runBatchNow()).toBeUndefined(); // a paused campaign is not picked up

    // Resuming while the file is still missing says so and stays paused.
    await expect(engine.campaigns.resume({ id: campaign.id })).rejects.toMatchObject({
      code: 'attachment_problem',
      message: expect.stringMatching(/minutes\.pdf/),
    });
    expect((await engine.campaigns.get({ id: campaign.id })).status).toBe('paused');

    writeFileSync(file, '%PDF-1.4 minutes\n');
    expect(await engine.campaigns.resume({ id: campaign.id })).toMatchObject({ status: 'queued' });
    await drain(engine);
    expect(gmail.accepted.map(to)).toEqual(['r1@example.com', 'r2@example.com']);
    expect(gmail.accepted[0]!.raw).toMatch(/filename="?minutes\.pdf/);
    expect(await engine.campaigns.get({ id: campaign.id })).toMatchObject({ status: 'completed', counts: { sent: 2 } });
  });
});

describe('timing', () => {
  it('sendAfter: nothing goes out before it, everything after', async () => {
    const { engine, gmail, clock } = await oneAccount();
    const { campaign } = await engine.campaigns.create({
      name: 'Later',
      subject: 'Later',
      text: 'Hi',
      sendAfter: new Date(clock.now() + 3600_000).toISOString(),
      csv: recipientsCsv(2),
    });
    await engine.campaigns.queue({ id: campaign.id });
    expect(await engine.runBatchNow()).toBeUndefined();
    clock.advance(3599_000);
    expect(await engine.runBatchNow()).toBeUndefined();
    expect(gmail.accepted).toHaveLength(0);
    expect((await engine.campaigns.get({ id: campaign.id })).counts.queued).toBe(2);

    clock.advance(2_000);
    expect(await engine.runBatchNow()).toMatchObject({ sent: 2 });
    expect(gmail.accepted.map(to)).toEqual(['r1@example.com', 'r2@example.com']);
  });

  it('stopAfter: what is unsent when it passes is expired and the campaign completes', async () => {
    const { engine, gmail, clock } = await oneAccount({ batchSize: 2 });
    const { campaign } = await engine.campaigns.create({
      name: 'Deadline',
      subject: 'Today only',
      text: 'Hi',
      stopAfter: new Date(clock.now() + 10 * 60_000).toISOString(),
      csv: recipientsCsv(5),
    });
    await engine.campaigns.queue({ id: campaign.id });
    expect(await engine.runBatchNow()).toMatchObject({ sent: 2 });
    clock.advance(11 * 60_000);
    expect(await engine.runBatchNow()).toBeUndefined();
    expect(gmail.accepted).toHaveLength(2);
    const done = await engine.campaigns.get({ id: campaign.id });
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ sent: 2, expired: 3, queued: 0 });
    const expired = await engine.campaigns.messages({ id: campaign.id, status: 'expired' });
    expect(expired.items.map((m) => m.email)).toEqual(['r3@example.com', 'r4@example.com', 'r5@example.com']);
  });
});

describe('campaign controls', () => {
  it('pause stops a campaign, resume continues it, cancel ends it', async () => {
    const { engine, gmail } = await oneAccount({ batchSize: 2 });
    const { campaign } = await engine.campaigns.create({ name: 'Ctl', subject: 'Hi', text: 'Hi', csv: recipientsCsv(6) });
    await engine.campaigns.queue({ id: campaign.id });
    expect(await engine.runBatchNow()).toMatchObject({ sent: 2 });

    expect(await engine.campaigns.pause({ id: campaign.id })).toMatchObject({ status: 'paused', counts: { sent: 2, queued: 4 } });
    expect(await engine.runBatchNow()).toBeUndefined();
    expect(gmail.accepted).toHaveLength(2);

    expect(await engine.campaigns.resume({ id: campaign.id })).toMatchObject({ status: 'queued' });
    expect(await engine.runBatchNow()).toMatchObject({ sent: 2 });
    expect(gmail.accepted).toHaveLength(4);

    expect(await engine.campaigns.cancel({ id: campaign.id })).toMatchObject({
      status: 'cancelled',
      counts: { sent: 4, cancelled: 2, queued: 0 },
    });
    expect(await engine.runBatchNow()).toBeUndefined();
    expect(gmail.accepted.map(to)).toEqual(['r1@example.com', 'r2@example.com', 'r3@example.com', 'r4@example.com']);
  });

  it('a campaign cancelled while its batch runs: the batch history accounts for every message it claimed', async () => {
    const { engine, gmail } = await oneAccount({ batchSize: 8 });
    const { campaign } = await engine.campaigns.create({ name: 'Stop', subject: 'Hi', text: 'Hi', csv: recipientsCsv(8) });
    await engine.campaigns.queue({ id: campaign.id });
    let cancelling: Promise<unknown> | undefined;
    gmail.onReceived((m) => {
      if (m.envelope.to[0] === 'r3@example.com') cancelling = engine.campaigns.cancel({ id: campaign.id });
    });

    const summary = await engine.runBatchNow();
    await cancelling;
    expect(summary!.cancelled).toBeGreaterThan(0);
    expect(summary!.sent + summary!.cancelled).toBe(8);
    expect(gmail.accepted).toHaveLength(summary!.sent);
    const [batch] = await engine.batches.list({ limit: 1 });
    expect(batch).toMatchObject({ claimed: 8, sent: summary!.sent, cancelled: summary!.cancelled });
    expect(batch!.summary).toContain(`${summary!.cancelled} cancelled`);
  });

  it('retryFailed sends a permanently failed message again, reopening the completed campaign', async () => {
    const { engine, gmail } = await oneAccount();
    const { campaign } = await engine.campaigns.create({ name: 'Big', subject: 'Hi', text: 'Hi', csv: recipientsCsv(2) });
    await engine.campaigns.queue({ id: campaign.id });
    gmail.fail({ stage: 'data', rcpt: 'r1@example.com', times: 1, fault: { reply: GMAIL_REPLIES.messageTooBig } });
    expect(await engine.runBatchNow()).toMatchObject({ sent: 1, failed: 1 });
    expect(await engine.campaigns.get({ id: campaign.id })).toMatchObject({ status: 'completed', counts: { sent: 1, failed: 1 } });
    const [failed] = (await engine.campaigns.messages({ id: campaign.id, status: 'failed' })).items;
    expect(failed).toMatchObject({ email: 'r1@example.com', attempts: 1 });
    expect(failed!.lastError).toMatchObject({ code: '5.3.4', response: GMAIL_REPLIES.messageTooBig });
    expect(failed!.lastError!.explanation).toMatch(/too large/);
    // A permanent refusal is not retried by the retry job.
    await engine.runRetryNow();
    expect(await engine.runBatchNow()).toBeUndefined();

    expect(await engine.campaigns.retryFailed({ id: campaign.id })).toEqual({ requeued: 1 });
    expect((await engine.campaigns.get({ id: campaign.id })).status).toBe('queued');
    expect(await engine.runBatchNow()).toMatchObject({ sent: 1 });
    expect(gmail.accepted.map(to)).toEqual(['r2@example.com', 'r1@example.com']);
    expect(gmail.accepted[1]!.messageId).toBe(failed!.messageId);
    expect(await engine.campaigns.get({ id: campaign.id })).toMatchObject({ status: 'completed', counts: { sent: 2, failed: 0 } });
  });

  it('a message whose connection broke after the data is in doubt, not resent until the user asks; then it keeps its Message-ID', async () => {
    const { engine, gmail } = await oneAccount();
    const { campaign } = await engine.campaigns.create({ name: 'Doubt', subject: 'Hi', text: 'Hi', csv: recipientsCsv(2) });
    await engine.campaigns.queue({ id: campaign.id });
    gmail.fail({ stage: 'data', rcpt: 'r1@example.com', fault: { drop: 'after-data' }, times: 1 });
    expect(await engine.runBatchNow()).toMatchObject({ inDoubt: 1, sent: 1 });
    const [doubt] = (await engine.campaigns.messages({ id: campaign.id, status: 'in_doubt' })).items;
    expect(doubt).toMatchObject({ email: 'r1@example.com' });
    expect(doubt!.lastError!.explanation).toMatch(/may have arrived/);
    expect(gmail.receivedButUnacknowledged.map((m) => m.messageId)).toEqual([doubt!.messageId]);

    // Neither the retry job nor another batch sends it on their own.
    await engine.runRetryNow();
    expect(await engine.runBatchNow()).toBeUndefined();
    expect(gmail.accepted.map(to)).toEqual(['r2@example.com']);

    expect(await engine.campaigns.resendInDoubt({ id: campaign.id })).toEqual({ requeued: 1 });
    expect(await engine.runBatchNow()).toMatchObject({ sent: 1 });
    expect(gmail.accepted.map(to)).toEqual(['r2@example.com', 'r1@example.com']);
    expect(gmail.accepted[1]!.messageId).toBe(doubt!.messageId);
    expect(await engine.campaigns.get({ id: campaign.id })).toMatchObject({ status: 'completed', counts: { sent: 2, in_doubt: 0 } });
  });
});

describe('preview, test send, export', () => {
  it('preview shows the chosen recipient’s rendered message', async () => {
    const { engine, gmail } = await oneAccount();
    const { campaign } = await engine.campaigns.create({
      name: 'Preview',
      subject: 'Hello {{first_name}}',
      html: '<p>Dear {{first_name}} &lt;3</p>',
      replyTo: 'office@club.example',
      csv: recipientsCsv(3),
    });
    const { items } = await engine.campaigns.messages({ id: campaign.id });
    const second = await engine.campaigns.preview({ id: campaign.id, messageId: items[1]!.id });
    expect(second.recipient).toMatchObject({ email: 'r2@example.com', row: 3 });
    expect(second.to).toBe('r2@example.com');
    expect(second.from).toBe('alice@gmail.test');
    expect(second.replyTo).toBe('office@club.example');
    expect(second.subject).toBe('Hello Reader2');
    expect(second.html).toContain('<p>Dear Reader2 &lt;3</p>');
    expect(second.text).toContain('Dear Reader2 <3');
    expect(second.text).toMatch(/To unsubscribe/);
    // A draft's message has no Message-ID yet, so no token: the sending account's plain address.
    expect(second.headers['List-Unsubscribe']).toBe('<mailto:alice@gmail.test?subject=unsubscribe>');
    // Without a choice, the first recipient.
    expect((await engine.campaigns.preview({ id: campaign.id })).subject).toBe('Hello Reader1');
    expect(gmail.accepted).toHaveLength(0);
  });

  it('test send delivers "[Test] …" to any address and counts against the account’s cap', async () => {
    const { engine, gmail } = await oneAccount();
    const { campaign } = await engine.campaigns.create({
      name: 'Test',
      subject: 'Hello {{first_name}}',
      html: '<p>Dear {{first_name}}</p>',
      csv: recipientsCsv(3),
    });
    const { items } = await engine.campaigns.messages({ id: campaign.id });
    expect(await engine.campaigns.testSend({ id: campaign.id, to: 'me@example.org' })).toMatchObject({
      sentTo: 'me@example.org',
      from: 'alice@gmail.test',
    });
    await engine.campaigns.testSend({ id: campaign.id, to: 'me@example.org', messageId: items[2]!.id });
    expect(gmail.accepted.map(to)).toEqual(['me@example.org', 'me@example.org']);
    expect(gmail.accepted.map((m) => m.headers.get('subject'))).toEqual(['[Test] Hello Reader1', '[Test] Hello Reader3']);
    expect(part(gmail.accepted[1]!, 'text/html')).toContain('Dear Reader3');
    expect((await engine.accounts.list())[0]).toMatchObject({ sentLast24h: 2, remaining: 98 });
    // The campaign itself is untouched: still a draft, nobody sent to.
    expect(await engine.campaigns.get({ id: campaign.id })).toMatchObject({ status: 'draft', counts: { pending: 3, sent: 0 } });
  });

  it('export is formula-safe and quotes commas', async () => {
    const { engine } = await oneAccount();
    const csv = [
      'email,name',
      'a1@example.com,"=HYPERLINK(""http://evil.example"",""click"")"',
      'a2@example.com,+1',
      'a3@example.com,-2',
      'a4@example.com,@x',
      'a5@example.com,"Smith, John"',
      '=1+2@example.com,Eq',
    ].join('\n');
    const { campaign } = await engine.campaigns.create({ name: 'Export / test', subject: 'Hi', text: 'Hi', csv });
    const exported = await engine.campaigns.export({ id: campaign.id });
    expect(exported.filename).toMatch(/\.csv$/);
    expect(exported.csv).toContain('"Smith, John"');
    const rows = parse(exported.csv, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.email, r.name])).toEqual([
      ['a1@example.com', `'=HYPERLINK("http://evil.example","click")`],
      ['a2@example.com', "'+1"],
      ['a3@example.com', "'-2"],
      ['a4@example.com', "'@x"],
      ['a5@example.com', 'Smith, John'],
      ["'=1+2@example.com", 'Eq'],
    ]);
    expect(rows.every((r) => r.status === 'pending')).toBe(true);
    // No cell a spreadsheet would run starts with a formula character.
    for (const r of rows) for (const v of Object.values(r)) expect(v).not.toMatch(/^[=+\-@]/);
  });
});
