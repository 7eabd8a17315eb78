/**
 * Recipient import from CSV text (or from an already structured list).
 *
 * Row numbers are the ones a user sees when opening the file in a spreadsheet:
 * the header is row 1 (if the file starts with it), every record is one row
 * even when a quoted cell spans several lines, and blank lines are rows too
 * (they are skipped, but still counted). Parsing is all-or-nothing: malformed
 * CSV throws a CsvImportError and never yields a partial result.
 *
 * Suppression lists are not applied here; the caller filters against the database.
 */
import { parse, CsvError } from 'csv-parse/sync';
import { checkAddress } from '../core/addresses';
import { runToEnd } from '../core/time-slice';
import { parsePlainCsv } from './plain-csv';
import { normalizeFieldName } from '../../../src-shared/field-names';
import { MAX_CSV_BYTES } from '../../../src-shared/limits';

export interface ImportedRecipient {
  row: number;
  email: string;
  normalized: string;
  name?: string;
  fields: Record<string, string>;
}

export interface SkippedRecipient {
  row: number;
  value: string;
  reason: string;
  kind: 'invalid' | 'duplicate';
}

export interface CsvImportResult {
  /** Normalized merge-field names, in file order (the email column is not one). */
  columns: string[];
  /** The email column's header as written in the file. */
  emailColumn: string;
  /** The file's separator (none for a list given as such): its results export uses it too. */
  delimiter?: Delimiter;
  recipients: ImportedRecipient[];
  invalid: { row: number; value: string; reason: string }[];
  duplicates: { row: number; value: string; firstRow: number }[];
}

export class CsvImportError extends Error {
  readonly code = 'csv_invalid' as const;
  readonly row?: number;

  constructor(message: string, row?: number) {
    super(message);
    this.name = 'CsvImportError';
    if (row !== undefined) this.row = row;
  }
}

const MB = 1024 * 1024;
const EMAIL_COLUMN_NAMES = new Set(['email', 'e_mail', 'email_address', 'mail', 'e_mail_address']);
const NAME_COLUMN_NAMES = new Set(['name', 'full_name']);
const DELIMITERS = [',', ';', '\t'] as const; // in order of preference on a tie
export type Delimiter = (typeof DELIMITERS)[number];

const NON_WHITESPACE = /\S/;
// What a decoder puts where bytes were not UTF-8: a Windows-1252 ("ANSI") file read as UTF-8.
const REPLACEMENT_CHAR = '\uFFFD';

export function parseRecipientsCsv(text: string, opts: CsvImportOptions = {}): CsvImportResult {
  return runToEnd(readRecipientsCsv(text, opts));
}

export interface CsvImportOptions {
  emailColumn?: string;
  maxBytes?: number;
  /** Lower limits than IMPORT_LIMITS, for tests. */
  limits?: Partial<ImportLimits>;
}

/**
 * What one import may cost, checked as rows are read, before anything is stored: a file
 * whose header has 100,000 columns would otherwise give every row 100,000 fields and run
 * the app out of memory, or fill the disk.
 */
export interface ImportLimits {
  /** Named columns in the header, the address column included. */
  columns: number;
  /** Merge data of one recipient: the names and values of its non-empty fields, in UTF-8 bytes. */
  rowBytes: number;
  /** Merge data of the whole import, measured the same way. */
  totalBytes: number;
}

export const IMPORT_LIMITS: ImportLimits = { columns: 200, rowBytes: 64 * 1024, totalBytes: 200 * MB };

/** Rows validated between two yields of the import: a few milliseconds of work. */
const ROWS_PER_STEP = 2_000;
/** Characters of CSV parsed between two yields (about a few milliseconds of parsing). */
const CSV_SLICE_CHARS = 256 * 1024;

/**
 * The import written as small steps: it yields every few thousand rows, so a caller can let
 * the event loop run between them (`TimeSlicer.run`) while a million rows are read.
 */
