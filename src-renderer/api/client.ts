/**
 * The renderer's one API client (PRODUCT.md §6, ARCHITECTURE.md): the same `ApiClient` over
 * two transports, chosen once at start-up.
 *
 *  - IPC, in the Electron window: the preload bridge `window.trickle` forwards
 *    `invoke(name, args)` (answering with the envelope) and `on(event, listener)`.
 *  - HTTP, in a browser talking to headless mode: `POST api/<name>` with a JSON body answers
 *    with the envelope; live updates come through ONE shared `EventSource('api/events')`.
 *    URLs are relative, so the page works wherever it is served from. Authentication is the
 *    token the printed `/?token=…` link handed to this page (lib/access-key.ts), sent as an
 *    `Authorization: Bearer` header — never a cookie, which every server on 127.0.0.1 would
 *    receive. The EventSource and the preview frame cannot send a header: each gets a one-use
 *    ticket (`POST api/ticket`, with the header) in its URL.
 *
 * Only types are imported from src-main (a test enforces it): the renderer never bundles
 * engine code.
 */
import type {
  ApiArgs,
  ApiClient,
  ApiError,
  ApiEventName,
  ApiEvents,
  ApiMethodName,
  ApiResult,
  Envelope,
} from '../../src-main/api/contract';
import type { TrickleBridge } from '../../src-main/preload/index';
import { EVENT_NAMES } from '../../src-shared/events';
import { type AccessKey, accessKeyFromAddress, browserStorage } from '../lib/access-key';
import { jsonBody } from './json-body';

export type { ApiArgs, ApiError, ApiEventName, ApiEvents, ApiMethodName, ApiResult, Envelope };

export { EVENT_NAMES };

/** Whether live updates are arriving: shown discreetly in the window when they are not. */
export type Connection = 'connecting' | 'live' | 'lost';

export interface TrickleClient extends ApiClient {
  readonly transport: 'ipc' | 'http';
  /** Called once when the server says the access token is missing or wrong (HTTP only). */
  onUnauthorized(listener: () => void): () => void;
  /** Live-update connection state; `reconnected` fires after the stream came back (events may have been missed). */
  onConnection(listener: (state: Connection, reconnected: boolean) => void): () => void;
  /**
   * The address for a frame showing one of Trickle's own pages (`preview?…`): as is in the
   * desktop window; with a one-use ticket in a browser. Undefined when none can be had.
   */
  frameUrl(path: string): Promise<string | undefined>;
}

type Listener = (payload: unknown) => void;

class Signals {
  private unauthorized = new Set<() => void>();
  private connection = new Set<(state: Connection, reconnected: boolean) => void>();
  state: Connection = 'connecting';
  wasUnauthorized = false;

  onUnauthorized(listener: () => void): () => void {
    this.unauthorized.add(listener);
    if (this.wasUnauthorized) listener();
    return () => this.unauthorized.delete(listener);
  }
  fireUnauthorized(): void {
    if (this.wasUnauthorized) return;
    this.wasUnauthorized = true;
    for (const l of this.unauthorized) l();
  }
  onConnection(listener: (state: Connection, reconnected: boolean) => void): () => void {
    this.connection.add(listener);
    listener(this.state, false);
    return () => this.connection.delete(listener);
  }
  setConnection(state: Connection, reconnected = false): void {
    this.state = state;
    for (const l of this.connection) l(state, reconnected);
  }
}

function failure(code: string, message: string): Envelope<never> {
  return { ok: false, error: { code, message } };
}

function isEnvelope(value: unknown): value is Envelope<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; error?: unknown };
  if (v.ok === true) return 'value' in v;
  return v.ok === false && typeof v.error === 'object' && v.error !== null;
}

const NOT_ANSWERING = 'Trickle is not answering. Check that it is still running, then try again.';

// ---------------------------------------------------------------------------------------
// IPC (Electron window)

export function createIpcClient(bridge: TrickleBridge): TrickleClient {
  const signals = new Signals();
  signals.state = 'live';
  const invokeRaw = async (name: string, args?: unknown): Promise<Envelope<unknown>> => {
    try {
      const answer = await bridge.invoke(name, args);
      if (isEnvelope(answer)) return answer;
      return failure('bad_answer', 'Trickle gave an answer this window does not understand. Restart Trickle.');
    } catch {
      return failure('unavailable', NOT_ANSWERING);
    }
  };
  return {
    transport: 'ipc',
    call: (name, args) => invokeRaw(name, args) as never,
    on(event, listener) {
      return bridge.on(event, listener as Listener);
    },
    onUnauthorized: (l) => signals.onUnauthorized(l),
    onConnection: (l) => signals.onConnection(l),
    frameUrl: async (path) => path,
  };
}

