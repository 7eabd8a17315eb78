/**
 * Headless mode's HTTP door, over real HTTP on loopback with Node's fetch: the access token
 * (a Bearer header only; one-use tickets for the event stream and the preview frame), Origin
 * and Host checks, argument validation,
 * a whole campaign sent through the API to the test Gmail, live events over SSE, the
 * sandboxed preview page, the static renderer, and no password in any answer.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { API_METHOD_NAMES } from '../../src-main/api/contract';
import { TEST_ACCOUNTS, drain } from '../support/test-engine';
import { OUTSIDE_SECRET, TEST_INDEX_HTML, type TestServer, startTestServer } from '../support/test-server';

/** Every response body any test in this file received: the secrets test scans them all. */
const everyBody: string[] = [];
let srv: TestServer | undefined;
afterEach(async () => {
  if (!srv) return;
  everyBody.push(...srv.received);
  await srv.close();
  srv = undefined;
});

async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  srv = await startTestServer(options);
  return srv;
}

const [ALICE, BOB] = TEST_ACCOUNTS as [(typeof TEST_ACCOUNTS)[0], (typeof TEST_ACCOUNTS)[0]];

/** accounts.add arguments for an account of the test Gmail. */
function accountArgs(s: TestServer, account: { email: string; appPassword: string }, extra: Record<string, unknown> = {}) {
  return {
    email: account.email,
    appPassword: account.appPassword,
    host: s.setup.gmail.host,
    port: s.setup.gmail.port,
    security: 'none',
    ...extra,
  };
}

/** A one-use ticket, asked for with the token as the page does. */
async function ticketFor(s: TestServer, use: 'events' | 'preview'): Promise<string> {
  const res = await s.call('ticket', { for: use });
  expect(res.body).toMatchObject({ ok: true, value: { ticket: expect.stringMatching(/^[\w-]{32}$/), expiresInSeconds: 60 } });
  return res.body.value.ticket as string;
}

/** A Server-Sent Events stream read with fetch's body reader. */
async function openEvents(s: TestServer, headers: Record<string, string> = { authorization: `Bearer ${s.token}` }) {
  return openEventsAt(s, '/api/events', headers);
}

async function openEventsAt(s: TestServer, path: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${s.baseUrl}${path}`, { headers, signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const readUntil = async (done: (text: string) => boolean, ms = 5000): Promise<string> => {
    const deadline = Date.now() + ms;
    while (!done(text)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No such event in time; the stream said:\n${text}`);
      const chunk = await Promise.race([reader.read(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), left))]);
      if (chunk === 'timeout') continue;
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    return text;
  };
  return {
    response,
    readUntil,
    /** The events received so far, parsed. */
    events(): { event: string; data: unknown }[] {
      return text
        .split('\n\n')
        .map((block) => block.split('\n'))
        .filter((lines) => lines.some((l) => l.startsWith('event: ')))
        .map((lines) => ({
          event: lines.find((l) => l.startsWith('event: '))!.slice(7),
          data: JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)),
        }));
    },
    async close() {
      await reader.cancel().catch(() => undefined);
      controller.abort();
      s.received.push(text);
    },
  };
}

