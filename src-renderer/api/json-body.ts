/**
 * A request's JSON body for the HTTP client: as a string, or, when the arguments carry a text
 * of BIG_TEXT characters or more (a recipients file), as a Blob written by the JSON body
 * worker (json-body-worker.ts) off the page's main thread. Where no worker can run, the
 * string is written here as before.
 */
import type { JsonBodyAnswer, JsonBodyRequest } from './json-body-worker';

const BIG_TEXT = 256 * 1024;

let worker: Worker | undefined | null;
let nextId = 1;
const waiting = new Map<number, (body: Blob | undefined) => void>();

export async function jsonBody(args: unknown): Promise<string | Blob> {
  const w = hasBigText(args) ? bodyWorker() : undefined;
  if (!w) return JSON.stringify(args ?? {});
  const id = nextId++;
  const body = await new Promise<Blob | undefined>((resolve) => {
    waiting.set(id, resolve);
    w.postMessage({ id, args } satisfies JsonBodyRequest);
  });
  return body ?? JSON.stringify(args ?? {});
}

/** Only the top level is looked at: the API's big texts (csv, html) are arguments of their own. */
function hasBigText(args: unknown): boolean {
  if (typeof args !== 'object' || args === null) return false;
  return Object.values(args).some((v) => typeof v === 'string' && v.length >= BIG_TEXT);
}

function bodyWorker(): Worker | undefined {
  if (worker !== undefined) return worker ?? undefined;
  if (typeof Worker === 'undefined') {
    worker = null;
    return undefined;
  }
  try {
    worker = new Worker(new URL('./json-body-worker.ts', import.meta.url), { type: 'module', name: 'trickle-json-body' });
  } catch {
    worker = null;
    return undefined;
  }
  worker.addEventListener('message', (event: MessageEvent<JsonBodyAnswer>) => {
    waiting.get(event.data.id)?.(event.data.body);
    waiting.delete(event.data.id);
  });
  worker.addEventListener('error', () => {
    worker?.terminate();
    worker = null;
    // Whatever was waiting is written in the page instead.
    for (const [id, resolve] of waiting) {
      waiting.delete(id);
      resolve(undefined);
    }
  });
  return worker;
}
