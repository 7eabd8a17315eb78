/**
 * The page's side of the CSV worker (csv-worker.ts): `readCsv(file)` answers with the file's
 * text and shape, read and parsed off the main thread. One worker serves the page, started on
 * first use. Where no worker can run (it cannot be started, or fails), the file is read in the
 * page as before, so a file is never refused for that.
 */
import { type ReadCsv, readCsvFile } from './read-csv-file';
import type { CsvWorkerAnswer, CsvWorkerRequest } from './csv-worker';

let worker: Worker | undefined | null;
let nextId = 1;
const waiting = new Map<number, { resolve: (value: ReadCsv) => void; reject: (error: Error) => void }>();

function csvWorker(): Worker | undefined {
  if (worker !== undefined) return worker ?? undefined;
  try {
    worker = new Worker(new URL('./csv-worker.ts', import.meta.url), { type: 'module', name: 'trickle-csv' });
  } catch {
    worker = null;
    return undefined;
  }
  worker.addEventListener('message', (event: MessageEvent<CsvWorkerAnswer>) => {
    const answer = event.data;
    const call = waiting.get(answer.id);
    if (!call) return;
    waiting.delete(answer.id);
    if (answer.ok) call.resolve({ text: answer.text, shape: answer.shape });
    else call.reject(new Error('The file could not be read.'));
  });
  // A worker that cannot load (a window that does not allow it): every call waiting and every
  // later one reads in the page instead.
  worker.addEventListener('error', () => {
    worker?.terminate();
    worker = null;
    for (const [id, call] of waiting) {
      waiting.delete(id);
      call.reject(new WorkerUnavailable());
    }
  });
  return worker;
}

class WorkerUnavailable extends Error {}

export async function readCsv(file: Blob): Promise<ReadCsv> {
  const w = csvWorker();
  if (!w) return readCsvFile(file);
  const id = nextId++;
  try {
    return await new Promise<ReadCsv>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      w.postMessage({ id, file } satisfies CsvWorkerRequest);
    });
  } catch (error) {
    if (error instanceof WorkerUnavailable) return readCsvFile(file);
    throw error;
  }
}