export function* readRecipientsCsv(text: string, opts: CsvImportOptions = {}): Generator<void, CsvImportResult> {
  const maxBytes = opts.maxBytes ?? MAX_CSV_BYTES;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new CsvImportError(
      `The file is ${formatSize(bytes, Math.ceil)}; Trickle imports up to ${formatSize(maxBytes, Math.floor)} at a time — split it into smaller files.`,
    );
  }
  yield; // each whole-text check below reads tens of megabytes at most
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // UTF-16 read as UTF-8 puts a NUL after every ASCII character; real CSV never has NULs.
  if (text.includes('\0')) {
    throw new CsvImportError(
      'This file is not plain UTF-8 text (it may be saved as UTF-16 or be a spreadsheet file). Save it as "CSV UTF-8" and import it again.',
    );
  }
  yield;
  if (!NON_WHITESPACE.test(text)) throw new CsvImportError('The file is empty.');

  const delimiter = detectDelimiter(text);
  const limits = { ...IMPORT_LIMITS, ...opts.limits };
  yield* refuseOverlongRows(text, delimiter, limits);
  // Rare and refused whole, so found with one plain parse rather than row by row.
  if (text.includes(REPLACEMENT_CHAR)) throw unreadableCharacters(parseWhole(text, delimiter));
  yield;
  try {
    return yield* readRows(text, delimiter, opts.emailColumn, CSV_SLICE_CHARS, limits);
  } catch (err) {
    if (!(err instanceof SliceSyntaxError)) throw err;
    // Parsed in one piece, the error (or a file the slicing misjudged) is the parser's own.
    return yield* readRows(text, delimiter, opts.emailColumn, Infinity, limits);
  }
}

/** Rows are read and validated a slice at a time, so no list of all raw records is kept. */
function* readRows(
  text: string,
  delimiter: Delimiter,
  emailColumn: string | undefined,
  sliceChars: number,
  limits: ImportLimits,
): Generator<void, CsvImportResult> {
  let header: string[] | undefined;
  let layout: HeaderLayout | undefined;
  let collector: RecipientCollector | undefined;
  // Records are rows one-to-one (blank lines come back as [''] since skip_empty_lines is
  // off), so a record's row is its position in the file.
  let row = 0;
  for (const records of parseCsv(text, delimiter, sliceChars)) {
    for (let k = 0; k < records.length; k++) {
      const cells = records[k]!;
      row++;
      if (isBlank(cells)) continue;
      if (!header || !layout || !collector) {
        header = cells;
        layout = readHeader(header, row, emailColumn);
        checkColumnCount(layout.mergeColumns.length + 1, limits, row);
        collector = new RecipientCollector(
          layout.mergeColumns.map((c) => c.key),
          limits,
        );
        continue;
      }
      const email = cells[layout.emailIndex] ?? '';
      if (cells.length > header.length && !isBlank(cells.slice(header.length))) {
        const reason =
          delimiter === '\t'
            ? `This row has ${cells.length} cells but the header has ${header.length} — check for an extra tab.`
            : `This row has ${cells.length} cells but the header has ${header.length} — check for an unquoted comma or semicolon.`;
        collector.addInvalid(row, email, reason);
        continue;
      }
      const { mergeColumns, nameIndex } = layout;
      collector.add(row, email, () => {
        // Only cells with a value are kept: an empty one reads as empty anyway (merge fields and
        // the queue's check treat a missing field and an empty one alike), and a row of a wide
        // file that fills a few columns must not cost as much as one that fills them all.
        const fields: Record<string, string> = {};
        for (const { index, key } of mergeColumns) {
          const value = (cells[index] ?? '').trim();
          if (value !== '') fields[key] = value;
        }
        const name = nameIndex === undefined ? '' : (cells[nameIndex] ?? '').trim();
        return { fields, name };
      });
      if (row % ROWS_PER_STEP === 0) yield;
    }
    yield;
  }
  if (!layout || !collector) throw new CsvImportError('The file is empty.');
  return { ...collector.result(layout.emailHeader), delimiter };
}

