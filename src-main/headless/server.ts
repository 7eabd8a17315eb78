import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Engine, EngineLogger } from '../engine';
import { API_EVENT_NAMES, type Envelope } from '../api/contract';
import { type ApiHandlers, invoke } from '../api/handlers';
import { APP_CSP, PREVIEW_CSP } from '../api/content-policy';
import { renderPreviewPage } from '../api/preview-page';
import { tokensMatch } from './access-token';
import { type StaticFile, readStaticFile } from './static-files';
import { TICKET_USES, type TicketUse, Tickets } from './tickets';

export interface HeadlessServerOptions {
  engine: Engine;
  handlers: ApiHandlers;
  token: string;
  /** The built renderer (out/renderer). */
  staticDir: string;
  logger: EngineLogger;
  /** Largest request body accepted; attachments arrive base64-encoded inside JSON. */
  maxBodyBytes?: number;
  /** The time tickets expire by (tests give a fake one). */
  now?: () => number;
}

/**
 * The cookie versions before issue #11 kept the token in. Cookies ignore the port, so every
 * server on 127.0.0.1 received it: it is no credential any more, and a browser that still
 * holds it is told to drop it.
 */
const OLD_COOKIE = 'trickle_token';
const DROP_OLD_COOKIE = `${OLD_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict`;
// Room for what the engine itself accepts once JSON-encoded: a 50 MB recipients CSV (its line
// breaks and quotes escaped) or 25 MB of attachments (about 34 MB in base64). Below that, the
// door would refuse a file the desktop window imports, and without the engine's advice.
const DEFAULT_MAX_BODY = 64 * 1024 * 1024;

/**
 * Headless mode's door: the built renderer, `POST /api/<method>` (JSON in, the envelope
 * out) and `GET /api/events` (Server-Sent Events). Every API request needs the access token
 * in an `Authorization: Bearer` header — never a cookie or anything else a browser adds by
 * itself, so no other page or local server can use or receive it. The two requests a browser
 * cannot add a header to (the EventSource, the preview frame) carry a one-use ticket from
 * `POST /api/ticket` instead. A request from another Origin, or for another Host (DNS
 * rebinding), is refused.
 */
export function createHeadlessServer(options: HeadlessServerOptions): Server {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const tickets = new Tickets(options.now);
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.logger.error('request failed', { error: String(error) });
      if (!res.headersSent) sendJson(res, 500, failure('internal', 'Something went wrong inside Trickle. Try again.'));
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const selfOrigin = `http://${req.headers.host ?? ''}`;
    if (!hostAllowed(req.headers.host, server)) {
      return sendJson(res, 403, failure('forbidden_host', 'This address is not Trickle’s. Open the link Trickle printed.'));
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== selfOrigin) {
      return sendJson(res, 403, failure('forbidden_origin', 'Requests from other web pages are refused.'));
    }

    if (url.pathname.startsWith('/api/')) {
      const isEvents = url.pathname === '/api/events' && req.method === 'GET';
      if (!authorized(req, options.token) && !(isEvents && tickets.redeem(url.searchParams.get('ticket'), 'events'))) {
        return sendJson(
          res,
          401,
          failure(
            'unauthorized',
            'The access token is missing or wrong. Open the link Trickle printed when it started (it contains the token).',
          ),
        );
      }
      if (isEvents) return streamEvents(req, res, options.engine);
      const method = url.pathname.slice('/api/'.length);
      if (req.method !== 'POST') {
        return sendJson(res, 405, failure('method_not_allowed', 'Call API methods with POST and a JSON body.'));
      }
      let args: unknown;
      try {
        args = await readJson(req, maxBody);
      } catch (error) {
        const tooLarge = error instanceof BodyTooLarge;
        return sendJson(
          res,
          tooLarge ? 413 : 400,
          tooLarge
            ? failure(
                'too_large',
                `The request is larger than ${formatSize(maxBody)}, the most Trickle accepts at once. Split a large recipients file into smaller files (up to 50 MB each); attachments may be 25 MB in all.`,
              )
            : failure('invalid_json', 'The request body is not valid JSON.'),
        );
      }
      if (method === 'ticket') return sendJson(res, 200, issueTicket(tickets, args));
      const envelope = await invoke(options.handlers, method, args, (error, name) =>
        options.logger.error('API method failed', { method: name, error: String(error) }),
      );
      const status = envelope.ok ? 200 : envelope.error.code === 'unknown_method' ? 404 : 200;
      return sendJson(res, status, envelope);
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, failure('method_not_allowed', 'Not allowed.'));
    if (url.pathname === '/preview') {
      if (!authorized(req, options.token) && !tickets.redeem(url.searchParams.get('ticket'), 'preview')) {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' });
        return void res.end('The access token is missing or wrong.');
      }
      return sendPreview(res, options.handlers, url.searchParams);
    }
    // Opening the printed link: the page itself takes the token from the address (and drops it
    // from there), keeps it in storage of this origin only and sends it as a header. The server
    // sets no cookie; it only checks the link, so a wrong one says so at once.
    const given = url.searchParams.get('token');
    if (given !== null && !tokensMatch(given, options.token)) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('This link’s access token is wrong. Open the link Trickle printed when it started.');
    }
    const acceptEncoding = req.headers['accept-encoding'];
    const file = await readStaticFile(options.staticDir, url.pathname, acceptEncoding);
    const page = file ?? (extensionless(url.pathname) ? await readStaticFile(options.staticDir, '/', acceptEncoding) : undefined);
    if (!page) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('Not found.');
    }
    res.writeHead(200, {
      'content-type': page.type,
      'content-length': page.body.length,
      'content-security-policy': APP_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': cacheControl(page, given !== null),
      ...(page.encoding ? { 'content-encoding': page.encoding } : {}),
      ...(page.compressible ? { vary: 'accept-encoding' } : {}),
      ...(hasOldCookie(req) ? { 'set-cookie': DROP_OLD_COOKIE } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : page.body);
  }

  return server;
}