// ---------------------------------------------------------------------------------------
// HTTP + Server-Sent Events (browser, headless mode)

export interface HttpOptions {
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
  /** Base for the relative URLs; default '' (relative to the page). */
  base?: string;
  /** How long to wait before opening the event stream again after it closed. */
  reconnectMs?: number;
  /** The access token this page was given (none: requests go without, and are refused). */
  accessKey?: AccessKey;
}

export function createHttpClient(options: HttpOptions = {}): TrickleClient {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const ES = options.EventSource ?? (typeof EventSource === 'undefined' ? undefined : EventSource);
  const base = options.base ?? '';
  const reconnectMs = options.reconnectMs ?? 3000;
  const signals = new Signals();
  const listeners = new Map<string, Set<Listener>>();
  let source: EventSource | undefined;
  let everOpened = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  function dispatch(event: string, data: string): void {
    let payload: unknown = null;
    try {
      payload = data === '' ? null : JSON.parse(data);
    } catch {
      return;
    }
    for (const l of listeners.get(event) ?? []) l(payload);
  }

  /** A one-use ticket for a request that cannot carry the header; undefined when refused or unreachable. */
  async function ticket(use: 'events' | 'preview'): Promise<string | undefined> {
    const answer = await invokeRaw('ticket', { for: use });
    return answer.ok ? (answer.value as { ticket: string }).ticket : undefined;
  }

  let opening = false;
  function openStream(): void {
    if (!ES || source || opening || signals.wasUnauthorized) return;
    opening = true;
    void ticket('events').then((t) => {
      opening = false;
      if (source || signals.wasUnauthorized) return;
      if (t === undefined) return reopenLater();
      const es = new ES(`${base}api/events?ticket=${encodeURIComponent(t)}`);
      source = es;
      for (const name of EVENT_NAMES) es.addEventListener(name, (e) => dispatch(name, (e as MessageEvent<string>).data));
      es.addEventListener('open', () => {
        signals.setConnection('live', everOpened);
        everOpened = true;
      });
      es.addEventListener('error', () => {
        // The browser's own reconnection would present the spent ticket again: close, and
        // open a new stream with a new ticket.
        es.close();
        if (source === es) source = undefined;
        reopenLater();
      });
    });
  }

  function reopenLater(): void {
    signals.setConnection('lost');
    if (retryTimer !== undefined) return; // one retry waiting is enough
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      openStream();
    }, reconnectMs);
  }

  async function invokeRaw(name: string, args?: unknown): Promise<Envelope<unknown>> {
    let response: Response;
    const token = options.accessKey?.get();
    // A big text (a recipients file) is written as JSON by a worker, off the page's main thread.
    const body = await jsonBody(args);
    try {
      response = await doFetch(`${base}api/${name}`, {
        method: 'POST',
        // A small request outlives the page: an edit saved as the window closes still arrives
        // (browsers allow keepalive bodies up to 64 KB; a recipients file goes without it).
        keepalive: (typeof body === 'string' ? body.length : body.size) < 60_000,
        // No ambient credential: the token goes in the header, and only there.
        credentials: 'omit',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body,
      });
    } catch {
      return failure('unavailable', NOT_ANSWERING);
    }
    let answer: unknown;
    try {
      answer = await response.json();
    } catch {
      answer = undefined;
    }
    if (response.status === 401 || (isEnvelope(answer) && !answer.ok && answer.error.code === 'unauthorized')) {
      options.accessKey?.forget();
      signals.fireUnauthorized();
      return isEnvelope(answer) ? answer : failure('unauthorized', 'The access token is missing or wrong.');
    }
    if (isEnvelope(answer)) return answer;
    return failure(`http_${response.status}`, `Trickle answered with an error (HTTP ${response.status}). Try again.`);
  }

  const client: TrickleClient = {
    transport: 'http',
    call: (name, args) => invokeRaw(name, args) as never,
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      set.add(listener as Listener);
      openStream();
      return () => {
        set.delete(listener as Listener);
      };
    },
    onUnauthorized: (l) => signals.onUnauthorized(l),
    onConnection: (l) => signals.onConnection(l),
    async frameUrl(path) {
      const t = await ticket('preview');
      return t === undefined ? undefined : `${base}${path}${path.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(t)}`;
    },
  };
  return client;
}

/**
 * IPC when the preload bridge is there (the desktop window: no token, the bridge answers our
 * window only), HTTP otherwise (a browser), with the token the printed link gave this page.
 */
export function createApiClient(): TrickleClient {
  if (typeof window !== 'undefined' && window.trickle) return createIpcClient(window.trickle);
  return createHttpClient({ accessKey: accessKeyFromAddress(window.location, window.history, browserStorage()) });
}
