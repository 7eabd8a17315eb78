/**
 * Properties of the CSV import and the merge renderer, checked on thousands of generated
 * inputs (fast-check) rather than a handful of hand-picked ones:
 *
 * - any table written as CSV (any delimiter, line ending, encoding, quoting, blank lines,
 *   duplicates) is read back exactly, with spreadsheet row numbers;
 * - any text at all is either read with the import's invariants or refused with a
 *   CsvImportError, and through the API a refusal stores nothing while an import stores
 *   every row;
 * - rendering fills each field once, escaped in HTML, never re-reading a value as template;
 * - no subject, name or merge value, whatever it holds, adds a header or a recipient to the
 *   message nodemailer builds;
 * - no exported cell, however a spreadsheet splits it, starts a formula.
 *
 * Runs are bounded so that each property takes well under two seconds.
 */
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHandlers, createApiHandlers, invoke } from '../../src-main/api/handlers';
import { checkAddress } from '../../src-main/engine/core/addresses';
import { csvCell } from '../../src-main/engine/campaigns/campaign-export';
import { renderMessage, toMailOptions } from '../../src-main/engine/campaigns/compose';
import { parseRecipientsCsv } from '../../src-main/engine/campaigns/csv-import';
import { CsvImportError, type CsvImportResult } from '../../src-main/engine/campaigns/import-result';
import { MergeError, escapeHtml, isBlankValue, renderTemplate, templateFields } from '../../src-main/engine/campaigns/merge';
import { decodeText } from '../../src-renderer/lib/csv';
import { type TestSetup, createTestEngine } from '../support/test-engine';

const chars = (...list: string[]) => fc.constantFrom(...list);
const text = (alphabet: fc.Arbitrary<string>, maxLength = 12) => fc.string({ unit: alphabet, maxLength });

/** Characters that make CSV and templates hard: delimiters, quotes, line breaks, braces, markup. */
const NASTY = chars(
  'a',
  'Z',
  '7',
  ' ',
  ',',
  ';',
  '\t',
  '"',
  "'",
  '\n',
  '\r',
  '{',
  '}',
  '|',
  '<',
  '>',
  '&',
  '=',
  '@',
  '-',
  'é',
  'ß',
  '😀',
  '\u2028',
  '\u0085',
);

// ---- CSV: what is written is read back --------------------------------------------------------

const FIELD_NAMES = ['first_name', 'notes', 'city', 'company', 'dept'];
const DOMAINS = ['example.com', 'example.org', 'mail.example.net', 'bücher.example'];

const address = fc
  .tuple(text(chars('a', 'b', 'c', 'x', '1', '.', '_', '+', '-'), 8), fc.constantFrom(...DOMAINS), fc.boolean())
  .map(([local, domain, upper]) => {
    const clean = `r${local.replace(/\.+/g, '.').replace(/\.$/, '')}`; // no leading, trailing or double dots
    const email = `${clean}@${domain}`;
    return upper ? email.toUpperCase() : email;
  });

interface Table {
  delimiter: ',' | ';' | '\t';
  eol: '\n' | '\r\n' | '\r';
  encoding: 'utf8' | 'utf8-bom' | 'utf16le-bom';
  columns: string[];
  rows: { email: string; values: string[]; blankLinesBefore: number }[];
  blankLinesAfter: number;
}

const table: fc.Arbitrary<Table> = fc
  .record({
    delimiter: fc.constantFrom(',' as const, ';' as const, '\t' as const),
    eol: fc.constantFrom('\n' as const, '\r\n' as const, '\r' as const),
    encoding: fc.constantFrom('utf8' as const, 'utf8-bom' as const, 'utf16le-bom' as const),
    columns: fc.uniqueArray(fc.constantFrom(...FIELD_NAMES), { minLength: 1, maxLength: 4 }),
    blankLinesAfter: fc.nat(2),
  })
  .chain((t) =>
    fc
      .array(
        fc.record({
          email: address,
          values: fc.array(text(NASTY), { minLength: t.columns.length, maxLength: t.columns.length }),
          blankLinesBefore: fc.nat(2),
        }),
        { maxLength: 12 },
      )
      .map((rows) => ({ ...t, rows })),
  );

