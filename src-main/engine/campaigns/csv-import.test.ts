import { describe, it, expect } from 'vitest';
import { normalizeFieldName } from '../../../src-shared/field-names';
import { parseRecipientsCsv, readRecipientsCsv } from './csv-import';
import { CsvImportError, type CsvImportResult } from './import-result';
import { recipientsFromList } from './recipient-collector';

/** Runs `fn`, expecting a CsvImportError, and returns it for inspection. */
function importError(fn: () => unknown): CsvImportError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CsvImportError) return err;
    throw err;
  }
  throw new Error('expected a CsvImportError');
}

describe('parseRecipientsCsv: a messy real-world file', () => {
  // Spreadsheet rows are noted on the right: blank lines count, a quoted line break does not.
  const csv = [
    '\uFEFFE-Mail;First Name;Notes', //                                   1
    'ann@example.com;Ann;"likes ""quotes""; and semicolons"', //           2
    '', //                                                                  3
    'bob@example.com;Bob;"line one\r\nline two"', //                        4
    'ANN@Example.com;Annie;same person, other case', //                     5
    'not-an-address;Carl;x', //                                             6
    'dora@example.com;Dora;a;b;c', //                                       7
    '', //                                                                  8
    '  eve@example.com  ;Eve', //                                           9
    ';;', //                                                               10
    'frank@gmial;Frank;y', //                                              11
  ].join('\r\n');

  const result = parseRecipientsCsv(csv);

  it('finds the email column and turns the other columns into merge fields', () => {
    expect(result.emailColumn).toBe('E-Mail');
    expect(result.columns).toEqual(['first_name', 'notes']);
  });

  it('imports the good rows with their spreadsheet row numbers and fields', () => {
    expect(result.recipients).toEqual([
      {
        row: 2,
        email: 'ann@example.com',
        normalized: 'ann@example.com',
        fields: { first_name: 'Ann', notes: 'likes "quotes"; and semicolons' },
      },
      {
        row: 4,
        email: 'bob@example.com',
        normalized: 'bob@example.com',
        fields: { first_name: 'Bob', notes: 'line one\r\nline two' },
      },
      // A short row's missing cells, like empty ones, are not kept: a field without a value reads as empty.
      { row: 9, email: 'eve@example.com', normalized: 'eve@example.com', fields: { first_name: 'Eve' } },
    ]);
  });

  it('reports a repeat of an address in another case as a duplicate of the first row', () => {
    expect(result.duplicates).toEqual([{ row: 5, value: 'ANN@Example.com', firstRow: 2 }]);
  });

  it('reports invalid addresses and ragged rows with reasons, and skips blank rows silently', () => {
    expect(result.invalid).toEqual([
      { row: 6, value: 'not-an-address', reason: 'The address has no @.' },
      {
        row: 7,
        value: 'dora@example.com',
        reason: 'This row has 5 cells but the header has 3 — check for an unquoted comma or semicolon.',
      },
      { row: 11, value: 'frank@gmial', reason: 'The domain "gmial" has no dot — check for a typo.' },
    ]);
  });
});

