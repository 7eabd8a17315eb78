/**
 * A recipients file read and looked at: its text (decoded as lib/csv.ts decodes) and its shape
 * (columns, rows, the address column). The whole file passes through here, so it runs in the
 * CSV worker (csv-worker.ts), off the page's main thread; csv-reader.ts calls it in the page
 * only when no worker can be started.
 */
import { type CsvShape, decodeText, inspectCsv } from './csv';

export interface ReadCsv {
  text: string;
  shape: CsvShape | undefined;
}

export async function readCsvFile(file: Blob): Promise<ReadCsv> {
  const text = decodeText(await file.arrayBuffer());
  return { text, shape: inspectCsv(text) };
}
