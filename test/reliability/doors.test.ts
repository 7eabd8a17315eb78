/**
 * The doors, held against everything a stranger can send: every API method over HTTP without
 * the token, with a wrong one, with the token only in a cookie, from a foreign Origin, with
 * oversized or odd bodies; a server on another loopback port, which must receive no credential
 * after the printed link was followed; every method
 * over IPC from a frame that is not our window's; and a known password followed through a whole
 * run of the built headless app — it must turn up nowhere: no answer, no event, no log line, no
 * exported file, no file in the data folder (the key-file store included, which claims to
 * encrypt).
 *
 * Extends test/api/http.test.ts (token, tickets, Origin, Host and 413 for single methods) and
 * test/electron/ipc.test.ts (each kind of foreign frame, for one method).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_METHOD_NAMES, type Envelope } from '../../src-main/api/contract';
import { createApiHandlers, invoke } from '../../src-main/api/handlers';
import { FORBIDDEN, createInvokeHandler } from '../../src-main/electron/ipc-bridge';
import type { EngineLogger } from '../../src-main/engine/context';
import { startApp } from '../e2e/support/app';
import { snapshotTables } from '../support/db-snapshot';
import { startOtherServer } from '../support/other-server';
import { createTestEngine } from '../support/test-engine';
import { type TestGmail, startTestGmail } from '../support/test-gmail';
import { type TestServer, startTestServer } from '../support/test-server';

const MB = 1024 * 1024;

/** Arguments that would change something if they got through: a refusal must be what stops them. */
function effectiveArgs(s: { setup: { gmail: TestGmail } }): Record<string, unknown> {
  return {
    'accounts.add': {
      email: 'intruder@gmail.test',
      appPassword: 'intruderpassword',
      host: '127.0.0.1',
      port: s.setup.gmail.port,
      security: 'none',
      verify: false,
    },
    'campaigns.create': { name: 'Intruder', subject: 'Hi', text: 'Hi', csv: 'email\nvictim@example.com' },
    'attachments.store': { filename: 'x.txt', contentBase64: 'aGk=' },
    'settings.update': { batchSize: 3 },
    'sending.pause': {},
    'suppressions.add': { email: 'victim@example.com' },
  };
}

/** One request with the path and headers exactly as given; `body` may be declared longer than sent. */
function rawRequest(
  port: number,
  options: { path: string; headers: Record<string, string | number>; send?: string; end?: boolean },
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: options.path, method: 'POST', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        req.destroy(); // the rest of a declared body is never sent
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers });
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    if (options.send) req.write(options.send);
    if (options.end ?? true) req.end();
  });
}