describe('parseRecipientsCsv: format details', () => {
  it('detects tab-separated files and ignores delimiters inside quoted headers', () => {
    const result = parseRecipientsCsv('"Name, full"\temail\tcity\nAnn Lee\tann@example.com\tOslo, Norway\n\tbob@example.com\t\n');
    expect(result.columns).toEqual(['name_full', 'city']);
    expect(result.recipients.map((r) => r.fields)).toEqual([{ name_full: 'Ann Lee', city: 'Oslo, Norway' }, {}]);
  });

  it('prefers a comma when the header has no delimiter (single column)', () => {
    const result = parseRecipientsCsv('email\nann@example.com\n"bob@example.com"\n');
    expect(result.recipients.map((r) => r.email)).toEqual(['ann@example.com', 'bob@example.com']);
    expect(result.columns).toEqual([]);
  });

  it('handles old Mac line endings and a mix of line endings', () => {
    const result = parseRecipientsCsv('email,name\rann@example.com,Ann\r\nbob@example.com,Bob\ncid@example.com,Cid');
    expect(result.recipients.map((r) => [r.row, r.email])).toEqual([
      [2, 'ann@example.com'],
      [3, 'bob@example.com'],
      [4, 'cid@example.com'],
    ]);
  });

  it('fills name from a "name" or "full name" column, and keeps it as a merge field', () => {
    const result = parseRecipientsCsv('Full Name,Email\n"  Ann Lee ",ann@example.com\n,bob@example.com\n');
    expect(result.recipients).toEqual([
      { row: 2, email: 'ann@example.com', normalized: 'ann@example.com', name: 'Ann Lee', fields: { full_name: 'Ann Lee' } },
      { row: 3, email: 'bob@example.com', normalized: 'bob@example.com', fields: {} },
    ]);
  });

  it('tolerates spaces around quoted values and trims every value', () => {
    const result = parseRecipientsCsv('email, name , city\n ann@example.com , "Lee, Ann" ,  " Oslo " \n');
    expect(result.recipients[0]?.fields).toEqual({ name: 'Lee, Ann', city: 'Oslo' });
  });

  it('accepts trailing empty cells (common in spreadsheet exports) and ignores unnamed columns', () => {
    const result = parseRecipientsCsv('email,name,,#\nann@example.com,Ann,,1,,\n');
    expect(result.columns).toEqual(['name']);
    expect(result.invalid).toEqual([]);
    expect(result.recipients[0]?.fields).toEqual({ name: 'Ann' });
  });

  it('counts blank lines before the header as rows', () => {
    const result = parseRecipientsCsv('\n\nemail\nann@example.com\n');
    expect(result.recipients[0]?.row).toBe(4);
  });

  it('uses the email column the caller chose, matched by normalized name', () => {
    const result = parseRecipientsCsv('Email,Work Email\nann@home.example,ann@work.example\n', {
      emailColumn: 'WORK EMAIL',
    });
    expect(result.emailColumn).toBe('Work Email');
    expect(result.recipients[0]).toMatchObject({ email: 'ann@work.example', fields: { email: 'ann@home.example' } });
  });

  it('returns an empty result for a header-only file', () => {
    expect(parseRecipientsCsv('email,name\r\n')).toEqual({
      columns: ['name'],
      emailColumn: 'email',
      delimiter: ',',
      recipients: [],
      invalid: [],
      duplicates: [],
    });
  });
});