/**
 * Cells a row may have, named or not: a spreadsheet's most (Excel's 16,384 columns) and room to
 * spare. The column limit counts named columns only, and the parser turns a line into an array
 * of all its cells before anything can look at them: one 49 MB line of commas held the app for
 * 9 s and took 1.4 GB. No row of a recipients list comes near it.
 */
export const MAX_CELLS_PER_ROW = 20_000;
/** Characters scanned between two yields of refuseOverlongRows. */
const CELL_SCAN_CHARS = 1024 * 1024;

/**
 * Refuses, before parsing, a row of more than MAX_CELLS_PER_ROW cells: a recipient's row at once,
 * the header (the first row with anything in it) once its cells are counted, in the words of the
 * column limit. Counts delimiters outside double quotes, as the slicer counts quotes; rows end at
 * CR, LF or CRLF outside quotes, as the parser's records do (blank lines included), so the row
 * is the parser's.
 */
function* refuseOverlongRows(text: string, delimiter: Delimiter, limits: ImportLimits): Generator<void> {
  const separator = delimiter.charCodeAt(0);
  let inQuotes = false;
  let cells = 1;
  let row = 1;
  let headerSeen = false;
  let lineHasText = false;
  const endOfLine = () => {
    if (!headerSeen && lineHasText) {
      headerSeen = true;
      if (cells > MAX_CELLS_PER_ROW) checkColumnCount(cells, limits, row);
    }
    cells = 1;
    lineHasText = false;
    row++;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34) {
      inQuotes = !inQuotes;
      lineHasText = true;
    } else if (inQuotes) {
      continue;
    } else if (ch === separator) {
      if (++cells > MAX_CELLS_PER_ROW && headerSeen) {
        throw new CsvImportError(
          `Row ${row} has more than ${MAX_CELLS_PER_ROW.toLocaleString('en-US')} cells, more than any spreadsheet has columns: it is no row of a recipients list. Check that this is the file you meant (saved as CSV), then import again.`,
          row,
        );
      }
    } else if (ch === 10 || ch === 13) {
      if (ch === 13 && text.charCodeAt(i + 1) === 10) i++;
      endOfLine();
    } else if (ch !== 32 && ch !== 9) {
      lineHasText = true;
    }
    if (i % CELL_SCAN_CHARS === 0) yield;
  }
  endOfLine();
}

function checkColumnCount(count: number, limits: ImportLimits, row?: number): void {
  if (count <= limits.columns) return;
  throw new CsvImportError(
    `The file has ${count.toLocaleString('en-US')} columns; Trickle imports up to ${limits.columns} (the address and ${limits.columns - 1} merge fields). Remove the columns your message does not use, then import again.`,
    row,
  );
}

/** Same validation and de-duplication as a CSV import; row = 1-based position in the list. */
export function recipientsFromList(
  list: { email: string; name?: string; fields?: Record<string, string> }[],
  opts: { limits?: Partial<ImportLimits> } = {},
): CsvImportResult {
  const limits = { ...IMPORT_LIMITS, ...opts.limits };
  const columns = new Set<string>();
  for (const item of list) {
    for (const key of Object.keys(item.fields ?? {})) {
      const normalized = normalizeFieldName(key);
      if (normalized !== '') columns.add(normalized);
    }
    if (item.name?.trim()) columns.add('name');
    // Checked as the names are gathered: a list of 100,000 names stops at the 201st.
    if (columns.size + 1 > limits.columns) {
      throw new CsvImportError(
        `The recipients have more than ${limits.columns - 1} different fields; Trickle imports up to ${limits.columns - 1} (besides the address). Leave out the fields your message does not use, then import again.`,
      );
    }
  }

  const collector = new RecipientCollector([...columns], limits);
  list.forEach((item, i) => {
    const row = i + 1;
    collector.add(row, item.email, () => {
      const fields: Record<string, string> = {};
      const sourceKeys = new Map<string, string>();
      for (const [key, value] of Object.entries(item.fields ?? {})) {
        const normalized = normalizeFieldName(key);
        if (normalized === '') continue;
        const earlier = sourceKeys.get(normalized);
        if (earlier !== undefined) {
          throw new CsvImportError(
            `Recipient ${row} has two fields, "${earlier}" and "${key}", that both become {{${normalized}}}. Rename one of them.`,
            row,
          );
        }
        sourceKeys.set(normalized, key);
        const trimmed = value.trim();
        if (trimmed !== '') fields[normalized] = trimmed; // as for a CSV: empty values are not kept
      }
      const explicitName = item.name?.trim() ?? '';
      // Keep {{name}} usable in templates, as it is for a CSV with a name column.
      if (explicitName !== '' && !Object.hasOwn(fields, 'name')) fields.name = explicitName;
      return { fields, name: explicitName || fields.name || fields.full_name || '' };
    });
  });
  return collector.result('email');
}

