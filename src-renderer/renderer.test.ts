// The renderer's plain logic: the API client's two transports, CSV sniffing, formatting and
// routing. Runs in Node with fakes for the preload bridge, fetch and EventSource.
//
//   npx vitest run --root src-renderer
//
// (The root vitest.config.ts only includes src-main/, migrations/ and test/.)

import { describe, expect, it, vi } from 'vitest';
import { createHttpClient, createIpcClient } from './api/client';
import { fieldError, messageForField } from './api/errors';
import { normalizeFieldName } from '../src-shared/field-names';
import { classifyPaste, decodeText, inspectCsv } from './lib/csv';
import { accessKeyFromAddress, type KeyStorage } from './lib/access-key';
import { countdown, serverLine, when } from './lib/format';
import { parseHash } from './lib/route';

describe('IPC transport', () => {
  it('forwards calls to window.trickle.invoke and returns its envelope', async () => {
    const invoke = vi.fn(async () => ({ ok: true, value: [{ id: 1 }] }));
    const client = createIpcClient({ invoke, on: () => () => {} });
    const answer = await client.call('accounts.list');
    expect(invoke).toHaveBeenCalledWith('accounts.list', undefined);
    expect(answer).toEqual({ ok: true, value: [{ id: 1 }] });
    await client.call('campaigns.get', { id: 3 });
    expect(invoke).toHaveBeenLastCalledWith('campaigns.get', { id: 3 });
  });

  it('turns a failed or odd bridge answer into an error envelope', async () => {
    const broken = createIpcClient({ invoke: async () => Promise.reject(new Error('gone')), on: () => () => {} });
    expect(await broken.call('settings.get')).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    const odd = createIpcClient({ invoke: async () => 'hello', on: () => () => {} });
    expect(await odd.call('settings.get')).toMatchObject({ ok: false, error: { code: 'bad_answer' } });
  });

  it('subscribes through window.trickle.on and hands back its unsubscribe', () => {
    const off = vi.fn();
    const on = vi.fn(() => off);
    const client = createIpcClient({ invoke: async () => ({ ok: true, value: null }), on });
    const listener = vi.fn();
    const unsubscribe = client.on('batch', listener);
    expect(on).toHaveBeenCalledWith('batch', listener);
    unsubscribe();
    expect(off).toHaveBeenCalled();
  });
});

class FakeEventSource {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  listeners = new Map<string, ((e: { data: string }) => void)[]>();
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(name: string, l: (e: { data: string }) => void) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), l]);
  }
  emit(name: string, data = '') {
    for (const l of this.listeners.get(name) ?? []) l({ data });
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function memoryStorage(): KeyStorage & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    getItem: (k) => values.get(k) ?? null,
    setItem: (k, v) => void values.set(k, v),
    removeItem: (k) => void values.delete(k),
  };
}

/** A page opened at `href`, with the storage of its origin. */
function pageAt(href: string, storage = memoryStorage()) {
  const history = { replaceState: vi.fn() };
  return { accessKey: accessKeyFromAddress({ href }, history, storage), history, storage };
}

