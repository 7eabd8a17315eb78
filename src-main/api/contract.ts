/**
 * The API contract, derived from the one method table (methods.ts): names, argument and
 * result types, the envelope, the events. The window imports these as types only.
 */
import type { z } from 'zod';
import { EVENT_NAMES } from '../../src-shared/events';
import type { EngineEvents } from '../../src-shared/events';
import { API_METHODS, type ApiMethods, type Door } from './methods';

export type ApiMethodName = keyof ApiMethods;

/** Every method name, whichever doors serve it. */
export const ALL_METHOD_NAMES = Object.keys(API_METHODS) as ApiMethodName[];

/** Whether `door` serves the method (a method without `doors` is served by both). */
export function servedBy(name: ApiMethodName, door: Door): boolean {
  const doors = (API_METHODS[name] as { doors?: readonly Door[] }).doors;
  return doors === undefined || doors.includes(door);
}

/** The methods both doors serve: the product's API (PRODUCT.md §6). */
export const API_METHOD_NAMES = ALL_METHOD_NAMES.filter((name) => servedBy(name, 'desktop') && servedBy(name, 'headless'));

/** What a caller passes to a method (before defaults and normalisation). */
export type ApiArgs<N extends ApiMethodName> = z.input<ApiMethods[N]['args']>;
/** What a method returns when it succeeds. */
export type ApiResult<N extends ApiMethodName> = Awaited<ReturnType<ApiMethods[N]['run']>>;

export interface ApiError {
  /** Stable: 'invalid_input', 'not_found', 'conflict', 'login_failed', 'unauthorized', … */
  code: string;
  /** A sentence for a person: what happened and what to do. */
  message: string;
  /** The argument the error is about, when it is about one. */
  field?: string;
  /** What the mail server answered, when the error comes from it (e.g. a refused login). */
  serverReply?: { code: string; response: string };
}

/** Every answer, over both doors. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Live updates: the engine's events, pushed over IPC or Server-Sent Events. */
export type ApiEvents = {
  [K in keyof EngineEvents]: EngineEvents[K][0] extends undefined ? null : EngineEvents[K] extends [infer P] ? P : null;
};
export type ApiEventName = keyof EngineEvents;
export const API_EVENT_NAMES: readonly ApiEventName[] = EVENT_NAMES;

/** The surface the renderer's client offers, whichever door it goes through. */
export interface ApiClient {
  call<N extends ApiMethodName>(name: N, args?: ApiArgs<N>): Promise<Envelope<ApiResult<N>>>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}