interface HeaderLayout {
  emailIndex: number;
  emailHeader: string;
  nameIndex?: number;
  /** Every named column except the email column, in file order. */
  mergeColumns: { index: number; key: string }[];
}

function readHeader(header: string[], row: number, emailColumn: string | undefined): HeaderLayout {
  const names = header.map((cell) => cell.trim());
  const keys = names.map(normalizeFieldName);

  const firstByKey = new Map<string, number>();
  keys.forEach((key, index) => {
    // Columns without a usable name ("", "#") can't be merge fields; ignore them.
    if (key === '') return;
    const earlier = firstByKey.get(key);
    if (earlier !== undefined) {
      throw new CsvImportError(
        `The columns "${names[earlier]}" and "${names[index]}" both become the merge field {{${key}}}. Rename one of them.`,
        row,
      );
    }
    firstByKey.set(key, index);
  });

  const wanted = emailColumn === undefined ? undefined : normalizeFieldName(emailColumn);
  const emailIndex = wanted === undefined ? keys.findIndex((key) => EMAIL_COLUMN_NAMES.has(key)) : (firstByKey.get(wanted) ?? -1);
  if (emailIndex === -1) throw missingEmailColumn(names, row, emailColumn);

  const nameIndex = keys.findIndex((key) => NAME_COLUMN_NAMES.has(key));
  const mergeColumns: HeaderLayout['mergeColumns'] = [];
  keys.forEach((key, index) => {
    if (key !== '' && index !== emailIndex) mergeColumns.push({ index, key });
  });

  return {
    emailIndex,
    emailHeader: names[emailIndex] ?? '',
    ...(nameIndex === -1 ? {} : { nameIndex }),
    mergeColumns,
  };
}

function missingEmailColumn(names: string[], row: number, emailColumn: string | undefined): CsvImportError {
  const address = names.find((name) => checkAddress(name).ok);
  if (address !== undefined) {
    return new CsvImportError(
      `The first row should hold column names such as "email" and "name", but it holds an address (${address}). Add a header row at the top.`,
      row,
    );
  }
  const listed = names.filter((name) => name !== '');
  const columnList = listed.length > 12 ? `${listed.slice(0, 12).join(', ')} and ${listed.length - 12} more` : listed.join(', ');
  const advice =
    emailColumn === undefined ? 'Rename the column that holds addresses to "email".' : 'Choose the column that holds the addresses.';
  return new CsvImportError(`The CSV has no "${emailColumn ?? 'email'}" column. Its columns are: ${columnList}. ${advice}`, row);
}

/** Validates and de-duplicates recipients; the first occurrence of an address wins. */
class RecipientCollector {
  private readonly recipients: ImportedRecipient[] = [];
  private readonly invalid: CsvImportResult['invalid'] = [];
  private readonly duplicates: CsvImportResult['duplicates'] = [];
  private readonly firstRowByAddress = new Map<string, number>();
  /** Merge data kept so far (see ImportLimits). */
  private mergeBytes = 0;

