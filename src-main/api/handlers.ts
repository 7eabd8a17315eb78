import { type Engine, EngineError } from '../engine';
import type { ApiMethodName, Envelope } from './contract';
import { servedBy } from './contract';
import { API_METHODS, type AppInfo, type DesktopServices, type MethodDeps } from './methods';

export type { AppInfo } from './methods';

/** The method table bound to one engine and one door: a name → the call, for the names that door serves. */
export type ApiHandlers = Partial<Record<ApiMethodName, (args: unknown) => Promise<unknown>>>;

/**
 * Binds the method table (methods.ts) to an engine, for one door. Both doors serve what this
 * returns through `invoke`; neither adds logic of its own. The desktop door passes its services.
 */
export function createApiHandlers(engine: Engine, info: Omit<AppInfo, 'dataDir'>, desktop?: DesktopServices): ApiHandlers {
  const deps: MethodDeps = { engine, info, desktop };
  const handlers: ApiHandlers = {};
  for (const name of Object.keys(API_METHODS) as ApiMethodName[]) {
    if (!servedBy(name, info.door)) continue;
    const spec = API_METHODS[name] as { run: (deps: MethodDeps, args: unknown) => Promise<unknown> };
    handlers[name] = (args: unknown) => spec.run(deps, args);
  }
  return handlers;
}

/**
 * Runs a method and wraps the answer. The arguments are checked by the operation itself (see
 * methods.ts); an unexpected error is logged and reported without its internals.
 */
export async function invoke(
  handlers: ApiHandlers,
  name: string,
  args: unknown,
  onUnexpected: (error: unknown, method: string) => void = () => {},
): Promise<Envelope<unknown>> {
  const handler = Object.hasOwn(handlers, name) ? handlers[name as ApiMethodName] : undefined;
  if (!handler) {
    return { ok: false, error: { code: 'unknown_method', message: `There is no API method called “${name}”.` } };
  }
  try {
    // A JSON `null` body means "no arguments", as an empty body does.
    return { ok: true, value: await handler(args ?? undefined) };
  } catch (error) {
    return errorEnvelope(error, name, onUnexpected);
  }
}

/** An engine error as the envelope's error; anything else logged and reported without its internals. */
export function errorEnvelope(error: unknown, method: string, onUnexpected: (error: unknown, method: string) => void): Envelope<never> {
  if (error instanceof EngineError) {
    const details = error.details ?? {};
    const field = typeof details.field === 'string' ? details.field : undefined;
    const serverReply =
      typeof details.code === 'string' && typeof details.response === 'string'
        ? { code: details.code, response: details.response }
        : undefined;
    return {
      ok: false,
      error: { code: error.code, message: error.message, ...(field ? { field } : {}), ...(serverReply ? { serverReply } : {}) },
    };
  }
  onUnexpected(error, method);
  return {
    ok: false,
    error: {
      code: 'internal',
      message: 'Something went wrong inside Trickle and this request did not complete. Try again; if it keeps happening, restart Trickle.',
    },
  };
}