describe('the HTTP door', () => {
  let srv: TestServer;
  let reader: Database.Database;
  beforeAll(async () => {
    srv = await startTestServer();
    reader = new Database(srv.setup.databaseFile, { readonly: true, fileMustExist: true });
  });
  afterAll(async () => {
    reader?.close();
    await srv?.close();
  });

  const snapshot = () => snapshotTables(reader);

  it('every method: no token → 401, a wrong token → 401, a foreign Origin → 403; nothing runs', async () => {
    const args = effectiveArgs(srv);
    const before = snapshot();
    const wrongTokens = [
      '',
      'x'.repeat(srv.token.length),
      srv.token.toUpperCase() === srv.token ? `${srv.token}x` : srv.token.toUpperCase(),
    ];
    for (const name of API_METHOD_NAMES) {
      const body = args[name] ?? {};
      const none = await srv.call(name, body, { token: null });
      expect(none.status, name).toBe(401);
      expect(none.body, name).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      for (const token of wrongTokens) expect((await srv.call(name, body, { token })).status, `${name} with ${token}`).toBe(401);
      // The token in the address, as in the printed link, opens the page, never the API.
      const inQuery = await srv.fetch(`/api/${name}?token=${encodeURIComponent(srv.token)}`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      expect(inQuery.status, name).toBe(401);
      for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${srv.port + 1}`]) {
        const foreign = await srv.call(name, body, { origin });
        expect(foreign.status, `${name} from ${origin}`).toBe(403);
        expect(foreign.body.error.code).toBe('forbidden_origin');
      }
    }
    expect(snapshot()).toEqual(before);
    expect((await srv.setup.engine.sending.status()).paused).toBe(false);

    // The same arguments, with the token and from no foreign page, do change things: the
    // refusals above were what stopped them.
    for (const [name, body] of Object.entries(args)) expect((await srv.call(name, body)).body.ok, name).toBe(true);
    expect(snapshot()).not.toEqual(before);
  });

  it('every method with only ambient credentials (the token in a cookie, no header) → 401; nothing runs', async () => {
    const args = effectiveArgs(srv);
    const before = snapshot();
    for (const name of API_METHOD_NAMES) {
      for (const cookie of [`trickle_token=${srv.token}`, `theme=dark; trickle_token=${srv.token}`, `token=${srv.token}`]) {
        const res = await srv.call(name, args[name] ?? {}, { token: null, headers: { cookie } });
        expect(res.status, `${name} with ${cookie}`).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
      }
    }
    for (const path of ['/api/events', '/preview?campaign=1']) {
      const res = await srv.fetch(path, { headers: { cookie: `trickle_token=${srv.token}` } });
      expect(res.status, path).toBe(401);
    }
    expect(snapshot()).toEqual(before);
  });

  it('no answer lets a foreign page read it: no CORS header, a preflight is refused', async () => {
    const preflight = await srv.fetch('/api/accounts.list', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(403);
    for (const res of [
      preflight,
      await srv.fetch('/api/accounts.list', { method: 'POST', headers: { authorization: `Bearer ${srv.token}` } }),
    ]) {
      for (const [header] of res.headers) expect(header).not.toMatch(/^access-control-/);
    }
  });

  it('a body declared as 200 MB is refused before it is read — 413, or 401/403 first — and nothing is stored', async () => {
    const before = snapshot();
    const declared = { 'content-type': 'application/json', 'content-length': 200 * MB };
    const started = performance.now();
    const tooLarge = await rawRequest(srv.port, {
      path: '/api/campaigns.create',
      headers: { ...declared, authorization: `Bearer ${srv.token}` },
      send: '{"name":"Huge","subject":"Hi","text":"Hi","csv":"email\\n',
      end: false,
    });
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.body)).toEqual({
      ok: false,
      error: {
        code: 'too_large',
        message: expect.stringMatching(/larger than 64 MB.*Split a large recipients file into smaller files \(up to 50 MB each\)/),
      },
    });
    const noToken = await rawRequest(srv.port, { path: '/api/campaigns.create', headers: declared, send: '{', end: false });
    expect(noToken.status).toBe(401);
    const foreign = await rawRequest(srv.port, {
      path: '/api/campaigns.create',
      headers: { ...declared, authorization: `Bearer ${srv.token}`, origin: 'http://evil.example' },
      send: '{',
      end: false,
    });
    expect(foreign.status).toBe(403);
    // Answered without waiting for 200 MB that never came.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(snapshot()).toEqual(before);
    // The server is still answering.
    expect((await srv.call('sending.status')).status).toBe(200);
  });

  it('a 51 MB recipients file gets through the door to the engine’s own refusal, and its advice', async () => {
    const csv = `email\n${'a@example.com\n'.repeat(Math.ceil((51 * MB) / 14))}`;
    const before = snapshot();
    const res = await srv.call('campaigns.create', { name: 'Big', subject: 'Hi', text: 'Hi', csv });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ok: false,
      error: {
        code: 'csv_invalid',
        message: expect.stringMatching(/^The file is 5\d MB; Trickle imports up to 50 MB at a time — split it/),
      },
    });
    expect(snapshot()).toEqual(before);
  });

  it('bodies that are JSON but not arguments are refused in words, never crash the server', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const bodies = [
      '[]',
      'null',
      '"x"',
      '1e999',
      'true',
      deep,
      '{"__proto__":{"isAdmin":true},"email":"victim@example.com"}',
      '{"constructor":{"prototype":{"x":1}}}',
    ];
    const before = snapshot();
    for (const body of bodies) {
      for (const method of ['suppressions.add', 'campaigns.create', 'settings.update']) {
        const res = await srv.fetch(`/api/${method}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json' },
          body,
        });
        const label = `${method} ${body.slice(0, 40)}`;
        expect([200, 400], label).toContain(res.status);
        const envelope = JSON.parse(res.text) as Envelope<unknown>;
        expect(envelope.ok, label).toBe(false);
        if (!envelope.ok) expect(envelope.error.code, label).toMatch(/^(invalid_input|invalid_json)$/);
      }
    }
    expect(snapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(srv.logs.filter((l) => l.startsWith('error'))).toEqual([]);
  });
});