async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the access token', () => {
  it('no token → 401 unauthorized, saying where the token is; wrong Bearer → 401; right Bearer → 200', async () => {
    const s = await start();
    const none = await s.call('sending.status', undefined, { token: null });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ ok: false, error: { code: 'unauthorized', message: expect.stringMatching(/token.*link/i) } });

    const wrong = await s.call('sending.status', undefined, { token: `${s.token.slice(0, -2)}xx` });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    // A token as long as the right one but different, and the right one with something added.
    expect((await s.call('sending.status', undefined, { token: 'A'.repeat(s.token.length) })).status).toBe(401);
    expect((await s.call('sending.status', undefined, { token: `${s.token}A` })).status).toBe(401);
    // Not a Bearer header at all.
    expect((await s.call('sending.status', undefined, { token: null, headers: { authorization: `Basic ${s.token}` } })).status).toBe(401);

    const right = await s.call('sending.status');
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({ ok: true, value: { paused: false, queued: 0 } });
    expect(right.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('a request refused for its token changes nothing (sending.pause without the token)', async () => {
    const s = await start();
    expect((await s.call('sending.pause', undefined, { token: null })).status).toBe(401);
    expect((await s.call('sending.pause', undefined, { token: 'x'.repeat(40) })).status).toBe(401);
    expect((await s.setup.engine.sending.status()).paused).toBe(false);
  });

  it('opening the printed link serves the page itself, uncached, and sets no cookie: the token works only as a header', async () => {
    const s = await start();
    const link = await s.fetch(`/?token=${encodeURIComponent(s.token)}`);
    expect(link.status).toBe(200);
    expect(link.text).toBe(TEST_INDEX_HTML);
    expect(link.headers.get('set-cookie')).toBeNull();
    expect(link.headers.get('cache-control')).toBe('no-store');
    expect(link.headers.get('referrer-policy')).toBe('no-referrer');

    // The token as a cookie — the old way, or any name — opens nothing: cookies go to every
    // server on 127.0.0.1, whatever its port, and are sent by the browser on its own.
    for (const cookie of [`trickle_token=${s.token}`, `theme=dark; trickle_token=${s.token}; lang=en`, `token=${s.token}`]) {
      const res = await s.call('accounts.list', undefined, { token: null, headers: { cookie } });
      expect(res.status, cookie).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    expect((await s.call('accounts.list')).body).toEqual({ ok: true, value: [] });
  });

  it('a browser still holding the old cookie is told to drop it', async () => {
    const s = await start();
    const page = await s.fetch('/', { headers: { cookie: `theme=dark; trickle_token=${s.token}` } });
    expect(page.status).toBe(200);
    const drop = page.headers.get('set-cookie') ?? '';
    expect(drop).toMatch(/^trickle_token=;/);
    expect(drop).toMatch(/Max-Age=0/i);
    expect(drop).not.toContain(s.token);
    // Nothing to drop, nothing said.
    expect((await s.fetch('/', { headers: { cookie: 'theme=dark' } })).headers.get('set-cookie')).toBeNull();
  });

  it('a link with a wrong token → 401 and no cookie', async () => {
    const s = await start();
    for (const bad of ['nope', s.token.slice(1), `${s.token}x`, '']) {
      const res = await s.fetch(`/?token=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(401);
      expect(res.headers.get('set-cookie'), bad).toBeNull();
      expect(res.text).not.toContain(s.token);
    }
  });
});

describe('one-use tickets (for the two requests a browser cannot add a header to)', () => {
  it('are given only for the token, to this origin, for events or a preview', async () => {
    const s = await start();
    expect((await s.call('ticket', { for: 'events' }, { token: null })).status).toBe(401);
    expect((await s.call('ticket', { for: 'events' }, { token: null, headers: { cookie: `trickle_token=${s.token}` } })).status).toBe(401);
    expect((await s.call('ticket', { for: 'events' }, { origin: 'http://evil.example' })).status).toBe(403);
    for (const args of [{}, { for: 'api' }, { for: 'events', also: 1 }, undefined]) {
      const res = await s.call('ticket', args);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'for' } });
    }
    const a = await ticketFor(s, 'events');
    const b = await ticketFor(s, 'events');
    expect(a).not.toBe(b);
    expect(a).not.toContain(s.token);
  });

  it('open only what they were asked for, once, within a minute, and never the API', async () => {
    let now = Date.UTC(2026, 10, 23, 9);
    const s = await start({ now: () => now });
    const id = (
      await s.call('campaigns.create', {
        name: 'c',
        subject: 'Hi',
        html: '<p>Dear {{first_name}},</p>',
        csv: 'email,first_name\nann@example.com,Ann',
      })
    ).body.value.campaign.id;
    const statusOf = async (path: string) => {
      const controller = new AbortController();
      const res = await fetch(s.baseUrl + path, { signal: controller.signal });
      controller.abort();
      return res.status;
    };

    // A preview ticket does not open the events, nor the other way round; either is spent trying.
    const preview = await ticketFor(s, 'preview');
    expect(await statusOf(`/api/events?ticket=${preview}`)).toBe(401);
    expect(await statusOf(`/preview?campaign=${id}&ticket=${preview}`)).toBe(401);
    const events = await ticketFor(s, 'events');
    expect(await statusOf(`/preview?campaign=${id}&ticket=${events}`)).toBe(401);

    // No API method takes one, in the address or as a Bearer token.
    const api = await ticketFor(s, 'events');
    expect((await s.call('sending.pause', {}, { token: null, headers: { authorization: `Bearer ${api}` } })).status).toBe(401);
    expect((await s.fetch(`/api/sending.pause?ticket=${api}`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await s.setup.engine.sending.status()).paused).toBe(false);

    // A minute to use it; not a moment more.
    const late = await ticketFor(s, 'preview');
    now += 60_000;
    expect(await statusOf(`/preview?campaign=${id}&ticket=${late}`)).toBe(401);
    const onTime = await ticketFor(s, 'preview');
    now += 59_999;
    expect(await statusOf(`/preview?campaign=${id}&ticket=${onTime}`)).toBe(200);
  });
});

describe('Origin and Host', () => {
  it('a foreign Origin → 403 forbidden_origin, even with the right token, and nothing changes', async () => {
    const s = await start();
    for (const origin of [
      'http://evil.example',
      `http://evil.example:${s.port}`,
      'null',
      `http://localhost.evil.example:${s.port}`,
      `https://127.0.0.1:${s.port}`,
    ]) {
      const res = await s.call('sending.pause', undefined, { origin });
      expect(res.status, origin).toBe(403);
      expect(res.body, origin).toMatchObject({ ok: false, error: { code: 'forbidden_origin' } });
    }
    expect((await s.call('sending.status')).body.value.paused).toBe(false);
    expect((await s.setup.engine.sending.status()).paused).toBe(false);

    // The link from a foreign page cannot plant the cookie either.
    const link = await s.fetch(`/?token=${s.token}`, { headers: { origin: 'http://evil.example' } });
    expect(link.status).toBe(403);
    expect(link.headers.get('set-cookie')).toBeNull();
  });

  it('the server’s own origin is accepted', async () => {
    const s = await start();
    const res = await s.call('sending.pause', undefined, { origin: s.baseUrl });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, value: { paused: true } });
    expect((await s.call('sending.status')).body.value.paused).toBe(true);
  });

  it('a foreign Host (DNS rebinding) → 403, for the API and the page alike; loopback names are fine', async () => {
    const s = await start();
    const pause = {
      method: 'POST',
      headers: { host: `evil.example:${s.port}`, authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    };
    const refused = await s.raw('/api/sending.pause', pause);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ ok: false, error: { code: expect.stringMatching(/^forbidden/) } });
    expect((await s.setup.engine.sending.status()).paused).toBe(false);
    // With a matching Origin too: the rebinding page's origin is its own host.
    const both = await s.raw('/api/sending.pause', { ...pause, headers: { ...pause.headers, origin: `http://evil.example:${s.port}` } });
    expect(both.status).toBe(403);
    expect((await s.setup.engine.sending.status()).paused).toBe(false);

    const page = await s.raw('/', { headers: { host: `evil.example:${s.port}` } });
    expect(page.status).toBe(403);
    expect(page.body).not.toContain('trickle-test-index');
    expect((await s.raw('/', { headers: { host: `127.0.0.1:${s.port + 1}` } })).status).toBe(403);

    for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, `LOCALHOST:${s.port}`]) {
      const ok = await s.raw('/api/sending.status', { method: 'POST', headers: { host, authorization: `Bearer ${s.token}` } });
      expect(ok.status, host).toBe(200);
    }
  });
});