function cell(value: string, delimiter: string): string {
  const needsQuotes = value.includes(delimiter) || /["\r\n]/.test(value) || value !== value.trim();
  return needsQuotes ? `"${value.replace(/"/g, '""')}"` : value;
}

function writeCsv(t: Table): { bytes: Buffer; expectedRows: number[] } {
  const lines = [['email', ...t.columns].join(t.delimiter)];
  const expectedRows: number[] = [];
  for (const row of t.rows) {
    for (let i = 0; i < row.blankLinesBefore; i++) lines.push('');
    lines.push([row.email, ...row.values].map((v) => cell(v, t.delimiter)).join(t.delimiter));
    expectedRows.push(lines.length); // a record is one spreadsheet row, whatever its cells hold
  }
  for (let i = 0; i < t.blankLinesAfter; i++) lines.push('');
  const csv = lines.join(t.eol) + t.eol;
  const bytes =
    t.encoding === 'utf16le-bom'
      ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')])
      : Buffer.from((t.encoding === 'utf8-bom' ? '\uFEFF' : '') + csv, 'utf8');
  return { bytes, expectedRows };
}

const asArrayBuffer = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

describe('CSV import', () => {
  it('reads back any table written as CSV: addresses, fields, row numbers and duplicates', () => {
    fc.assert(
      fc.property(table, (t) => {
        const { bytes, expectedRows } = writeCsv(t);
        const result = parseRecipientsCsv(decodeText(asArrayBuffer(bytes)));

        const firstRow = new Map<string, number>();
        const recipients: { row: number; email: string; fields: Record<string, string> }[] = [];
        const duplicates: { row: number; value: string; firstRow: number }[] = [];
        t.rows.forEach((r, i) => {
          const row = expectedRows[i]!;
          const key = r.email.normalize('NFC').toLowerCase();
          const seen = firstRow.get(key);
          if (seen !== undefined) {
            duplicates.push({ row, value: r.email.normalize('NFC'), firstRow: seen });
            return;
          }
          firstRow.set(key, row);
          recipients.push({
            row,
            email: r.email.normalize('NFC'),
            fields: Object.fromEntries(t.columns.map((c, j) => [c, r.values[j]!.trim()]).filter(([, v]) => v !== '')),
          }); // empty cells are not kept
        });

        expect(result.columns).toEqual(t.columns);
        expect(result.invalid).toEqual([]);
        expect(result.recipients.map(({ row, email, fields }) => ({ row, email, fields }))).toEqual(recipients);
        expect(result.duplicates).toEqual(duplicates);
      }),
      { numRuns: 300 },
    );
  });

  /** Lines that are mostly recipient rows, some broken: duplicates, bad addresses, stray quotes. */
  const line = fc.oneof(
    {
      weight: 10,
      arbitrary: fc
        .tuple(
          fc.constantFrom('a@x.org', 'B@x.org', 'b@X.ORG', 'c@x.org', 'not-an-address', 'd@x', ''),
          fc.constantFrom(',', ';'),
          text(chars('a', ' ', ',', ';', '{', '<', 'é', '\t'), 8),
        )
        .map((p) => p.join('')),
    },
    { weight: 1, arbitrary: text(NASTY, 12) },
    // A name as a Windows-1252 file decoded as UTF-8 leaves it.
    { weight: 1, arbitrary: fc.constantFrom('e@x.org,Ren\uFFFDe', 'f@x.org;M\uFFFDller') },
  );
  const csvish = fc.oneof(
    {
      weight: 1,
      arbitrary: text(chars('e', 'm', 'a', 'i', 'l', '@', 'x', '.', 'o', ',', ';', '\t', '"', '\n', '\r', ' ', 'é', '\0', '\uFFFD'), 80),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom('email,name', 'Email;Name', '\uFEFFemail', 'email', 'name,notes', ''),
          fc.array(line, { maxLength: 8 }),
          fc.constantFrom('\n', '\r\n', '\r'),
        )
        .map(([header, lines, eol]) => [header, ...lines].join(eol)),
    },
  );

  it('reads any text or refuses it whole, and what it reads keeps the import’s invariants', () => {
    const seen = { refused: 0, imported: 0, reported: 0 };
    fc.assert(
      fc.property(csvish, (input) => {
        let result: CsvImportResult;
        try {
          result = parseRecipientsCsv(input);
        } catch (error) {
          expect(error).toBeInstanceOf(CsvImportError);
          expect((error as Error).message.length).toBeGreaterThan(10);
          seen.refused++;
          return;
        }
        if (result.recipients.length > 0) seen.imported++;
        if (result.invalid.length + result.duplicates.length > 0) seen.reported++;
        // Text a decoder garbled, or UTF-16 read as UTF-8, is never imported in part.
        expect(input).not.toMatch(/[\0\uFFFD]/);
        const rows = [...result.recipients.map((r) => r.row), ...result.invalid.map((r) => r.row), ...result.duplicates.map((r) => r.row)];
        expect(new Set(rows).size).toBe(rows.length);
        for (const row of rows) expect(row).toBeGreaterThan(1);
        const normalized = result.recipients.map((r) => r.normalized);
        expect(new Set(normalized).size).toBe(normalized.length);
        for (const r of result.recipients) expect(checkAddress(r.email)).toEqual({ ok: true, email: r.email, normalized: r.normalized });
        for (const d of result.duplicates) {
          expect(result.recipients.find((r) => r.row === d.firstRow)?.normalized).toBe(d.value.toLowerCase());
        }
        for (const i of result.invalid) expect(i.reason.length).toBeGreaterThan(5);
      }),
      { numRuns: 400 },
    );
    // Every branch was taken often enough for the invariants above to mean something.
    expect(seen.refused).toBeGreaterThan(50);
    expect(seen.imported).toBeGreaterThan(8);
    expect(seen.reported).toBeGreaterThan(20);
  });

  describe('through the API', () => {
    let setup: TestSetup;
    let handlers: ApiHandlers;
    beforeAll(async () => {
      setup = await createTestEngine();
      handlers = createApiHandlers(setup.engine, { version: 'test', door: 'headless' });
    });
    afterAll(() => setup?.close());

    it('a refused file stores nothing; an accepted one stores every row, each once', async () => {
      const counts = async () => ({
        campaigns: (await setup.engine.campaigns.list()).length,
        messages: (await setup.engine.campaigns.list()).reduce((n, c) => n + c.total, 0),
      });
      let accepted = 0;
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(csvish, async (csv) => {
          const before = await counts();
          const answer = (await invoke(handlers, 'campaigns.create', { name: 'Generated', subject: 'Hi', text: 'Hi', csv })) as any;
          const after = await counts();
          if (!answer.ok) {
            refused++;
            expect(answer.error.code).toBe('csv_invalid');
            expect(after).toEqual(before);
            return;
          }
          accepted++;
          const { campaign, report } = answer.value;
          expect(after.campaigns).toBe(before.campaigns + 1);
          expect(campaign.total).toBe(report.imported + report.suppressed + report.duplicates + report.invalid.length);
          expect(after.messages - before.messages).toBe(campaign.total);
          const skipped = await setup.engine.campaigns.messages({ id: campaign.id, status: 'skipped', limit: 1000 });
          for (const i of report.invalid) expect(skipped.items.some((m) => m.row === i.row)).toBe(true);
        }),
        { numRuns: 60 },
      );
      // Both outcomes were exercised, so neither branch above is vacuous.
      expect(accepted).toBeGreaterThan(5);
      expect(refused).toBeGreaterThan(5);
    });
  });
});