/** A recipient's message as a page of its own, for the editor's sandboxed preview frame. */
async function sendPreview(res: ServerResponse, handlers: ApiHandlers, params: URLSearchParams): Promise<void> {
  const page = await renderPreviewPage(handlers, params);
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': PREVIEW_CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  res.end(page);
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/**
 * Assets named by their content are kept by the browser for a year without asking again; the
 * page is asked for every time (it names the current assets), and never stored when opened
 * with the access link; anything else may be kept an hour.
 */
function cacheControl(file: StaticFile, openedWithLink: boolean): string {
  if (file.type.startsWith('text/html')) return openedWithLink ? 'no-store' : 'no-cache';
  if (openedWithLink) return 'no-store';
  return file.immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=3600';
}

function extensionless(path: string): boolean {
  return !/\.[a-z0-9]+$/i.test(path);
}

/** Only the names this server is reached by on loopback, or the address it was bound to. */
function hostAllowed(host: string | undefined, server: Server): boolean {
  if (!host) return false;
  const address = server.address();
  if (!address || typeof address === 'string') return true;
  const port = address.port;
  const allowed = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  if (address.address !== '127.0.0.1' && address.address !== '::1') {
    allowed.add(`${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${port}`);
    if (address.address === '0.0.0.0' || address.address === '::') return true;
  }
  return allowed.has(host.toLowerCase());
}

/** Only the Authorization header: a credential the browser never adds by itself. */
function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) return false;
  return tokensMatch(header.slice('Bearer '.length).trim(), token);
}

function hasOldCookie(req: IncomingMessage): boolean {
  return (req.headers.cookie ?? '').split(';').some((c) => c.trim().startsWith(`${OLD_COOKIE}=`));
}

/** `POST /api/ticket { "for": "events" | "preview" }` (token required) → a one-use ticket. */
function issueTicket(tickets: Tickets, args: unknown): Envelope<{ ticket: string; expiresInSeconds: number }> {
  const use = (args as { for?: unknown } | undefined)?.for;
  const extra = typeof args === 'object' && args !== null ? Object.keys(args).filter((k) => k !== 'for') : [];
  if (!TICKET_USES.includes(use as TicketUse) || extra.length > 0) {
    return { ok: false, error: { code: 'invalid_input', field: 'for', message: 'for: Ask for a ticket "for": "events" or "preview".' } };
  }
  return { ok: true, value: tickets.issue(use as TicketUse) };
}

function streamEvents(req: IncomingMessage, res: ServerResponse, engine: Engine): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 3000\n\n');
  const listeners = API_EVENT_NAMES.map((name) => {
    const listener = (payload?: unknown) => res.write(`event: ${name}\ndata: ${JSON.stringify(payload ?? null)}\n\n`);
    engine.events.on(name, listener as never);
    return () => engine.events.off(name, listener as never);
  });
  // A comment line now and then keeps proxies and idle timeouts from closing the stream.
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 25_000);
  req.on('close', () => {
    clearInterval(keepAlive);
    for (const off of listeners) off();
  });
}

class BodyTooLarge extends Error {}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    req.resume();
    throw new BodyTooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // Not `for await`: leaving that loop early destroys the socket, so a streamed (chunked) body
  // over the limit got a connection reset instead of the 413, and broke the kept-alive connection.
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // Too large: answer now, and let the rest of the body drain unread, as for a declared length.
      req.off('data', onData);
      req.resume();
      reject(new BodyTooLarge());
    };
    req.on('data', onData);
    req.once('end', resolve);
    req.once('error', reject);
  });
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text === '' ? undefined : JSON.parse(text);
}

function failure(code: string, message: string): Envelope<never> {
  return { ok: false, error: { code, message } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(JSON.stringify(body));
}