/** Lets the client's pending promises (a ticket, then the stream) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the access token in the page', () => {
  it('is taken out of the printed link’s address, kept in this origin’s storage, and dropped from the address bar', () => {
    const { accessKey, history, storage } = pageAt('http://127.0.0.1:4580/?token=abc123XYZ_-tokentokentoken#/campaigns');
    expect(accessKey.get()).toBe('abc123XYZ_-tokentokentoken');
    expect([...storage.values.values()]).toEqual(['abc123XYZ_-tokentokentoken']);
    expect(history.replaceState).toHaveBeenCalledWith(null, '', '/#/campaigns');
    // A later visit without the link finds it; forgetting it (the server refused it) removes it.
    const later = pageAt('http://127.0.0.1:4580/#/accounts', storage);
    expect(later.history.replaceState).not.toHaveBeenCalled();
    expect(later.accessKey.get()).toBe('abc123XYZ_-tokentokentoken');
    later.accessKey.forget();
    expect(later.accessKey.get()).toBeUndefined();
    // Other parameters stay in the address.
    expect(pageAt('http://127.0.0.1:4580/?a=1&token=t&b=2').history.replaceState).toHaveBeenCalledWith(null, '', '/?a=1&b=2');
  });

  it('is kept in memory when the browser refuses storage', () => {
    const refusing: KeyStorage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {},
    };
    expect(pageAt('http://127.0.0.1:4580/?token=t0k3n', refusing as never).accessKey.get()).toBe('t0k3n');
  });
});

describe('HTTP transport', () => {
  it('POSTs JSON to the relative api/<name> URL with the token as a Bearer header and no ambient credentials', async () => {
    const fetch = vi.fn(async () => jsonResponse(200, { ok: true, value: { id: 7 } }));
    const client = createHttpClient({
      fetch: fetch as never,
      EventSource: FakeEventSource as never,
      accessKey: pageAt('http://127.0.0.1:4580/?token=s3cret').accessKey,
    });
    expect(await client.call('campaigns.get', { id: 7 })).toEqual({ ok: true, value: { id: 7 } });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('api/campaigns.get');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('omit');
    expect(JSON.parse(String(init.body))).toEqual({ id: 7 });
    expect(new Headers(init.headers).get('content-type')).toBe('application/json');
    expect(new Headers(init.headers).get('authorization')).toBe('Bearer s3cret');
  });

  it('passes error envelopes through, and reports a 401 once as “unauthorized”, forgetting the refused token', async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(jsonResponse(200, { ok: false, error: { code: 'conflict', message: 'No.' } }))
      .mockResolvedValue(jsonResponse(401, { ok: false, error: { code: 'unauthorized', message: 'Token?' } }));
    const { accessKey } = pageAt('http://127.0.0.1:4580/?token=old-token');
    const client = createHttpClient({ fetch, EventSource: FakeEventSource as never, accessKey });
    const seen = vi.fn();
    client.onUnauthorized(seen);
    expect(await client.call('settings.get')).toEqual({ ok: false, error: { code: 'conflict', message: 'No.' } });
    expect(seen).not.toHaveBeenCalled();
    expect(accessKey.get()).toBe('old-token');
    expect(await client.call('settings.get')).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    await client.call('accounts.list');
    expect(seen).toHaveBeenCalledTimes(1);
    expect(accessKey.get()).toBeUndefined();
  });

  it('says Trickle is not answering when the request cannot be made, or the answer is not JSON', async () => {
    const down = createHttpClient({
      fetch: async () => Promise.reject(new TypeError('fetch failed')),
      EventSource: FakeEventSource as never,
    });
    expect(await down.call('settings.get')).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    const html = createHttpClient({ fetch: async () => new Response('<html>', { status: 502 }), EventSource: FakeEventSource as never });
    expect(await html.call('settings.get')).toMatchObject({ ok: false, error: { code: 'http_502' } });
  });

  /** A server that hands out tickets t1, t2, … and answers other calls with null. */
  function ticketServer() {
    let n = 0;
    return vi.fn(async (url: string, init: RequestInit) => {
      if (url === 'api/ticket') {
        expect(JSON.parse(String(init.body))).toMatchObject({ for: expect.stringMatching(/^(events|preview)$/) });
        expect(new Headers(init.headers).get('authorization')).toBe('Bearer s3cret');
        return jsonResponse(200, { ok: true, value: { ticket: `t${++n}`, expiresInSeconds: 60 } });
      }
      return jsonResponse(200, { ok: true, value: null });
    });
  }

  it('shares one EventSource on api/events, opened with a one-use ticket, between listeners and parses the payloads', async () => {
    FakeEventSource.instances = [];
    const client = createHttpClient({
      fetch: ticketServer() as never,
      EventSource: FakeEventSource as never,
      accessKey: pageAt('http://x/?token=s3cret').accessKey,
    });
    const a = vi.fn();
    const b = vi.fn();
    const offA = client.on('batch', a);
    client.on('status', b);
    await settle();
    expect(FakeEventSource.instances).toHaveLength(1);
    const source = FakeEventSource.instances[0]!;
    expect(source.url).toBe('api/events?ticket=t1');
    source.emit('batch', JSON.stringify({ batchId: 1, sent: 10, failed: 0, remaining: 5 }));
    source.emit('status', 'null');
    expect(a).toHaveBeenCalledWith({ batchId: 1, sent: 10, failed: 0, remaining: 5 });
    expect(b).toHaveBeenCalledWith(null);
    offA();
    source.emit('batch', '{}');
    expect(a).toHaveBeenCalledTimes(1);
  });

  it('reopens a broken stream later with a new ticket (the spent one is never shown again) and says when it is live again', async () => {
    vi.useFakeTimers();
    try {
      FakeEventSource.instances = [];
      const client = createHttpClient({
        fetch: ticketServer() as never,
        EventSource: FakeEventSource as never,
        reconnectMs: 1000,
        accessKey: pageAt('http://x/?token=s3cret').accessKey,
      });
      const states: [string, boolean][] = [];
      client.onConnection((state, reconnected) => states.push([state, reconnected]));
      client.on('message', () => {});
      await vi.advanceTimersByTimeAsync(0);
      const first = FakeEventSource.instances[0]!;
      first.emit('open');
      // The browser would retry by itself (readyState CONNECTING) with the spent ticket: closed instead.
      first.emit('error');
      expect(first.closed).toBe(true);
      await vi.advanceTimersByTimeAsync(1000);
      expect(FakeEventSource.instances).toHaveLength(2);
      expect(FakeEventSource.instances[1]!.url).toBe('api/events?ticket=t2');
      FakeEventSource.instances[1]!.emit('open');
      expect(states).toEqual([
        ['connecting', false],
        ['live', false],
        ['lost', false],
        ['live', true],
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('frames of Trickle’s own pages', () => {
  it('get a one-use preview ticket in a browser, and their plain address in the desktop window', async () => {
    const server = ticketServer2();
    const http = createHttpClient({
      fetch: server as never,
      EventSource: FakeEventSource as never,
      accessKey: pageAt('http://x/?token=s3cret').accessKey,
    });
    expect(await http.frameUrl('preview?campaign=3&message=9')).toBe('preview?campaign=3&message=9&ticket=p1');
    expect(JSON.parse(String((server.mock.calls[0] as unknown as [string, RequestInit])[1].body))).toEqual({ for: 'preview' });
    const ipc = createIpcClient({ invoke: async () => ({ ok: true, value: null }), on: () => () => {} });
    expect(await ipc.frameUrl('preview?campaign=3')).toBe('preview?campaign=3');
    // No ticket (the token was refused): no address, and the page says it is not signed in.
    const refused = createHttpClient({
      fetch: (async () => jsonResponse(401, { ok: false, error: { code: 'unauthorized', message: 'x' } })) as never,
      EventSource: FakeEventSource as never,
    });
    const seen = vi.fn();
    refused.onUnauthorized(seen);
    expect(await refused.frameUrl('preview?campaign=3')).toBeUndefined();
    expect(seen).toHaveBeenCalled();
  });

  function ticketServer2() {
    return vi.fn(async () => jsonResponse(200, { ok: true, value: { ticket: 'p1', expiresInSeconds: 60 } }));
  }
});

describe('errors next to their field', () => {
  it('drops the engine’s “field: ” prefix', () => {
    const error = { code: 'invalid_input', field: 'appPassword', message: 'appPassword: A Gmail app password is 16 letters.' };
    expect(messageForField(error)).toBe('A Gmail app password is 16 letters.');
    expect(fieldError(error, 'appPassword')).toBe('A Gmail app password is 16 letters.');
    expect(fieldError(error, 'email')).toBeUndefined();
    expect(serverLine('5.1.1', '550 5.1.1 No such user')).toBe('550 5.1.1 No such user');
    expect(serverLine('ETIMEDOUT', 'Timed out')).toBe('ETIMEDOUT Timed out');
  });
});

describe('recipients files', () => {
  const encodeUtf16 = (text: string, bigEndian: boolean) => {
    const bytes = [bigEndian ? 0xfe : 0xff, bigEndian ? 0xff : 0xfe];
    for (const ch of text) {
      const code = ch.charCodeAt(0);
      bytes.push(...(bigEndian ? [code >> 8, code & 0xff] : [code & 0xff, code >> 8]));
    }
    return new Uint8Array(bytes).buffer;
  };

  it('decodes UTF-8 (BOM dropped) and UTF-16 with a BOM', () => {
    const utf8 = new TextEncoder().encode('\ufeffemail,name\nzoë@example.org,Zoë\n');
    expect(decodeText(utf8.buffer)).toBe('email,name\nzoë@example.org,Zoë\n');
    expect(decodeText(encodeUtf16('email;naam\nann@x.nl;Ann', false))).toBe('email;naam\nann@x.nl;Ann');
    expect(decodeText(encodeUtf16('email\nbob@x.de', true))).toBe('email\nbob@x.de');
  });

  it('finds the columns, the delimiter and the address column', () => {
    const shape = inspectCsv('Naam;E-mail adres;Notes\n"Ann";ann@example.nl;"two\nlines"\nBob;bob@example.nl;\n\n');
    expect(shape).toMatchObject({ delimiter: ';', columns: ['Naam', 'E-mail adres', 'Notes'], rows: 2, likelyEmailColumn: 'E-mail adres' });
    expect(shape?.detectedEmailColumn).toBeUndefined();
    expect(inspectCsv('First Name,Email\nA,a@b.co\n')?.detectedEmailColumn).toBe('Email');
    expect(inspectCsv('ann@example.org,Ann\n')?.headerLooksLikeData).toBe(true);
    expect(normalizeFieldName(' First Name ')).toBe('first_name');
  });

  it('reads pasted text as a list of addresses or as CSV', () => {
    expect(classifyPaste('ann@x.org\nbob@y.org, cy@z.org\n')).toEqual({ kind: 'list', emails: ['ann@x.org', 'bob@y.org', 'cy@z.org'] });
    expect(classifyPaste('email,first_name\nann@x.org,Ann')).toMatchObject({ kind: 'csv', shape: { columns: ['email', 'first_name'] } });
    expect(classifyPaste('   ')).toBeUndefined();
  });
});

describe('times and routes', () => {
  it('counts down in words', () => {
    expect(countdown(10_000, 0)).toBe('in 10 s');
    expect(countdown(125_000, 0)).toBe('in 2 min 05 s');
    expect(countdown(0, 5)).toBe('now');
  });

  it('says today/tomorrow for near times, a weekday within the week', () => {
    const now = new Date(2026, 2, 10, 9, 0); // a Tuesday
    expect(when(new Date(2026, 2, 10, 14, 20), now)).toMatch(/^\S+ (14:20|02:20\s?PM)$/);
    expect(when(new Date(2026, 2, 10, 14, 20), now)).not.toBe(when(new Date(2026, 2, 11, 14, 20), now));
    expect(when(undefined, now)).toBe('—');
  });

  it('parses hash routes', () => {
    expect(parseHash('')).toEqual({ page: 'progress' });
    expect(parseHash('#/campaigns/12')).toEqual({ page: 'campaign', id: 12 });
    expect(parseHash('#/campaigns/12/edit')).toEqual({ page: 'campaign-edit', id: 12 });
    expect(parseHash('#/campaigns/new')).toEqual({ page: 'campaign-new' });
    expect(parseHash('#/accounts')).toEqual({ page: 'accounts' });
    expect(parseHash('#/nope')).toEqual({ page: 'not-found', path: 'nope' });
  });
});
