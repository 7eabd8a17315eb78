/**
 * Headless mode in-process, for tests that talk to it the way a browser or a script does: a
 * real `createHeadlessServer` on 127.0.0.1 (port 0) around a `createTestEngine` setup (real
 * engine, real SQLite, FakeClock, the test Gmail on loopback), with the access token made by
 * the same `loadAccessToken` that `npm run serve` uses, and a tiny built "renderer" in a temp
 * directory. Everything goes over real HTTP on loopback.
 *
 * Every response body the helpers receive is kept in `received`, so a test can check that no
 * answer ever carried a secret.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Envelope } from '../../src-main/api/contract';
import { type ApiHandlers, createApiHandlers } from '../../src-main/api/handlers';
import type { EngineLogger } from '../../src-main/engine/context';
import type { SettingsUpdate } from '../../src-main/engine/settings/settings';
import { loadAccessToken } from '../../src-main/headless/access-token';
import { createHeadlessServer } from '../../src-main/headless/server';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine } from './test-engine';
import type { TestGmailAccount } from './test-gmail';

export const TEST_INDEX_HTML = '<!doctype html><title>Trickle test renderer</title><div id="root">trickle-test-index</div>';
/** A file next to (outside) the static directory: a path traversal would find it. */
export const OUTSIDE_SECRET = 'outside-the-static-dir-do-not-serve';

export interface CallOptions {
  /** Bearer token to send; the right one when absent, none at all when null. */
  token?: string | null;
  /** An Origin header to send (none when absent, as from curl or a script). */
  origin?: string;
  headers?: Record<string, string>;
}

export interface CallResult<T = any> {
  status: number;
  /** The parsed JSON body (the envelope for API methods), or the text when it is not JSON. */
  body: Envelope<T> & { value?: any; error?: any };
  text: string;
  headers: Headers;
}

export interface RawResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface TestServer {
  baseUrl: string;
  port: number;
  token: string;
  setup: TestSetup;
  handlers: ApiHandlers;
  server: Server;
  /** The directory served as the renderer (holds index.html). */
  staticDir: string;
  /** Every response body received through call/fetch/raw (and whatever a test adds). */
  received: string[];
  /** What the server logged, one line each (message + data as JSON). */
  logs: string[];
  /** POST /api/<name> with `args` as the JSON body. */
  call<T = any>(name: string, args?: unknown, options?: CallOptions): Promise<CallResult<T>>;
  /** fetch(baseUrl + path), body read as text and recorded. Sends no token unless told to. */
  fetch(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string }>;
  /** A request with the path sent exactly as given (no URL normalisation) and any Host header. */
  raw(path: string, options?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<RawResult>;
  close(): Promise<void>;
}

export async function startTestServer(
  options: {
    /** Accounts the test Gmail knows (not added to Trickle): add them through the API. Default TEST_ACCOUNTS. */
    gmailAccounts?: TestGmailAccount[];
    /** Accounts added to the engine directly before the server starts. */
    accounts?: (TestGmailAccount & { dailyCap?: number })[];
    settings?: SettingsUpdate;
    maxBodyBytes?: number;
    /** The server's clock for tickets (default: real time). */
    now?: () => number;
  } = {},
): Promise<TestServer> {
  const setup = await createTestEngine({ accounts: options.accounts ?? [], settings: options.settings });
  for (const account of options.gmailAccounts ?? TEST_ACCOUNTS) setup.gmail.addAccount(account);

  const dir = mkdtempSync(join(tmpdir(), 'trickle-http-'));
  const staticDir = join(dir, 'www');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), TEST_INDEX_HTML);
  writeFileSync(join(staticDir, 'app.js'), 'console.log("trickle");\n');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ secret: OUTSIDE_SECRET }));

  const logs: string[] = [];
  const logger: EngineLogger = {
    info: (message, data) => void logs.push(`info ${message} ${JSON.stringify(data ?? {})}`),
    warn: (message, data) => void logs.push(`warn ${message} ${JSON.stringify(data ?? {})}`),
    error: (message, data) => void logs.push(`error ${message} ${JSON.stringify(data ?? {})}`),
  };
  const token = loadAccessToken(setup.dataDir, undefined);
  const handlers = createApiHandlers(setup.engine, { version: 'test', door: 'headless' });
  const server = createHeadlessServer({
    engine: setup.engine,
    handlers,
    token,
    staticDir,
    logger,
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  const received: string[] = [];

  const doFetch: TestServer['fetch'] = async (path, init) => {
    const response = await fetch(baseUrl + path, { redirect: 'manual', ...init });
    const text = await response.text();
    received.push(text);
    return { status: response.status, headers: response.headers, text };
  };

  const call: TestServer['call'] = async (name, args, callOptions = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const bearer = callOptions.token === undefined ? token : callOptions.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    if (callOptions.origin !== undefined) headers.origin = callOptions.origin;
    Object.assign(headers, callOptions.headers ?? {});
    const {
      status,
      headers: responseHeaders,
      text,
    } = await doFetch(`/api/${name}`, {
      method: 'POST',
      headers,
      ...(args === undefined ? {} : { body: JSON.stringify(args) }),
    });
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status, body, text, headers: responseHeaders };
  };

  const raw: TestServer['raw'] = (path, rawOptions = {}) =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path, method: rawOptions.method ?? 'GET', headers: rawOptions.headers ?? {} },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            received.push(body);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(rawOptions.body);
    });

  return {
    baseUrl,
    port,
    token,
    setup,
    handlers,
    server,
    staticDir,
    received,
    logs,
    call,
    fetch: doFetch,
    raw,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await setup.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
