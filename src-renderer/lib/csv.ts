/**
 * What the editor needs to know about a recipients file before it is sent to the engine:
 * its text (UTF-8, or UTF-16 when the file says so with a byte-order mark), its columns, and
 * which one probably holds the addresses. The engine does the real import and reports on it.
 */
import { normalizeFieldName } from '../../src-shared/field-names';
import { MAX_CSV_BYTES } from '../../src-shared/limits';

/** Decodes a file's bytes: UTF-16 (LE/BE) when it starts with a UTF-16 BOM, else UTF-8 (BOM dropped). */
export function decodeText(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const text = new TextDecoder('utf-8').decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Why a file of this size is refused before it is read, in the engine's words; undefined when it is not. */
export function csvFileTooLarge(bytes: number): string | undefined {
  if (bytes <= MAX_CSV_BYTES) return undefined;
  const mb = 1024 * 1024;
  return `The file is ${Math.ceil(bytes / mb)} MB; Trickle imports up to ${MAX_CSV_BYTES / mb} MB at a time — split it into smaller files.`;
}

const EMAIL_NAMES = new Set(['email', 'e_mail', 'email_address', 'mail', 'e_mail_address']);
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

export interface CsvShape {
  delimiter: ',' | ';' | '\t';
  /** Header cells as written. */
  columns: string[];
  /** Data rows (non-blank records after the header). */
  rows: number;
  /** The column the engine would pick by itself, if any. */
  detectedEmailColumn?: string;
  /** A column whose first values look like addresses, as a suggestion when none is named "email". */
  likelyEmailColumn?: string;
  /** The first row holds an address: the file has no header row. */
  headerLooksLikeData: boolean;
}

/** Parses CSV records (quotes, doubled quotes, newlines inside quotes), up to `maxRecords`. */
export function parseRecords(text: string, delimiter: string, maxRecords = Infinity): string[][] {
  const records: string[][] = [];
  let cell = '';
  let row: string[] = [];
  let inQuotes = false;
  let i = 0;
  const pushRow = () => {
    row.push(cell);
    records.push(row);
    row = [];
    cell = '';
  };
  while (i < text.length && records.length < maxRecords) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
      } else cell += ch;
      i++;
      continue;
    }
    if (ch === '"' && cell.trim() === '') {
      inQuotes = true;
      cell = '';
    } else if (ch === delimiter) {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      pushRow();
      if (ch === '\r' && text[i + 1] === '\n') i++;
    } else cell += ch;
    i++;
  }
  if ((cell !== '' || row.length > 0) && records.length < maxRecords) pushRow();
  return records.map((r) => r.map((c) => c.trim()));
}

function detectDelimiter(text: string): CsvShape['delimiter'] {
  const firstLine = text.split(/\r\n|\n|\r/).find((l) => l.trim() !== '') ?? '';
  let inQuotes = false;
  const counts = { ',': 0, ';': 0, '\t': 0 };
  for (const ch of firstLine) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  let best: CsvShape['delimiter'] = ',';
  for (const d of [',', ';', '\t'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

const isBlank = (cells: string[]) => cells.every((c) => c === '');

export function inspectCsv(text: string): CsvShape | undefined {
  if (text.trim() === '') return undefined;
  const delimiter = detectDelimiter(text);
  const records = parseRecords(text, delimiter).filter((r) => !isBlank(r));
  const header = records[0];
  if (!header) return undefined;
  const columns = header;
  const keys = columns.map(normalizeFieldName);
  const detectedIndex = keys.findIndex((k) => EMAIL_NAMES.has(k));
  const sample = records.slice(1, 21);
  let likelyIndex = -1;
  let best = 0;
  columns.forEach((_, index) => {
    const hits = sample.filter((r) => ADDRESS.test(r[index] ?? '')).length;
    if (hits > best) {
      best = hits;
      likelyIndex = index;
    }
  });
  return {
    delimiter,
    columns,
    rows: Math.max(0, records.length - 1),
    ...(detectedIndex >= 0 ? { detectedEmailColumn: columns[detectedIndex]! } : {}),
    ...(likelyIndex >= 0 ? { likelyEmailColumn: columns[likelyIndex]! } : {}),
    headerLooksLikeData: columns.some((c) => ADDRESS.test(c)),
  };
}

/**
 * Pasted text: CSV with a header row when its first line has a delimiter and no address;
 * otherwise a plain list of addresses (one per line, or separated by commas or semicolons).
 */
export function classifyPaste(text: string): { kind: 'csv'; shape: CsvShape } | { kind: 'list'; emails: string[] } | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const firstLine = trimmed.split(/\r\n|\n|\r/)[0] ?? '';
  const looksCsv = /[,;\t]/.test(firstLine) && !/@/.test(firstLine);
  if (looksCsv) {
    const shape = inspectCsv(trimmed);
    if (shape) return { kind: 'csv', shape };
  }
  const emails = trimmed
    .split(/[\r\n,;\t]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return { kind: 'list', emails };
}
