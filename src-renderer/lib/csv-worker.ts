/**
 * The CSV worker (a module Web Worker): reads a recipients file the page hands it and answers
 * with its text and shape (read-csv-file.ts), so a big file is decoded and parsed without
 * holding up the page (issue 17: a 20,000-row file held it for up to 300 ms at a time).
 * Started by csv-reader.ts; allowed by the window's CSP as a script of its own origin.
 */
import { readCsvFile } from './read-csv-file';

export interface CsvWorkerRequest {
  id: number;
  file: Blob;
}

export type CsvWorkerAnswer =
  | { id: number; ok: true; text: string; shape: Awaited<ReturnType<typeof readCsvFile>>['shape'] }
  | { id: number; ok: false };

self.addEventListener('message', (event: MessageEvent<CsvWorkerRequest>) => {
  const { id, file } = event.data;
  readCsvFile(file).then(
    ({ text, shape }) => self.postMessage({ id, ok: true, text, shape } satisfies CsvWorkerAnswer),
    () => self.postMessage({ id, ok: false } satisfies CsvWorkerAnswer),
  );
});