describe('parseRecipientsCsv: files it refuses', () => {
  it('explains a missing email column and lists the columns it found', () => {
    const err = importError(() => parseRecipientsCsv('Name,Phone\nAnn,555-1234\n'));
    expect(err.code).toBe('csv_invalid');
    expect(err.message).toBe(
      'The CSV has no "email" column. Its columns are: Name, Phone. Rename the column that holds addresses to "email".',
    );
  });

  it('explains a chosen email column that does not exist', () => {
    const err = importError(() => parseRecipientsCsv('Name,Email\n', { emailColumn: 'Address' }));
    expect(err.message).toBe('The CSV has no "Address" column. Its columns are: Name, Email. Choose the column that holds the addresses.');
  });

  it('notices a file without a header row', () => {
    const err = importError(() => parseRecipientsCsv('ann@example.com,Ann\nbob@example.com,Bob\n'));
    expect(err.message).toBe(
      'The first row should hold column names such as "email" and "name", but it holds an address (ann@example.com). Add a header row at the top.',
    );
  });

  it('names columns that collide after normalization', () => {
    const err = importError(() => parseRecipientsCsv('email,First Name,first_name\n'));
    expect(err.message).toBe('The columns "First Name" and "first_name" both become the merge field {{first_name}}. Rename one of them.');
    expect(err.row).toBe(1);
  });

  it('gives the row of a quote that is never closed, counting blank lines and multi-line cells', () => {
    const csv = 'email,notes\n\nann@example.com,"two\nlines"\nbob@example.com,"oops\ncid@example.com,fine\n';
    const err = importError(() => parseRecipientsCsv(csv));
    expect(err.message).toBe('Row 4 has a quote that is never closed.');
    expect(err.row).toBe(4);
  });

  it('explains stray quotes', () => {
    expect(importError(() => parseRecipientsCsv('email,name\nann@example.com,Ann "Annie" Lee\n')).message).toBe(
      'Row 2 has a quote in the middle of a value. Put the whole value in double quotes and write any quote inside it twice ("").',
    );
    expect(importError(() => parseRecipientsCsv('email,name\nann@example.com,"Ann" Lee\n')).message).toBe(
      'Row 2 has text right after a closing quote. Put the whole value in double quotes and write any quote inside it twice ("").',
    );
  });

  it('rejects UTF-16 text that was decoded as UTF-8', () => {
    const utf16AsUtf8 = Buffer.from('email\r\nann@example.com\r\n', 'utf16le').toString('utf8');
    expect(importError(() => parseRecipientsCsv(utf16AsUtf8)).message).toBe(
      'This file is not plain UTF-8 text (it may be saved as UTF-16 or be a spreadsheet file). Save it as "CSV UTF-8" and import it again.',
    );
  });

  it('rejects an empty file', () => {
    expect(importError(() => parseRecipientsCsv('\uFEFF \r\n\r\n')).message).toBe('The file is empty.');
  });

  it('rejects files over the size limit before parsing them', () => {
    const big = `email\n${'ann@example.com\n'.repeat(200_000)}`; // 3.05 MB
    expect(importError(() => parseRecipientsCsv(big, { maxBytes: 2 * 1024 * 1024 })).message).toBe(
      'The file is 3.1 MB; Trickle imports up to 2 MB at a time — split it into smaller files.',
    );
    expect(importError(() => parseRecipientsCsv('é'.repeat(6.25 * 1024 * 1024), { maxBytes: 10 * 1024 * 1024 })).message).toBe(
      'The file is 13 MB; Trickle imports up to 10 MB at a time — split it into smaller files.', // bytes, not characters
    );
  });
});

describe('parseRecipientsCsv: size', () => {
  it('imports 200,000 rows', () => {
    const lines = ['email,first name,city'];
    for (let i = 0; i < 200_000; i++) lines.push(`person${i}@example.com,Person ${i},"Town, ${i % 97}"`);
    lines.push('PERSON7@example.com,Again,Nowhere');
    const result = parseRecipientsCsv(lines.join('\n'));
    expect(result.recipients).toHaveLength(200_000);
    expect(result.recipients[199_999]).toMatchObject({ row: 200_001, email: 'person199999@example.com' });
    expect(result.duplicates).toEqual([{ row: 200_002, value: 'PERSON7@example.com', firstRow: 9 }]);
  });
});

describe('recipientsFromList', () => {
  it('validates and de-duplicates like a CSV import, numbering from 1', () => {
    const result = recipientsFromList([
      { email: 'ann@example.com', name: ' Ann ', fields: { 'First Name': 'Ann', Company: 'Acme' } },
      { email: 'nope' },
      { email: 'Ann@Example.com', name: 'Ann again' },
      { email: ' bob@example.com ', fields: { company: 'Bobco' } },
    ]);
    expect(result).toEqual({
      columns: ['first_name', 'company', 'name'],
      emailColumn: 'email',
      recipients: [
        {
          row: 1,
          email: 'ann@example.com',
          normalized: 'ann@example.com',
          name: 'Ann',
          fields: { first_name: 'Ann', company: 'Acme', name: 'Ann' },
        },
        { row: 4, email: 'bob@example.com', normalized: 'bob@example.com', fields: { company: 'Bobco' } },
      ],
      invalid: [{ row: 2, value: 'nope', reason: 'The address has no @.' }],
      duplicates: [{ row: 3, value: 'Ann@Example.com', firstRow: 1 }],
    });
  });

  it('takes the name from a name or full_name field when none is given', () => {
    const result = recipientsFromList([{ email: 'ann@example.com', fields: { 'Full Name': 'Ann Lee' } }]);
    expect(result.columns).toEqual(['full_name']);
    expect(result.recipients[0]).toMatchObject({ name: 'Ann Lee', fields: { full_name: 'Ann Lee' } });
  });

  it('rejects two fields of one recipient that normalize to the same name', () => {
    const err = importError(() => recipientsFromList([{ email: 'ann@example.com', fields: { 'First Name': 'A', first_name: 'B' } }]));
    expect(err.message).toBe(
      'Recipient 1 has two fields, "First Name" and "first_name", that both become {{first_name}}. Rename one of them.',
    );
  });
});