// ---- Merge renderer ---------------------------------------------------------------------------

const KEYS = ['first_name', 'company', 'city'] as const;
/** Ways a person writes {{first_name}}: all read the same column. */
const spelling = (key: string) => fc.constantFrom(key, key.toUpperCase(), key.replace('_', ' '), ` ${key} `, key.replace('_', '-'));

type Part = { literal: string } | { key: string; inner: string; fallback?: string };

const part: fc.Arbitrary<Part> = fc.oneof(
  // Template text: anything but "}" (so only real tokens close a field); lone "{" is fine.
  text(chars('a', ' ', '<', 'p', '>', '&', '"', '{', '|', '\n', 'é'), 8).map((literal) => ({ literal })),
  fc.tuple(fc.constantFrom(...KEYS), fc.option(text(chars('x', ' ', '<', '&', '|', "'"), 6), { nil: undefined })).chain(([key, fallback]) =>
    spelling(key).map(
      (name): Part => ({
        key,
        inner: fallback === undefined ? name : `${name}|${fallback}`,
        ...(fallback === undefined ? {} : { fallback: fallback.trim() }),
      }),
    ),
  ),
);

/** Values may hold anything, template syntax included: `{{company}}`, `}}{{`, markup. */
const value = fc.oneof(
  text(NASTY, 10),
  fc.constantFrom('', '   ', '{{company}}', '}}{{city}}{{', '{{first_name|x}}', '<script>alert(1)</script>'),
);
const values = fc.record({ first_name: value, company: value, city: value }, { requiredKeys: [] });

function expectedRender(parts: Part[], vals: Record<string, string>, encode: (s: string) => string): { out: string } | { missing: string } {
  let out = '';
  for (const p of parts) {
    if ('literal' in p) {
      out += p.literal;
      continue;
    }
    const v = vals[p.key];
    // Blank: nothing but white space, control, zero-width or direction characters.
    if (v !== undefined && /[^\s\p{Cc}\u1680\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]/u.test(v)) out += encode(v);
    else if (p.fallback !== undefined) out += encode(p.fallback);
    else return { missing: p.key };
  }
  return { out };
}