describe('the IPC door', () => {
  const PASSWORD = 'ipc-door-secret-Pa55';
  let setup: Awaited<ReturnType<typeof createTestEngine>>;
  let logLines: string[];
  let ran: string[];

  const mainFrame = { url: 'trickle://app/index.html', processId: 4, routingId: 1 };
  const webContents = { mainFrame };
  const ourWindow = { isDestroyed: () => false, webContents };
  const logger: EngineLogger = {
    info: (m, d) => void logLines.push(`info ${m} ${JSON.stringify(d ?? {})}`),
    warn: (m, d) => void logLines.push(`warn ${m} ${JSON.stringify(d ?? {})}`),
    error: (m, d) => void logLines.push(`error ${m} ${JSON.stringify(d ?? {})}`),
  };

  beforeAll(async () => {
    setup = await createTestEngine();
  });
  afterAll(() => setup?.close());

  /** The handler as main.ts builds it: the table behind it, the same log lines for refusals and failures. */
  function door() {
    logLines = [];
    ran = [];
    const handlers = createApiHandlers(setup.engine, { version: 'test', door: 'desktop' });
    const onUnexpected = (error: unknown, method: string) => logger.error('API method failed', { method, error: String(error) });
    return createInvokeHandler({
      getWindow: () => ourWindow,
      isAppUrl: (url) => url.startsWith('trickle://app/'),
      call: (name, args) => {
        ran.push(name);
        return invoke(handlers, name, args, onUnexpected);
      },
      onRefused: (name, url) => logger.warn('IPC call refused: not from Trickle’s window', { method: name, url }),
    });
  }

  it('every method from a frame that is not our window’s main frame: forbidden, nothing runs, no password logged', async () => {
    const handler = door();
    const reader = new Database(setup.databaseFile, { readonly: true, fileMustExist: true });
    try {
      const before = snapshotTables(reader);
      const frames = [
        { sender: webContents, senderFrame: { url: 'trickle://app/preview?campaign=1', processId: 4, routingId: 7 } }, // the preview subframe
        { sender: webContents, senderFrame: { ...mainFrame, url: 'https://evil.example/' } }, // navigated away
        { sender: { mainFrame }, senderFrame: mainFrame }, // another webContents
      ];
      const args = {
        ...effectiveArgs({ setup }),
        'accounts.add': { email: 'x@gmail.test', appPassword: PASSWORD, host: '127.0.0.1', port: 2525, security: 'none', verify: false },
      } as Record<string, unknown>;
      for (const event of frames) {
        for (const name of API_METHOD_NAMES) {
          expect(await handler(event, name, args[name] ?? { appPassword: PASSWORD }), name).toEqual(FORBIDDEN);
        }
      }
      expect(ran).toEqual([]);
      expect(snapshotTables(reader)).toEqual(before);
      expect(logLines).toHaveLength(frames.length * API_METHOD_NAMES.length);
      for (const line of logLines) expect(line).not.toContain(PASSWORD);
      // The same call from our window does run.
      expect(await handler({ sender: webContents, senderFrame: mainFrame }, 'accounts.add', args['accounts.add'])).toMatchObject({
        ok: true,
      });
      expect(snapshotTables(reader)).not.toEqual(before);
    } finally {
      reader.close();
    }
  });

  it('a method that fails unexpectedly while holding a password logs the failure, not the password', async () => {
    const own = await createTestEngine();
    const handlers = createApiHandlers(own.engine, { version: 'test', door: 'desktop' });
    const lines: string[] = [];
    await own.engine.stop(); // the database is gone: the next call fails inside, not in validation
    const answer = await invoke(
      handlers,
      'accounts.add',
      { email: 'y@gmail.test', appPassword: PASSWORD, host: '127.0.0.1', port: 2525, security: 'none', verify: false },
      (error, method) => lines.push(`error API method failed ${JSON.stringify({ method, error: String(error) })}`),
    );
    await own.close();
    expect(answer).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(answer)).not.toContain(PASSWORD);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/accounts\.add/);
    expect(lines[0]).not.toContain(PASSWORD);
  });
});

// ---- Another server on another loopback port -------------------------------------------------

/**
 * Cookies as a browser keeps them: by host name, whatever the port (RFC 6265 §8.5), so a cookie
 * Trickle set on 127.0.0.1:A is sent to every server on 127.0.0.1. Follows redirects by hand.
 */