describe('bad requests', () => {
  it('invalid arguments → 200 { ok: false, error: { code: invalid_input, field, message } } and nothing changes', async () => {
    const s = await start();
    const badEmail = await s.call('accounts.add', accountArgs(s, { email: 'alice at gmail', appPassword: ALICE.appPassword }));
    expect(badEmail.status).toBe(200);
    expect(badEmail.body).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', field: 'email', message: expect.stringMatching(/^email: .+/) },
    });

    const badCap = await s.call('accounts.add', accountArgs(s, ALICE, { dailyCap: 5000 }));
    expect(badCap.body).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'dailyCap' } });
    const missing = await s.call('accounts.add', { email: ALICE.email });
    expect(missing.body).toEqual({
      ok: false,
      error: { code: 'invalid_input', field: 'appPassword', message: 'appPassword: This is required.' },
    });

    expect((await s.call('accounts.list')).body).toEqual({ ok: true, value: [] });
    expect(s.setup.gmail.logins).toEqual([]); // not even a login was tried

    // A subject with a line break would start a header of its own.
    const badCampaign = await s.call('campaigns.create', {
      name: 'News',
      subject: 'Hi\r\nBcc: everyone@example.com',
      text: 'Hello',
      csv: 'email\na@example.com',
    });
    expect(badCampaign.status).toBe(200);
    expect(badCampaign.body).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', field: 'subject', message: expect.stringMatching(/one line/) },
    });
    const badId = await s.call('campaigns.get', { id: 'one' });
    expect(badId.body).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'id' } });
    expect((await s.call('campaigns.list')).body).toEqual({ ok: true, value: [] });

    // A stray argument to a side-effecting method is refused before it runs.
    const stray = await s.call('sending.pause', { unexpected: 1 });
    expect(stray.body).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect((await s.call('sending.status')).body.value.paused).toBe(false);
  });

  it('unknown method → 404 unknown_method; GET on a method → 405; invalid JSON → 400', async () => {
    const s = await start();
    for (const name of ['accounts.delete', 'constructor', '__proto__', 'nothing', 'accounts.list/x']) {
      const res = await s.call(name, {});
      expect(res.status, name).toBe(404);
      expect(res.body, name).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    }

    const get = await s.fetch('/api/accounts.list', { headers: { authorization: `Bearer ${s.token}` } });
    expect(get.status).toBe(405);
    expect(JSON.parse(get.text)).toMatchObject({ ok: false, error: { code: 'method_not_allowed' } });
    // GET on a side-effecting method does not run it.
    expect((await s.fetch('/api/sending.pause', { headers: { authorization: `Bearer ${s.token}` } })).status).toBe(405);
    expect((await s.fetch('/api/sending.pause', { method: 'PUT', headers: { authorization: `Bearer ${s.token}` } })).status).toBe(405);
    expect((await s.setup.engine.sending.status()).paused).toBe(false);

    for (const body of ['{"name": "News",', 'not json', "{'id': 1}"]) {
      const res = await s.fetch('/api/campaigns.create', {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        body,
      });
      expect(res.status, body).toBe(400);
      expect(JSON.parse(res.text), body).toMatchObject({
        ok: false,
        error: { code: 'invalid_json', message: expect.stringMatching(/JSON/) },
      });
    }
    expect((await s.call('campaigns.list')).body.value).toEqual([]);
  });

  it('a body over the limit → 413 and nothing is created; a body under it works', async () => {
    const s = await start({ maxBodyBytes: 2048 });
    const csv = ['email', ...Array.from({ length: 200 }, (_, i) => `reader${i}@example.com`)].join('\n');
    const big = await s.call('campaigns.create', { name: 'Big', subject: 'Hi', text: 'Hello', csv });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ ok: false, error: { code: 'too_large' } });

    // Streamed without a Content-Length (chunked), the limit holds as well and the answer still arrives.
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    for (const chunks of [1, 40]) {
      let n = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (n++ === 0)
            controller.enqueue(new TextEncoder().encode(JSON.stringify({ name: 'Streamed', subject: 'Hi', text: 'Hello', csv })));
          else if (n <= chunks + 1) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const streamed = await fetch(`${s.baseUrl}/api/campaigns.create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status, `${chunks} chunks`).toBe(413);
      expect(await streamed.json()).toMatchObject({ ok: false, error: { code: 'too_large' } });
    }

    expect((await s.call('campaigns.list')).body.value).toEqual([]);
    const small = await s.call('campaigns.create', { name: 'Small', subject: 'Hi', text: 'Hello', csv: 'email\na@example.com' });
    expect(small.body).toMatchObject({ ok: true, value: { report: { imported: 1 } } });
  });
});

describe('the contract', () => {
  // PRODUCT.md §6, spelled out: these names exist with these meanings.
  const PRODUCT_METHODS = [
    'accounts.list',
    'accounts.add',
    'accounts.update',
    'accounts.remove',
    'accounts.verify',
    'campaigns.list',
    'campaigns.create',
    'campaigns.get',
    'campaigns.update',
    'campaigns.queue',
    'campaigns.pause',
    'campaigns.resume',
    'campaigns.cancel',
    'campaigns.retryFailed',
    'campaigns.messages',
    'campaigns.testSend',
    'campaigns.preview',
    'campaigns.export',
    'sending.status',
    'sending.pause',
    'sending.resume',
    'batches.list',
    'settings.get',
    'settings.update',
    'suppressions.list',
    'suppressions.add',
    'suppressions.remove',
  ];

  it('has every method name PRODUCT.md §6 lists', () => {
    expect(PRODUCT_METHODS).toHaveLength(27);
    for (const name of PRODUCT_METHODS) expect(API_METHOD_NAMES, name).toContain(name);
  });

  it('serves every contract method over HTTP, validating its arguments (none is a 404)', async () => {
    const s = await start();
    for (const name of API_METHOD_NAMES) {
      const res = await s.call(name, { notAnArgument: true });
      expect(res.status, name).toBe(200);
      expect(res.body, name).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    }
    expect((await s.setup.engine.sending.status()).paused).toBe(false);
  });
});

describe('a whole campaign through the API, against the test Gmail', () => {
  it('adds accounts, imports, previews, test-sends, queues, sends in batches and reports it all', async () => {
    const s = await start();
    const { gmail } = s.setup;

    // Accounts: a login Gmail refuses is explained, and nothing is saved.
    const alice = await s.call('accounts.add', accountArgs(s, ALICE, { fromName: 'Alice', dailyCap: 50 }));
    expect(alice.body).toMatchObject({
      ok: true,
      value: {
        email: ALICE.email,
        fromName: 'Alice',
        dailyCap: 50,
        enabled: true,
        state: 'ok',
        sentLast24h: 0,
        remaining: 50,
        host: '127.0.0.1',
        port: gmail.port,
        security: 'none',
      },
    });
    const wrong = await s.call('accounts.add', accountArgs(s, { email: BOB.email, appPassword: 'wrongwrongwrongw' }));
    expect(wrong.status).toBe(200);
    expect(wrong.body).toMatchObject({ ok: false, error: { code: 'login_failed' } });
    expect(wrong.body.error.message).toMatch(new RegExp(`Could not log in to ${BOB.email.replace('.', '\\.')}`));
    expect(wrong.body.error.message).toMatch(/did not accept the app password.*new app password/);
    expect((await s.call('accounts.list')).body.value.map((a: { email: string }) => a.email)).toEqual([ALICE.email]);
    const bob = await s.call('accounts.add', accountArgs(s, BOB, { dailyCap: 50 }));
    expect(bob.body.ok).toBe(true);
    expect((await s.call('accounts.add', accountArgs(s, BOB))).body).toMatchObject({ ok: false, error: { code: 'conflict' } });

    // Settings and a suppressed address, through the API.
    expect((await s.call('settings.update', { batchSize: 4 })).body).toMatchObject({ ok: true, value: { batchSize: 4 } });
    expect((await s.call('settings.get')).body.value.batchSize).toBe(4);
    expect((await s.call('suppressions.add', { email: 'gone@example.com' })).body.ok).toBe(true);

    const csv = [
      'email,first_name,name',
      'r1@example.com,Ann,Ann Smith',
      'r2@example.com,Ben,"=HYPERLINK(""http://evil.example"",""open"")"',
      'R1@Example.COM,Ann again,Dup',
      'not-an-address,Nope,Bad',
      'gone@example.com,Gone,Gone',
      ...Array.from({ length: 6 }, (_, i) => `r${i + 3}@example.com,Reader${i + 3},Reader ${i + 3}`),
    ].join('\r\n');
    const created = await s.call('campaigns.create', {
      name: 'Spring fair',
      subject: 'Hello {{first_name}}',
      html: '<p>Dear {{first_name}},</p><p>The fair is on Saturday.</p>',
      csv,
    });
    expect(created.status).toBe(200);
    const { campaign, report } = created.body.value;
    expect(report).toMatchObject({ imported: 8, duplicates: 1, suppressed: 1 });
    expect(report.invalid).toEqual([{ row: 5, value: 'not-an-address', reason: expect.any(String) }]);
    expect(campaign).toMatchObject({ name: 'Spring fair', status: 'draft' });
    expect(Number.isInteger(campaign.id)).toBe(true);
    const id = campaign.id as number;

    const preview = await s.call('campaigns.preview', { id });
    expect(preview.body).toMatchObject({
      ok: true,
      value: { subject: 'Hello Ann', to: 'Ann Smith <r1@example.com>', recipient: { email: 'r1@example.com' } },
    });
    expect(preview.body.value.html).toContain('Dear Ann,');
    expect(preview.body.value.headers['List-Unsubscribe']).toMatch(/^<mailto:/);

    const test = await s.call('campaigns.testSend', { id, to: 'me@example.org' });
    expect(test.body).toMatchObject({ ok: true, value: { sentTo: 'me@example.org' } });
    expect(gmail.accepted).toHaveLength(1);
    expect(gmail.accepted[0]!.envelope.to).toEqual(['me@example.org']);
    expect(gmail.accepted[0]!.headers.get('subject')).toBe('[Test] Hello Ann');

    const queued = await s.call('campaigns.queue', { id });
    expect(queued.body).toEqual({ ok: true, value: { queued: 8, message: 'Queued 8 emails' } });
    const afterQueue = (await s.call('campaigns.get', { id })).body.value;
    expect(afterQueue.status).toBe('queued');
    expect(afterQueue.counts).toMatchObject({ pending: 0, queued: 8, sent: 0 });
    expect((await s.call('sending.status')).body.value).toMatchObject({ queued: 8, inFlight: 0 });
    // Queueing again is refused in words and queues nothing more.
    const again = await s.call('campaigns.queue', { id });
    expect(again.body).toEqual({ ok: false, error: { code: 'conflict', message: 'This campaign is already queued.' } });
    expect((await s.call('sending.status')).body.value.queued).toBe(8);

    // First batch: 4 of 8.
    expect(await s.setup.engine.runBatchNow()).toMatchObject({ claimed: 4, sent: 4 });
    const mid = (await s.call('campaigns.get', { id })).body.value;
    expect(mid.status).toBe('sending');
    expect(mid.counts).toMatchObject({ queued: 4, sent: 4 });
    expect((await s.call('batches.list')).body.value).toMatchObject([
      { sent: 4, failed: 0, remaining: 4, summary: 'Batch: 4 sent, 0 failed, 4 left' },
    ]);

    expect(await drain(s.setup.engine)).toBe(1);
    const done = (await s.call('campaigns.get', { id })).body.value;
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ pending: 0, queued: 0, sending: 0, sent: 8, failed: 0, retry_wait: 0, in_doubt: 0 });

    const batches = (await s.call('batches.list')).body.value;
    expect(batches.map((b: { summary: string }) => b.summary)).toEqual([
      'Batch: 4 sent, 0 failed, 0 left',
      'Batch: 4 sent, 0 failed, 4 left',
    ]);
    expect((await s.call('batches.list', { limit: 1 })).body.value).toHaveLength(1);

    const messages = (await s.call('campaigns.messages', { id, status: 'sent', limit: 100 })).body.value;
    expect(messages.total).toBe(8);
    expect(messages.items.map((m: { email: string }) => m.email)).toEqual([
      'r1@example.com',
      'r2@example.com',
      'r3@example.com',
      'r4@example.com',
      'r5@example.com',
      'r6@example.com',
      'r7@example.com',
      'r8@example.com',
    ]);
    for (const m of messages.items) {
      expect(m).toMatchObject({ status: 'sent', sentAt: expect.any(String), messageId: expect.stringMatching(/^<.+@.+>$/) });
      expect(Number.isNaN(Date.parse(m.sentAt))).toBe(false);
      expect([alice.body.value.id, bob.body.value.id]).toContain(m.accountId);
    }
    const page = (await s.call('campaigns.messages', { id, offset: 2, limit: 3 })).body.value;
    expect(page.items).toHaveLength(3);

    // What the test Gmail received: each recipient once, with the Message-ID the API shows.
    const campaignMail = gmail.accepted.slice(1);
    expect(campaignMail.map((m) => m.envelope.to[0])).toEqual(messages.items.map((m: { email: string }) => m.email));
    expect(new Set(campaignMail.map((m) => m.messageId))).toEqual(new Set(messages.items.map((m: { messageId: string }) => m.messageId)));
    expect(campaignMail.map((m) => m.envelope.to[0])).not.toContain('gone@example.com');
    expect(campaignMail[1]!.headers.get('subject')).toBe('Hello Ben');
    expect(gmail.acceptedBy(ALICE.email).length + gmail.acceptedBy(BOB.email).length).toBe(9);
    expect(Math.abs(gmail.acceptedBy(ALICE.email).length - gmail.acceptedBy(BOB.email).length)).toBeLessThanOrEqual(1);

    const status = (await s.call('sending.status')).body.value;
    expect(status).toMatchObject({ paused: false, queued: 0, inFlight: 0, sentLast24h: 9, capacityLeft: 100 - 9 });
    expect(status.lastBatch).toMatchObject({ summary: 'Batch: 4 sent, 0 failed, 0 left' });
    const accounts = (await s.call('accounts.list')).body.value;
    expect(accounts.reduce((sum: number, a: { sentLast24h: number }) => sum + a.sentLast24h, 0)).toBe(9);

    const history = (await s.call('sending.history', { hours: 3 })).body.value;
    expect(history).toHaveLength(3);
    expect(history.map((h: { hour: string }) => h.hour)).toEqual([
      '2026-11-23T07:00:00.000Z',
      '2026-11-23T08:00:00.000Z',
      '2026-11-23T09:00:00.000Z',
    ]);

    const exported = (await s.call('campaigns.export', { id })).body.value;
    expect(exported.filename).toMatch(/Spring fair/);
    // UTF-8 with a byte-order mark, so a spreadsheet reads "—" as it is.
    expect(exported.csv.startsWith('\uFEFF')).toBe(true);
    const lines: string[] = exported.csv.slice(1).trimEnd().split('\r\n');
    // The address and every column of the list as imported, then the outcome.
    expect(lines[0]).toMatch(/^row,email,first_name,name,status,/);
    // duplicate, invalid and suppressed rows are listed too, as skipped
    expect(lines).toHaveLength(1 + 11);
    const ben = lines.find((l) => l.includes('r2@example.com'))!;
    // The formula a spreadsheet would run is neutralised with a leading apostrophe.
    expect(ben).toContain(`"'=HYPERLINK(""http://evil.example"",""open"")"`);
    expect(ben).not.toMatch(/,"?=HYPERLINK/);
    expect(ben).toContain(',sent,');
    expect(lines.find((l) => l.includes('gone@example.com'))).toMatch(/skipped/);
  });

  it('sending.history counts every send of the hour, not only one on the hour', async () => {
    const s = await start({ accounts: [ALICE] });
    const { id } = (
      await s.call('campaigns.create', { name: 'c', subject: 's', text: 't', csv: 'email\na@example.com\nb@example.com\nc@example.com' })
    ).body.value.campaign;
    await s.call('campaigns.queue', { id });
    await drain(s.setup.engine); // 3 sends, 2 s apart (the fake clock), from 09:00:00
    s.setup.clock.advance(3_600_000 + 5 * 60_000);
    const history = (await s.call('sending.history', { hours: 2 })).body.value;
    expect(history).toEqual([
      { hour: '2026-11-23T09:00:00.000Z', sent: 3 },
      { hour: '2026-11-23T10:00:00.000Z', sent: 0 },
    ]);
    // The same sends as the status counts.
    expect((await s.call('sending.status')).body.value.sentLast24h).toBe(3);
  });

  it('pausing and resuming a campaign and sending over the API holds and releases the queue', async () => {
    const s = await start();
    expect((await s.call('accounts.add', accountArgs(s, ALICE))).body.ok).toBe(true);
    const { id } = (await s.call('campaigns.create', { name: 'c', subject: 's', text: 't', csv: 'email\na@example.com\nb@example.com' }))
      .body.value.campaign;
    await s.call('campaigns.queue', { id });

    expect((await s.call('campaigns.pause', { id })).body.ok).toBe(true);
    expect((await s.setup.engine.runBatchNow())?.sent ?? 0).toBe(0);
    expect(s.setup.gmail.accepted).toHaveLength(0);
    expect((await s.call('campaigns.get', { id })).body.value.status).toBe('paused');
    expect((await s.call('campaigns.resume', { id })).body.ok).toBe(true);

    expect((await s.call('sending.pause')).body.value.paused).toBe(true);
    expect(await s.setup.engine.runBatchNow()).toBeUndefined();
    expect(s.setup.gmail.accepted).toHaveLength(0);
    expect((await s.call('sending.resume')).body.value.paused).toBe(false);
    await drain(s.setup.engine);
    expect(s.setup.gmail.accepted).toHaveLength(2);
    expect((await s.call('campaigns.get', { id })).body.value.status).toBe('completed');
  });
});

describe('live events (SSE)', () => {
  it('GET /api/events streams batch, message and status events while a batch runs', async () => {
    const s = await start({ accounts: [ALICE] });
    const { id } = (
      await s.call('campaigns.create', { name: 'c', subject: 's', text: 't', csv: 'email\na@example.com\nb@example.com\nc@example.com' })
    ).body.value.campaign;
    await s.call('campaigns.queue', { id });

    const stream = await openEvents(s);
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await stream.readUntil((t) => t.includes('retry:'));
      await s.setup.engine.runBatchNow();
      const text = await stream.readUntil(
        (t) => t.includes('event: batch') && t.includes('event: status') && (t.match(/event: message/g) ?? []).length >= 3,
      );
      expect(text).toMatch(/^event: batch$/m);
      expect(text).toMatch(/^event: message$/m);
      expect(text).toMatch(/^event: status$/m);
      const events = stream.events();
      const messageEvents = events.filter((e) => e.event === 'message');
      expect(messageEvents).toHaveLength(3);
      for (const e of messageEvents) expect(e.data).toMatchObject({ campaignId: id, status: 'sent' });
      expect(events.find((e) => e.event === 'batch')!.data).toMatchObject({ sent: 3, failed: 0, remaining: 0 });
    } finally {
      await stream.close();
    }
    // Closing the stream lets go of the engine's listeners: no leak per page load.
    await eventually(() => s.setup.engine.events.listenerCount('batch') === 0 && s.setup.engine.events.listenerCount('message') === 0);
  });

  it('needs the token or a one-use ticket (a cookie is no credential, a foreign Origin is refused)', async () => {
    const s = await start();
    const none = await fetch(`${s.baseUrl}/api/events`);
    expect(none.status).toBe(401);
    s.received.push(await none.text());
    const cookie = await fetch(`${s.baseUrl}/api/events`, { headers: { cookie: `trickle_token=${s.token}` } });
    expect(cookie.status).toBe(401);
    s.received.push(await cookie.text());
    const foreign = await fetch(`${s.baseUrl}/api/events`, {
      headers: { authorization: `Bearer ${s.token}`, origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    s.received.push(await foreign.text());
    expect(s.setup.engine.events.listenerCount('status')).toBe(0);

    // What the page's EventSource does: a ticket asked for with the header, in the URL once.
    const ticket = await ticketFor(s, 'events');
    const stream = await openEventsAt(s, `/api/events?ticket=${ticket}`);
    try {
      expect(stream.response.status).toBe(200);
      await stream.readUntil((t) => t.includes('retry:'));
      await s.call('sending.pause');
      await stream.readUntil((t) => t.includes('event: status'));
    } finally {
      await stream.close();
    }
    // Spent: the same URL opens nothing a second time.
    const again = await fetch(`${s.baseUrl}/api/events?ticket=${ticket}`);
    expect(again.status).toBe(401);
    s.received.push(await again.text());
  });
});

describe('the preview page', () => {
  async function campaignWithScriptInData(s: TestServer) {
    const csv = 'email,first_name\nr1@example.com,<script>alert(document.cookie)</script>\nr2@example.com,"<img src=x onerror=alert(1)>"';
    const { campaign } = (await s.call('campaigns.create', { name: 'c', subject: 'Hi', html: '<p>Dear {{first_name}},</p>', csv })).body
      .value;
    return campaign.id as number;
  }

  it('requires the token or a preview ticket, once', async () => {
    const s = await start();
    const id = await campaignWithScriptInData(s);
    const res = await s.fetch(`/preview?campaign=${id}`);
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('Dear');
    expect((await s.fetch(`/preview?campaign=${id}`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await s.fetch(`/preview?campaign=${id}`, { headers: { cookie: `trickle_token=${s.token}` } })).status).toBe(401);
    const ticket = await ticketFor(s, 'preview');
    expect((await s.fetch(`/preview?campaign=${id}&ticket=${ticket}`)).text).toContain('Dear');
    const spent = await s.fetch(`/preview?campaign=${id}&ticket=${ticket}`);
    expect(spent.status).toBe(401);
    expect(spent.text).not.toContain('Dear');
  });

  it('answers text/html under a sandbox CSP that allows no script, with merge data escaped', async () => {
    const s = await start();
    const id = await campaignWithScriptInData(s);
    const res = await s.fetch(`/preview?campaign=${id}`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name!.toLowerCase(), values]),
    );
    expect(directives.has('sandbox')).toBe(true);
    expect(directives.get('sandbox')).not.toContain('allow-scripts');
    const scriptSources = directives.get('script-src') ?? directives.get('default-src');
    expect(scriptSources).toEqual(["'none'"]);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');

    expect(res.text).toContain('Dear &lt;script&gt;alert(document.cookie)&lt;/script&gt;,');
    expect(res.text).not.toContain('<script');

    // A chosen recipient, with the one-use ticket the page puts in its frame's address.
    const second = (await s.call('campaigns.messages', { id, limit: 10 })).body.value.items[1];
    const ticket = await ticketFor(s, 'preview');
    const other = await s.fetch(`/preview?campaign=${id}&message=${second.id}&ticket=${ticket}`);
    expect(other.status).toBe(200);
    expect(other.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(other.text).not.toContain('<img src=x');
  });

  it('shows a missing campaign as a message, not a crash', async () => {
    const s = await start();
    const res = await s.fetch('/preview?campaign=999', { headers: { authorization: `Bearer ${s.token}` } });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/does not exist/);
  });
});

describe('static files', () => {
  it('GET / serves index.html under a strict CSP (script-src self, nothing inline)', async () => {
    const s = await start();
    const res = await s.fetch('/');
    expect(res.status).toBe(200);
    expect(res.text).toBe(TEST_INDEX_HTML);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/(^|;)\s*script-src 'self'\s*(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    // A client-side route gets the app too; a real asset is served as itself.
    expect((await s.fetch('/campaigns/3')).text).toBe(TEST_INDEX_HTML);
    const js = await s.fetch('/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  // Issue 17: the window's assets are named by their content, so the browser keeps them for good;
  // the build wrote them compressed too, and the answer takes what the browser accepts.
  it('serves hashed assets compressed as the browser accepts, kept for a year; the page is asked for each time', async () => {
    const s = await start();
    const script = `export const app = ${JSON.stringify('trickle '.repeat(400))};\n`;
    mkdirSync(join(s.staticDir, 'assets'));
    const asset = join(s.staticDir, 'assets', 'index-Ab3_x-9Z.js');
    writeFileSync(asset, script);
    writeFileSync(`${asset}.br`, brotliCompressSync(script));
    writeFileSync(`${asset}.gz`, gzipSync(script));

    const fetchWith = (path: string, acceptEncoding: string, method = 'GET') =>
      s.fetch(path, { method, headers: { 'accept-encoding': acceptEncoding } });
    const br = await fetchWith('/assets/index-Ab3_x-9Z.js', 'gzip, deflate, br');
    expect(br.status).toBe(200);
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(Number(br.headers.get('content-length'))).toBe(brotliCompressSync(script).length);
    expect(br.text).toBe(script);
    expect(br.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(br.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(br.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(br.headers.get('x-content-type-options')).toBe('nosniff');

    const gz = await fetchWith('/assets/index-Ab3_x-9Z.js', 'gzip;q=1, br;q=0');
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.text).toBe(script);
    const plain = await fetchWith('/assets/index-Ab3_x-9Z.js', 'identity');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(Number(plain.headers.get('content-length'))).toBe(Buffer.byteLength(script));
    expect(plain.text).toBe(script);
    const head = await fetchWith('/assets/index-Ab3_x-9Z.js', 'br', 'HEAD');
    expect(head.headers.get('content-encoding')).toBe('br');
    expect(head.text).toBe('');

    // Not named by its content: kept an hour. The page: asked for every time; never stored when opened with the link.
    expect((await s.fetch('/app.js')).headers.get('cache-control')).toBe('public, max-age=3600');
    expect((await s.fetch('/')).headers.get('cache-control')).toBe('no-cache');
    expect((await s.fetch(`/?token=${encodeURIComponent(s.token)}`)).headers.get('cache-control')).toBe('no-store');
  });

  it('path traversal finds nothing outside the renderer folder → 404', async () => {
    const s = await start();
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/package.json',
      '/..%2fpackage.json',
      '/%2e%2e%2fpackage.json',
      '/www/../../package.json',
      '/..%5cpackage.json',
      '/%00/package.json',
      '/package.json',
    ]) {
      const res = await s.raw(path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain(OUTSIDE_SECRET);
    }
    expect((await s.raw('/missing.js')).status).toBe(404);
  });
});

describe('secrets', () => {
  it('no response body — of this test or any earlier one in this file — contains an app password', async () => {
    const s = await start();
    const dana = { email: 'dana@gmail.test', appPassword: 'qwertyuiopasdfgh' };
    const newPassword = 'zxcvbnmlkjhgfdsa';
    const typo = 'qwertyuiopasdfgX';
    s.setup.gmail.addAccount(dana);

    const wrong = await s.call('accounts.add', accountArgs(s, { email: dana.email, appPassword: typo }));
    expect(wrong.body.error.code).toBe('login_failed');
    const added = (await s.call('accounts.add', accountArgs(s, dana))).body.value;
    expect(added).not.toHaveProperty('appPassword');
    expect(added).not.toHaveProperty('password');
    await s.call('accounts.add', accountArgs(s, ALICE));
    s.setup.gmail.setPassword(dana.email, newPassword);
    expect((await s.call('accounts.update', { id: added.id, appPassword: newPassword })).body.ok).toBe(true);
    await s.call('accounts.verify', { id: added.id });
    await s.call('accounts.list');
    await s.call('app.info');

    const { id } = (
      await s.call('campaigns.create', {
        name: 'c',
        subject: 'Hi {{first_name}}',
        text: 'Hello',
        csv: 'email,first_name\na@example.com,A\nb@example.com,B\nc@example.com,C',
      })
    ).body.value.campaign;
    await s.call('campaigns.preview', { id });
    await s.call('campaigns.testSend', { id, to: 'me@example.org' });
    await s.call('campaigns.queue', { id });
    const stream = await openEvents(s);
    try {
      await stream.readUntil((t) => t.includes('retry:'));
      await drain(s.setup.engine);
      await stream.readUntil((t) => t.includes('event: batch'));
    } finally {
      await stream.close();
    }
    for (const name of [
      'sending.status',
      'batches.list',
      'sending.history',
      'settings.get',
      'suppressions.list',
      'campaigns.list',
    ] as const)
      await s.call(name);
    await s.call('campaigns.messages', { id });
    await s.call('campaigns.export', { id });
    expect(s.setup.gmail.accepted).toHaveLength(4);

    const bodies = [...everyBody, ...s.received];
    expect(bodies.length).toBeGreaterThan(30);
    const secrets = [dana.appPassword, newPassword, typo, ...TEST_ACCOUNTS.map((a) => a.appPassword), 'wrongwrongwrongw'];
    for (const body of bodies) for (const secret of secrets) expect(body).not.toContain(secret);
    for (const line of s.logs) for (const secret of secrets) expect(line).not.toContain(secret);
  });
});
