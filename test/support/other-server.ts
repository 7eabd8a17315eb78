import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtherServer {
  port: number;
  /** Every request received: its path and all its headers. */
  requests: { url: string; headers: Record<string, unknown> }[];
  close(): Promise<void>;
}

/**
 * Another local web app: a real HTTP server on 127.0.0.1 (port 0) that records what each
 * request carried. Cookies ignore ports, so whatever a browser keeps for Trickle's 127.0.0.1
 * would reach it.
 */
export async function startOtherServer(): Promise<OtherServer> {
  const requests: OtherServer['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: { ...req.headers } });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Another local app</title><p>Another local app</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
