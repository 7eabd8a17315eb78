import { CsvImportError, type Delimiter } from './import-result';

// What one import may cost (IMPORT_LIMITS, MAX_CELLS_PER_ROW), checked before anything is stored.

const MB = 1024 * 1024;

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
export function* refuseOverlongRows(text: string, delimiter: Delimiter, limits: ImportLimits): Generator<void> {
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

export function checkColumnCount(count: number, limits: ImportLimits, row?: number): void {
  if (count <= limits.columns) return;
  throw new CsvImportError(
    `The file has ${count.toLocaleString('en-US')} columns; Trickle imports up to ${limits.columns} (the address and ${limits.columns - 1} merge fields). Remove the columns your message does not use, then import again.`,
    row,
  );
}

/** `round` lets the file size round up and the limit round down, so they never look equal. */
export function formatSize(bytes: number, round: (n: number) => number): string {
  const [value, unit] = bytes >= MB ? [bytes / MB, 'MB'] : bytes >= 1024 ? [bytes / 1024, 'KB'] : [bytes, 'bytes'];
  const steps = value < 10 ? 10 : 1; // one decimal for small numbers
  return `${round(value * steps) / steps} ${unit}`;
}
