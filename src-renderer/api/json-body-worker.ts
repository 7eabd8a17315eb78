/**
 * A module Web Worker that turns a request's arguments into its JSON body (a Blob), for the
 * HTTP client (client.ts) when they carry a big text, a recipients file's: written here, the
 * tens of megabytes of JSON never hold up the page (issue 17).
 */
export interface JsonBodyRequest {
  id: number;
  args: unknown;
}

export interface JsonBodyAnswer {
  id: number;
  body: Blob;
}

self.addEventListener('message', (event: MessageEvent<JsonBodyRequest>) => {
  const { id, args } = event.data;
  self.postMessage({ id, body: new Blob([JSON.stringify(args ?? {})], { type: 'application/json' }) } satisfies JsonBodyAnswer);
});