  constructor(
    private readonly columns: string[],
    private readonly limits: ImportLimits,
  ) {}

  addInvalid(row: number, value: string, reason: string): void {
    this.invalid.push({ row, value: value.trim(), reason });
  }

  /** `details` runs only for valid, new addresses, so skipped rows cost nothing extra. */
  add(row: number, value: string, details: () => { fields: Record<string, string>; name: string }): void {
    const check = checkAddress(value);
    if (!check.ok) {
      this.addInvalid(row, value, check.reason);
      return;
    }
    const firstRow = this.firstRowByAddress.get(check.normalized);
    if (firstRow !== undefined) {
      this.duplicates.push({ row, value: check.email, firstRow });
      return;
    }
    this.firstRowByAddress.set(check.normalized, row);

    const { fields, name } = details();
    this.count(row, fields);
    const recipient: ImportedRecipient = { row, email: check.email, normalized: check.normalized, fields };
    if (name !== '') recipient.name = name;
    this.recipients.push(recipient);
  }

  /** Adds the row's merge data to the total; refuses the import once either limit is passed. */
  private count(row: number, fields: Record<string, string>): void {
    let bytes = 0;
    for (const key in fields) bytes += utf8Bytes(key) + utf8Bytes(fields[key]!);
    if (bytes > this.limits.rowBytes) {
      throw new CsvImportError(
        `Row ${row} holds ${formatSize(bytes, Math.ceil)} of merge data; Trickle keeps up to ${formatSize(this.limits.rowBytes, Math.floor)} per recipient. Shorten its longest values (or leave out the columns your message does not use), then import again.`,
        row,
      );
    }
    this.mergeBytes += bytes;
    if (this.mergeBytes > this.limits.totalBytes) {
      throw new CsvImportError(
        `The recipients' merge data passes ${formatSize(this.limits.totalBytes, Math.floor)} at row ${row}; Trickle imports up to ${formatSize(this.limits.totalBytes, Math.floor)} at a time. Split the list into smaller files (or leave out the columns your message does not use), then import again.`,
        row,
      );
    }
  }

  result(emailColumn: string): CsvImportResult {
    return {
      columns: this.columns,
      emailColumn,
      recipients: this.recipients,
      invalid: this.invalid,
      duplicates: this.duplicates,
    };
  }
}

/** Picks the delimiter that occurs most often, outside quotes, in the header line. */
function detectDelimiter(text: string): Delimiter {
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let inQuotes = false;
  let hasContent = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      inQuotes = !inQuotes;
      hasContent = true;
    } else if (inQuotes) {
    } else if (ch === '\n' || ch === '\r') {
      if (hasContent) break;
      // A blank (or delimiters-only) line before the header: start counting afresh.
      counts[','] = counts[';'] = counts['\t'] = 0;
    } else if (ch === ',' || ch === ';' || ch === '\t') {
      counts[ch]++;
    } else if (ch !== ' ') {
      hasContent = true;
    }
  }
  let best: Delimiter = ',';
  for (const candidate of DELIMITERS) {
    if (counts[candidate] > counts[best]) best = candidate;
  }
  return best;
}

export const CSV_OPTIONS = {
  // Explicit list (rather than auto-detection) so files with mixed line endings still split correctly.
  record_delimiter: ['\r\n', '\n', '\r'],
  // Blank lines must come back as records to keep row numbers spreadsheet-accurate.
  skip_empty_lines: false,
  // Ragged rows are reported per row by the caller instead of failing the file.
  relax_column_count: true,
  // Tolerates `a, "b, c"` (space before the quote) and trims every cell.
  trim: true,
};

/** A syntax error inside one slice: the file is parsed again in one piece for the real error. */
class SliceSyntaxError extends Error {}

/**
 * Parses the file in slices cut at line ends outside quotes, one slice's records at a time.
 * Records are rows one-to-one, so slices parse exactly as the whole file would.
 */