describe('merge renderer', () => {
  it('fills every field once, from its value or default, escaped in HTML; values are never read as template', () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 8 }), values, fc.boolean(), (parts, vals, html) => {
        const template = parts.map((p) => ('literal' in p ? p.literal : `{{${p.inner}}}`)).join('');
        const encode = html ? escapeHtml : (s: string) => s;
        const expected = expectedRender(parts, vals, encode);
        const render = () => renderTemplate(template, vals, { escape: html ? 'html' : 'none' });
        if ('missing' in expected) {
          expect(render).toThrow(MergeError);
          expect(() => render()).toThrow(expect.objectContaining({ field: expected.missing }));
        } else {
          expect(render()).toBe(expected.out);
        }
        // The fields a template uses are its tokens' keys, in order of first use.
        const used = [...new Set(parts.flatMap((p) => ('key' in p ? [p.key] : [])))];
        expect(templateFields(template).map((f) => f.name)).toEqual(used);
      }),
      { numRuns: 1000 },
    );
  });

  it('in HTML, no markup character of a value survives unescaped', () => {
    fc.assert(
      fc.property(text(NASTY, 30), (v) => {
        fc.pre(!isBlankValue(v));
        const out = renderTemplate('<p>{{first_name}}</p>', { first_name: v }, { escape: 'html' });
        const inner = out.slice('<p>'.length, -'</p>'.length);
        expect(inner).not.toMatch(/[<>"']/);
        expect(inner.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
      }),
      { numRuns: 500 },
    );
  });
});

// ---- The built message: no header, no recipient from data ------------------------------------

const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
const HEADERS = new Set([
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
/** Anything, with every kind of line break and control character in it. */
const headerish = text(
  chars(
    'a',
    ' ',
    ':',
    'B',
    'c',
    'c',
    '\r',
    '\n',
    '\r\n',
    '\u0085',
    '\u2028',
    '\u2029',
    '\u000b',
    '\f',
    '\0',
    '\t',
    '"',
    '<',
    '>',
    ',',
    '@',
    'é',
    '=?',
    '?=',
  ),
  24,
);

describe('the message nodemailer builds', () => {
  it('has only Trickle’s headers, each once, and goes only to the recipient, whatever the texts hold', async () => {
    await fc.assert(
      fc.asyncProperty(headerish, headerish, headerish, headerish, async (subject, fromName, name, first) => {
        const rendered = renderMessage(
          { subject: `${subject} {{first_name|x}}`, html: '<p>{{first_name|x}}</p>', text: null, from_name: fromName, reply_to: null },
          { email: 'r@example.com', name, fields: JSON.stringify({ first_name: first }), message_id: '<m1@trickle.invalid>' },
          { email: 'alice@gmail.test', fromName: '' },
        );
        const info = await composer.sendMail(toMailOptions(rendered));
        expect(info.envelope).toEqual({ from: 'alice@gmail.test', to: ['r@example.com'] });
        const raw = (info.message as Buffer).toString('utf8');
        const names = raw
          .slice(0, raw.indexOf('\r\n\r\n'))
          .split('\r\n')
          .filter((line) => !/^[ \t]/.test(line))
          .map((line) => /^([A-Za-z0-9-]+):/.exec(line)?.[1]?.toLowerCase());
        for (const n of names) expect(HEADERS.has(n ?? ''), `header line ${n}`).toBe(true);
        for (const once of ['from', 'to', 'message-id']) expect(names.filter((n) => n === once)).toHaveLength(1);
        // A subject that is nothing but control characters once filled in is left out, never split.
        expect(names.filter((n) => n === 'subject')).toHaveLength(rendered.subject === '' ? 0 : 1);
      }),
      { numRuns: 200 },
    );
  });
});

// ---- Export cells -----------------------------------------------------------------------------

describe('export cells', () => {
  const cellText = text(chars('=', '+', '-', '@', '\t', '\r', '\n', ',', ';', '"', ' ', 'a', '1', "'", '|', '!'), 16);

  it('read back with a comma parser: the value, with only apostrophes added', () => {
    fc.assert(
      fc.property(cellText, (v) => {
        const [[, back, end]] = parse(`x,${csvCell(v)},y`, { relax_column_count: false }) as string[][] as [string[]];
        expect(end).toBe('y');
        expect(back!.replace(/'/g, '')).toBe(v.replace(/'/g, ''));
        expect(back).not.toMatch(/^[=+\-@\t\r]/);
      }),
      { numRuns: 1000 },
    );
  });

  it('however a spreadsheet splits the line (, ; tab or line break), no piece starts a formula', () => {
    fc.assert(
      fc.property(fc.array(cellText, { minLength: 1, maxLength: 4 }), (cells) => {
        const line = cells.map(csvCell).join(',');
        for (const piece of line.split(/[,;\t\r\n]/)) expect(piece).not.toMatch(/^[\s"]*[=+\-@]/);
      }),
      { numRuns: 1000 },
    );
  });
});