class CookieJar {
  private readonly cookies = new Map<string, Map<string, string>>();
  async get(url: string): Promise<{ status: number; text: string; url: string }> {
    let current = new URL(url);
    for (let hop = 0; hop < 5; hop++) {
      const cookie = [...(this.cookies.get(current.hostname) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(current, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      for (const line of res.headers.getSetCookie()) {
        const [pair, ...attributes] = line.split(';');
        const [name, value] = [pair!.slice(0, pair!.indexOf('=')).trim(), pair!.slice(pair!.indexOf('=') + 1).trim()];
        const expired = attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === '';
        const forHost = this.cookies.get(current.hostname) ?? new Map<string, string>();
        if (expired) forHost.delete(name);
        else forHost.set(name, value);
        this.cookies.set(current.hostname, forHost);
      }
      const location = res.headers.get('location');
      const text = await res.text();
      if (res.status >= 300 && res.status < 400 && location) {
        current = new URL(location, current);
        continue;
      }
      return { status: res.status, text, url: current.href };
    }
    throw new Error('too many redirects');
  }
  /** Every cookie value kept for a host name. */
  valuesFor(hostname: string): string[] {
    return [...(this.cookies.get(hostname)?.values() ?? [])];
  }
}

describe('a server on another loopback port', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'trickle-doors-port-'));
  });
  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('receives no credential after a cookie jar followed the printed link', async () => {
    const app = await startApp(dataDir);
    const other = await startOtherServer();
    try {
      const jar = new CookieJar();
      // The printed link, followed as a browser would.
      const opened = await jar.get(app.link);
      expect(opened.status).toBe(200);
      expect(new URL(opened.url).origin).toBe(app.origin);

      // Then the user opens another local web app.
      expect((await jar.get(`http://127.0.0.1:${other.port}/`)).status).toBe(200);
      expect((await jar.get(`http://localhost:${other.port}/`)).status).toBe(200);
      expect(other.requests).toHaveLength(2);
      for (const request of other.requests) {
        expect(JSON.stringify(request)).not.toContain(app.token);
        expect(request.headers.authorization).toBeUndefined();
      }
      // Nothing the link left in the jar holds the token.
      expect(jar.valuesFor('127.0.0.1').filter((v) => v.includes(app.token))).toEqual([]);
    } finally {
      await other.close();
      expect(await app.stop()).toBe(0);
    }
  }, 30_000);
});

// ---- A whole run of the built app, and a grep for the password --------------------------------