describe('normalizeFieldName', () => {
  it.each([
    ['First Name', 'first_name'],
    ['  E-Mail Address ', 'e_mail_address'],
    ['__weird -- header!!', 'weird_header'],
    ['Prénom', 'prénom'],
    ['Straße 2', 'straße_2'],
    ['名前', '名前'],
    ['#', ''],
    ['__proto__', 'proto'],
  ])('%j -> %j', (header, expected) => {
    expect(normalizeFieldName(header)).toBe(expected);
  });
});

describe('readRecipientsCsv: a large file is read in slices, exactly as in one piece', () => {
  // Over a megabyte, so it is cut into several slices; quoted line breaks, doubled quotes,
  // blank lines and CRLF all land on slice edges somewhere among 40,000 rows.
  const ROWS = 40_000;
  const lines = ['email,name,note'];
  for (let i = 1; i <= ROWS; i++) {
    if (i % 11 === 0) lines.push('');
    else if (i % 7 === 0) lines.push(`p${i}@example.com,"Name ""${i}""","line one\r\nline two, ${i}"`);
    else lines.push(`p${i}@example.com,Name ${i},plain ${'x'.repeat(i % 40)}`);
  }
  const csv = `${lines.join('\r\n')}\r\n`;

  it('keeps every record, field and spreadsheet row number', async () => {
    expect(csv.length).toBeGreaterThan(4 * 256 * 1024);
    const steps: number[] = [];
    const work = readRecipientsCsv(csv);
    let result: CsvImportResult;
    for (let step = work.next(); ; step = work.next()) {
      if (step.done) {
        result = step.value;
        break;
      }
      steps.push(1);
    }
    expect(steps.length).toBeGreaterThan(10); // it did yield between slices
    const expectedRecipients = ROWS - Math.floor(ROWS / 11);
    expect(result.recipients).toHaveLength(expectedRecipients);
    expect(result.invalid).toEqual([]);
    // A quoted record with a line break is one spreadsheet row: row = index in the file + 1.
    const byEmail = new Map(result.recipients.map((r) => [r.email, r]));
    for (const i of [7, 14, 39_998, 35_007]) {
      const r = byEmail.get(`p${i}@example.com`)!;
      expect(r.row).toBe(i + 1);
      expect(r.name).toBe(`Name "${i}"`);
      expect(r.fields.note).toBe(`line one\r\nline two, ${i}`);
    }
    expect(byEmail.get('p39999@example.com')).toMatchObject({ row: 40_000, fields: { note: `plain ${'x'.repeat(39_999 % 40)}` } });
  });

  it('reports a broken quote far into the file with its own row', () => {
    const broken = lines.slice(0, 30_001);
    broken[30_000] = 'bad@example.com,"never closed,x';
    const error = importError(() => parseRecipientsCsv(`${broken.join('\n')}\nlast@example.com,L,x\n`));
    expect(error.row).toBe(30_001);
    expect(error.message).toMatch(/Row 30001 has a quote that is never closed/);
  });
});

