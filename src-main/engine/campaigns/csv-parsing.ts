import { parse, CsvError } from 'csv-parse/sync';
import { parsePlainCsv } from './plain-csv';
import { CsvImportError, DELIMITERS, type Delimiter } from './import-result';

// CSV text into records: the separator, the slices cut at line ends outside quotes, the
// parser's errors in words.

// What a decoder puts where bytes were not UTF-8: a Windows-1252 ("ANSI") file read as UTF-8.
export const REPLACEMENT_CHAR = '\uFFFD';

/** Picks the delimiter that occurs most often, outside quotes, in the header line. */
export function detectDelimiter(text: string): Delimiter {
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
export class SliceSyntaxError extends Error {}

/**
 * Parses the file in slices cut at line ends outside quotes, one slice's records at a time.
 * Records are rows one-to-one, so slices parse exactly as the whole file would.
 */
export function* parseCsv(text: string, delimiter: Delimiter, sliceChars: number): Generator<string[][]> {
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

export function parseWhole(text: string, delimiter: Delimiter): string[][] {
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
export function unreadableCharacters(records: string[][]): CsvImportError {
  const index = records.findIndex((cells) => cells.some((cell) => cell.includes(REPLACEMENT_CHAR)));
  const row = index === -1 ? undefined : index + 1;
  return new CsvImportError(
    `${row === undefined ? 'The file' : `Row ${row}`} has characters that could not be read (\uFFFD): the file is not saved as UTF-8 (Excel's plain "CSV" format uses another encoding). Save it as "CSV UTF-8" and import it again.`,
    row,
  );
}