describe('a known password, after a full run of the built headless app', () => {
  const ACCOUNT = 'dana@club.test';
  const PASSWORD = 'Known-Pa55word-Trickle-7f3a';
  const NEW_PASSWORD = 'Second-Pa55word-Trickle-91c';
  const TYPO = 'Known-Pa55word-Trickle-7f3b';
  let gmail: TestGmail;
  let dataDir: string;

  beforeAll(async () => {
    gmail = await startTestGmail({ accounts: [{ email: ACCOUNT, appPassword: PASSWORD }] });
    dataDir = mkdtempSync(join(tmpdir(), 'trickle-doors-'));
  });
  afterAll(async () => {
    await gmail?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  function filesUnder(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
    );
  }

  /** Every form a password could be written in: as text (UTF-8, UTF-16), base64 alone or in SMTP AUTH PLAIN, hex. */
  function forms(secret: string): string[] {
    return [
      secret,
      Buffer.from(secret, 'utf16le').toString('latin1'),
      Buffer.from(secret).toString('base64'),
      Buffer.from(`\0${ACCOUNT}\0${secret}`).toString('base64'),
      Buffer.from(secret).toString('hex'),
    ];
  }

  it('appears in no answer, event, log line, exported file or data file', async () => {
    const app = await startApp(dataDir);
    const received: string[] = [];
    let events = '';
    const abort = new AbortController();
    let reading: Promise<void> | undefined;
    try {
      const post = async (method: string, args: unknown = {}) => {
        const res = await fetch(`${app.origin}/api/${method}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(args),
        });
        const text = await res.text();
        received.push(text);
        return JSON.parse(text) as { ok: boolean; value?: any; error?: any };
      };
      const stream = await fetch(`${app.origin}/api/events`, { headers: { authorization: `Bearer ${app.token}` }, signal: abort.signal });
      reading = (async () => {
        const decoder = new TextDecoder();
        try {
          for await (const chunk of stream.body!) events += decoder.decode(chunk as Uint8Array, { stream: true });
        } catch {
          // aborted at the end
        }
      })();
      const until = async (check: () => Promise<boolean>) => {
        const deadline = Date.now() + 15_000;
        while (!(await check())) {
          if (Date.now() > deadline) throw new Error('not in time');
          await new Promise((r) => setTimeout(r, 100));
        }
      };

      const account = { email: ACCOUNT, host: '127.0.0.1', port: gmail.port, security: 'none' };
      expect((await post('settings.update', { batchIntervalSeconds: 1, messageDelayMs: 0, retryIntervalSeconds: 3600 })).ok).toBe(true);
      expect((await post('accounts.add', { ...account, appPassword: TYPO })).error.code).toBe('login_failed');
      const added = (await post('accounts.add', { ...account, appPassword: PASSWORD, fromName: 'Dana' })).value;
      await post('accounts.verify', { id: added.id });
      gmail.setPassword(ACCOUNT, NEW_PASSWORD);
      expect((await post('accounts.update', { id: added.id, appPassword: NEW_PASSWORD })).ok).toBe(true);
      await post('accounts.list');

      const file = (await post('attachments.store', { filename: 'agenda.txt', contentBase64: Buffer.from('Agenda').toString('base64') }))
        .value;
      gmail.fail({
        stage: 'rcpt',
        rcpt: 'gone@example.com',
        fault: { reply: '550 5.1.1 The email account that you tried to reach does not exist.' },
      });
      const { campaign } = (
        await post('campaigns.create', {
          name: 'Spring news',
          subject: 'Hello {{first_name}}',
          html: '<p>Dear {{first_name}}</p>',
          attachments: [file.id],
          csv: 'email,first_name\nann@example.com,Ann\nbob@example.com,Bob\ngone@example.com,Gone\nnot-an-address,X\n',
        })
      ).value;
      await post('campaigns.preview', { id: campaign.id });
      expect((await post('campaigns.testSend', { id: campaign.id, to: 'me@example.org' })).ok).toBe(true);
      expect((await post('campaigns.queue', { id: campaign.id })).value.queued).toBe(3);
      await until(async () => (await post('campaigns.get', { id: campaign.id })).value.status === 'completed');

      // A rehearsal, so its log exists to be searched too.
      const rehearsal = (
        await post('campaigns.create', { name: 'Rehearsal', subject: 'Hi', text: 'Hi', csv: 'email\ncy@example.com', rehearsal: true })
      ).value.campaign;
      await post('campaigns.queue', { id: rehearsal.id });
      await until(async () => (await post('campaigns.get', { id: rehearsal.id })).value.status === 'completed');

      const exported = (await post('campaigns.export', { id: campaign.id })).value;
      for (const method of ['campaigns.messages', 'campaigns.get']) await post(method, { id: campaign.id });
      for (const method of [
        'app.info',
        'accounts.list',
        'campaigns.list',
        'sending.status',
        'sending.history',
        'batches.list',
        'settings.get',
        'suppressions.list',
      ])
        await post(method);

      // It did all happen: logins with each password, mail delivered, a bounce, an export, a rehearsal.
      expect(gmail.logins.filter((l) => l.ok).length).toBeGreaterThanOrEqual(3);
      expect(gmail.logins.some((l) => !l.ok)).toBe(true);
      expect(gmail.accepted.map((m) => m.envelope.to[0]).sort()).toEqual(['ann@example.com', 'bob@example.com', 'me@example.org']);
      expect(exported.csv).toMatch(/gone@example\.com,[^\r\n]*failed/);
      expect(events).toMatch(/event: batch/);
    } finally {
      abort.abort();
      await reading; // the stream is read to its end: every event it brought is searched below
      expect(await app.stop()).toBe(0);
    }

    const output = app.output();
    expect(output).toMatch(/Trickle is running/);
    expect(output).toMatch(/account added|batch finished/); // the engine's own log lines are in there

    const files = filesUnder(dataDir);
    const names = files.map((f) => f.slice(dataDir.length + 1));
    expect(names).toEqual(expect.arrayContaining(['trickle.sqlite', 'secret.key', 'headless-token']));
    expect(names.some((n) => /^rehearsals\/campaign-\d+\.log$/.test(n))).toBe(true);
    expect(names.some((n) => n.startsWith('attachments/'))).toBe(true);
    // The store keeps ciphertext (AES-256-GCM, `v1:` format) and its key file is owner-only.
    const database = Buffer.concat(files.filter((f) => /trickle\.sqlite/.test(f)).map((f) => readFileSync(f))).toString('latin1');
    expect(database).toMatch(/v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+/);
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);

    const haystacks: [string, string][] = [
      ...received.map((text, i): [string, string] => [`answer ${i}`, text]),
      ['event stream', events],
      ['stdout and stderr', output],
      ...files.map((f): [string, string] => [f.slice(dataDir.length + 1), readFileSync(f).toString('latin1')]),
    ];
    expect(haystacks.length).toBeGreaterThan(30);
    for (const secret of [PASSWORD, NEW_PASSWORD, TYPO]) {
      for (const form of forms(secret)) {
        for (const [where, text] of haystacks) expect(text.includes(form), `${JSON.stringify(form)} found in ${where}`).toBe(false);
      }
    }
  }, 60_000);
});