// Attack finding #11.5: a 708 KB file with a 100,000-column header and rows holding only an
// address gave every row 100,000 fields and ran the app out of memory. What an import may cost
// is now limited, and refused in words as the rows are read, before anything grows.
describe('what an import may cost', () => {
  const wideHeader = (columns: number, name = (i: number) => `c${i}`) =>
    ['email', ...Array.from({ length: columns - 1 }, (_, i) => name(i + 1))].join(',');

  it('refuses a header of 100,000 columns at its first row, before reading a recipient', () => {
    const csv = [wideHeader(100_000), ...Array.from({ length: 1000 }, (_, i) => `r${i}@example.com`)].join('\n');
    expect(csv.length).toBeGreaterThan(700_000);
    const error = importError(() => parseRecipientsCsv(csv));
    expect(error.row).toBe(1);
    expect(error.message).toBe(
      'The file has 100,000 columns; Trickle imports up to 200 (the address and 199 merge fields). Remove the columns your message does not use, then import again.',
    );
  });

  it('takes 200 columns; a row that fills few of them keeps only those', () => {
    const csv = [wideHeader(200), `ann@example.com,A${','.repeat(198)}`, `bob@example.com${',x'.repeat(199)}`].join('\n');
    const result = parseRecipientsCsv(csv);
    expect(result.columns).toHaveLength(199);
    expect(result.recipients[0]!.fields).toEqual({ c1: 'A' });
    expect(Object.keys(result.recipients[1]!.fields)).toHaveLength(199);
  });

  it('refuses a row holding more than 64 KB of merge data, naming it', () => {
    const big = 'é'.repeat(33 * 1024); // 66 KB in UTF-8, plus the column name: shown rounded up
    const error = importError(() => parseRecipientsCsv(`email,bio\nann@example.com,short\nbob@example.com,${big}\n`));
    expect(error.row).toBe(3);
    expect(error.message).toMatch(/^Row 3 holds 67 KB of merge data; Trickle keeps up to 64 KB per recipient\. Shorten its longest values/);
  });

  it('refuses a list whose merge data passes 200 MB, as the rows are read (long column names cost on every row)', () => {
    // 200 columns of 250-character names and one-letter values: a 2 MB file, 50 KB of merge data per row.
    const header = wideHeader(200, (i) => `${'n'.repeat(246)}${String(i).padStart(4, '0')}`);
    const rows = Array.from({ length: 4_500 }, (_, i) => `r${i}@example.com${',x'.repeat(199)}`);
    const csv = [header, ...rows].join('\n');
    expect(csv.length).toBeLessThan(2.1 * 1024 * 1024);
    const error = importError(() => parseRecipientsCsv(csv));
    expect(error.message).toMatch(
      /^The recipients' merge data passes 200 MB at row 4\d\d\d; Trickle imports up to 200 MB at a time\. Split the list/,
    );
    expect(error.row).toBeLessThan(4_300);
  });

  it('applies the same limits to a list of recipients', () => {
    const fields = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`f${i}`, 'x']));
    expect(importError(() => recipientsFromList([{ email: 'ann@example.com', fields }])).message).toBe(
      'The recipients have more than 199 different fields; Trickle imports up to 199 (besides the address). Leave out the fields your message does not use, then import again.',
    );
    const long = {
      bio: 'x'.repeat(10_000),
      a: 'x'.repeat(10_000),
      b: 'x'.repeat(10_000),
      c: 'x'.repeat(10_000),
      d: 'x'.repeat(10_000),
      e: 'x'.repeat(10_000),
      g: 'x'.repeat(10_000),
    };
    expect(importError(() => recipientsFromList([{ email: 'ann@example.com' }, { email: 'bob@example.com', fields: long }])).row).toBe(2);
    expect(recipientsFromList([{ email: 'ann@example.com', fields: { a: 'A', b: '  ' } }]).recipients[0]!.fields).toEqual({ a: 'A' });
  });
});