function* parseCsv(text: string, delimiter: Delimiter, sliceChars: number): Generator<string[][]> {
  if (sliceChars === Infinity) {
    yield parseWhole(text, delimiter);
    return;
  }
  for (const slice of rowAlignedSlices(text, sliceChars)) {
    const plain = parsePlainCsv(slice, delimiter);
    if (plain) {
      yield plain;
      continue;
    }
    try {
      yield parse(slice, { ...CSV_OPTIONS, delimiter });
    } catch (err) {
      if (err instanceof CsvError) throw new SliceSyntaxError(err.message);
      throw err;
    }
  }
}

function parseWhole(text: string, delimiter: Delimiter): string[][] {
  try {
    return parse(text, { ...CSV_OPTIONS, delimiter });
  } catch (err) {
    if (err instanceof CsvError) throw csvSyntaxError(err);
    throw err;
  }
}

/**
 * Cuts the text into pieces of about `size` characters, each ending just after a line feed
 * that is outside double quotes (a quoted cell may hold line breaks). A `""` inside quotes
 * flips the state twice, so counting quotes is enough.
 */
function* rowAlignedSlices(text: string, size: number): Generator<string> {
  let start = 0;
  let inQuotes = false;
  let scanned = 0; // quotes before `scanned` are counted in inQuotes
  while (start < text.length) {
    const target = start + size;
    if (target >= text.length) break;
    for (; scanned < target; scanned++) if (text.charCodeAt(scanned) === 34) inQuotes = !inQuotes;
    let end = scanned;
    for (; end < text.length; end++) {
      const ch = text.charCodeAt(end);
      if (ch === 34) inQuotes = !inQuotes;
      else if (ch === 10 && !inQuotes) break;
    }
    if (end >= text.length) break;
    yield text.slice(start, end + 1);
    start = scanned = end + 1;
  }
  if (start < text.length) yield text.slice(start);
}

function csvSyntaxError(err: CsvError): CsvImportError {
  // `records` counts the rows completed before the failing one (blank lines included).
  const row = typeof err.records === 'number' ? err.records + 1 : undefined;
  const where = row === undefined ? 'The file' : `Row ${row}`;
  const quoting = 'Put the whole value in double quotes and write any quote inside it twice ("").';
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new CsvImportError(`${where} has a quote that is never closed.`, row);
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return new CsvImportError(`${where} has text right after a closing quote. ${quoting}`, row);
    case 'INVALID_OPENING_QUOTE':
      return new CsvImportError(`${where} has a quote in the middle of a value. ${quoting}`, row);
    default:
      return new CsvImportError(`${where} could not be read as CSV (${err.message}).`, row);
  }
}

/**
 * Names would go out as "Ren�e": refuse the whole file, naming the first row that shows it,
 * rather than import some rows and mangle others.
 */
function unreadableCharacters(records: string[][]): CsvImportError {
  const index = records.findIndex((cells) => cells.some((cell) => cell.includes(REPLACEMENT_CHAR)));
  const row = index === -1 ? undefined : index + 1;
  return new CsvImportError(
    `${row === undefined ? 'The file' : `Row ${row}`} has characters that could not be read (\uFFFD): the file is not saved as UTF-8 (Excel's plain "CSV" format uses another encoding). Save it as "CSV UTF-8" and import it again.`,
    row,
  );
}

function isBlank(cells: string[]): boolean {
  for (const cell of cells) {
    if (cell !== '' && NON_WHITESPACE.test(cell)) return false;
  }
  return true;
}

/** UTF-8 length without encoding: most values are ASCII, where it is the string's length. */
function utf8Bytes(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

/** `round` lets the file size round up and the limit round down, so they never look equal. */
function formatSize(bytes: number, round: (n: number) => number): string {
  const [value, unit] = bytes >= MB ? [bytes / MB, 'MB'] : bytes >= 1024 ? [bytes / 1024, 'KB'] : [bytes, 'bytes'];
  const steps = value < 10 ? 10 : 1; // one decimal for small numbers
  return `${round(value * steps) / steps} ${unit}`;
}
