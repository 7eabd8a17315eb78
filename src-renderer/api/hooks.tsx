/**
 * Data for the pages, through TanStack Query. Every query's key is `[method, args]`, so a
 * method's queries can be invalidated together. Data is refetched when the engine says
 * something changed (events, debounced), after the user's own actions, and — as a safety net
 * only — every 60 s. Nothing polls faster.
 */
import {
  QueryClient,
  QueryClientProvider,
  useQuery,
  useQueryClient,
  type UseQueryOptions,
  type UseQueryResult,
} from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import {
  type ApiArgs,
  type ApiMethodName,
  type ApiResult,
  type Connection,
  EVENT_NAMES,
  type Envelope,
  type TrickleClient,
} from './client';
import { ApiCallError, unwrap } from './errors';

const ClientContext = createContext<TrickleClient | null>(null);

export function useClient(): TrickleClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside <ApiProvider>');
  return client;
}

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        // A safety net in case an event was missed; events drive the real updates.
        refetchInterval: 60_000,
        refetchOnWindowFocus: true,
        retry: (count, error) => !(error instanceof ApiCallError && error.code !== 'unavailable') && count < 2,
      },
    },
  });
}

/** Which queries each engine event makes stale. */
const EVENT_INVALIDATES: Record<(typeof EVENT_NAMES)[number], ApiMethodName[]> = {
  status: ['sending.status'],
  batch: ['sending.status', 'batches.list', 'sending.history', 'campaigns.list', 'campaigns.get', 'campaigns.messages', 'accounts.list'],
  message: ['sending.status', 'campaigns.list', 'campaigns.get', 'campaigns.messages', 'accounts.list', 'sending.history'],
  account: ['accounts.list', 'sending.status'],
  campaign: ['campaigns.list', 'campaigns.get', 'campaigns.messages', 'sending.status'],
  // A look at a mailbox: its state, and what it found (bounces, replies, settled, outside sends).
  inbox: ['accounts.list', 'campaigns.list', 'campaigns.get', 'campaigns.messages', 'suppressions.list', 'sending.status'],
  bounces: ['campaigns.list', 'campaigns.get'],
};

const DEBOUNCE_MS = 300;
/** Under a steady stream of events, refresh at least this often. */
const MAX_WAIT_MS = 1500;

/** Subscribes to the engine's events once and turns them into debounced invalidations. */
function EventBridge({ client, queryClient }: { client: TrickleClient; queryClient: QueryClient }) {
  useEffect(() => {
    const pending = new Set<ApiMethodName>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let firstPendingAt = 0;
    const flush = () => {
      timer = undefined;
      firstPendingAt = 0;
      const methods = [...pending];
      pending.clear();
      for (const method of methods) void queryClient.invalidateQueries({ queryKey: [method] });
    };
    const schedule = (methods: ApiMethodName[]) => {
      for (const m of methods) pending.add(m);
      const now = Date.now();
      if (!firstPendingAt) firstPendingAt = now;
      if (timer) clearTimeout(timer);
      const wait = Math.max(0, Math.min(DEBOUNCE_MS, firstPendingAt + MAX_WAIT_MS - now));
      timer = setTimeout(flush, wait);
    };
    const offs = EVENT_NAMES.map((name) => client.on(name, () => schedule(EVENT_INVALIDATES[name])));
    // After the stream comes back, events may have been missed: refresh everything.
    const offConn = client.onConnection((state, reconnected) => {
      if (state === 'live' && reconnected) void queryClient.invalidateQueries();
    });
    return () => {
      if (timer) clearTimeout(timer);
      for (const off of offs) off();
      offConn();
    };
  }, [client, queryClient]);
  return null;
}

export function ApiProvider({ client, queryClient, children }: { client: TrickleClient; queryClient: QueryClient; children: ReactNode }) {
  return (
    <ClientContext.Provider value={client}>
      <QueryClientProvider client={queryClient}>
        <EventBridge client={client} queryClient={queryClient} />
        {children}
      </QueryClientProvider>
    </ClientContext.Provider>
  );
}

type QueryOpts<N extends ApiMethodName> = Omit<UseQueryOptions<ApiResult<N>, ApiCallError>, 'queryKey' | 'queryFn'>;

/** One API method's answer as a query, keyed `[name, args]`. */
export function useApi<N extends ApiMethodName>(
  name: N,
  args?: ApiArgs<N>,
  options?: QueryOpts<N>,
): UseQueryResult<ApiResult<N>, ApiCallError> {
  const client = useClient();
  return useQuery<ApiResult<N>, ApiCallError>({
    queryKey: [name, args ?? null],
    queryFn: async (): Promise<ApiResult<N>> => unwrap(await client.call(name, args)) as ApiResult<N>,
    ...options,
  });
}

/**
 * Calls a method for an action the user took; on success every query on screen is refreshed
 * at once (a handful: only the ones in use refetch), so no table of what each action changes
 * has to be kept beside the method table. Resolves with the envelope: the caller shows the
 * error where it belongs.
 */
export function useAction() {
  const client = useClient();
  const queryClient = useQueryClient();
  return useCallback(
    async <N extends ApiMethodName>(name: N, args?: ApiArgs<N>): Promise<Envelope<ApiResult<N>>> => {
      const envelope = await client.call(name, args);
      if (envelope.ok) {
        void queryClient.invalidateQueries();
      }
      return envelope;
    },
    [client, queryClient],
  );
}

/** An action with its own busy flag and last error, for a button or a form. */
export function useActionState() {
  const action = useAction();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiCallError | null>(null);
  const run = useCallback(
    async <N extends ApiMethodName>(name: N, args?: ApiArgs<N>): Promise<ApiResult<N> | undefined> => {
      setBusy(true);
      setError(null);
      try {
        const envelope = await action(name, args);
        if (envelope.ok) return envelope.value;
        setError(new ApiCallError(envelope.error));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [action],
  );
  return useMemo(() => ({ run, busy, error, setError }), [run, busy, error]);
}

export function useConnection(): Connection {
  const client = useClient();
  const [state, setState] = useState<Connection>('connecting');
  useEffect(() => client.onConnection((s) => setState(s)), [client]);
  return state;
}
