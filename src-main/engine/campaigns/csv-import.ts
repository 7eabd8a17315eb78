/**
 * Recipient import from CSV text: the header read, every row validated as it arrives. The
 * parts: csv-parsing.ts (text into records, in slices), import-limits.ts (what an import may
 * cost), recipient-collector.ts (validation and duplicates; also a list given as such), and
 * import-result.ts (what an import gives, and its error).
 *
 * Row numbers are the ones a user sees when opening the file in a spreadsheet:
 * the header is row 1 (if the file starts with it), every record is one row
 * even when a quoted cell spans several lines, and blank lines are rows too
 * (they are skipped, but still counted). Parsing is all-or-nothing: malformed
 * CSV throws a CsvImportError and never yields a partial result.
 *
 * Suppression lists are not applied here; the caller filters against the database.
 */
import { checkAddress } from '../core/addresses';
import { runToEnd } from '../core/time-slice';
import { normalizeFieldName } from '../../../src-shared/field-names';
import { MAX_CSV_BYTES } from '../../../src-shared/limits';
import { detectDelimiter, parseCsv, parseWhole, REPLACEMENT_CHAR, SliceSyntaxError, unreadableCharacters } from './csv-parsing';
import { checkColumnCount, formatSize, IMPORT_LIMITS, type ImportLimits, refuseOverlongRows } from './import-limits';
import { CsvImportError, type CsvImportResult, type Delimiter } from './import-result';
import { RecipientCollector } from './recipient-collector';

const EMAIL_COLUMN_NAMES = new Set(['email', 'e_mail', 'email_address', 'mail', 'e_mail_address']);
const NAME_COLUMN_NAMES = new Set(['name', 'full_name']);

const NON_WHITESPACE = /\S/;

export function parseRecipientsCsv(text: string, opts: CsvImportOptions = {}): CsvImportResult {
  return runToEnd(readRecipientsCsv(text, opts));
}

export interface CsvImportOptions {
  emailColumn?: string;
  maxBytes?: number;
  /** Lower limits than IMPORT_LIMITS, for tests. */
  limits?: Partial<ImportLimits>;
}

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

function isBlank(cells: string[]): boolean {
  for (const cell of cells) {
    if (cell !== '' && NON_WHITESPACE.test(cell)) return false;
  }
  return true;
}
