import type { Engine } from '../engine/engine';
import { EngineError } from '../engine/core/errors';
import { parseInput } from '../engine/core/validation';
import { type ApiMethodName, apiArgs, type Envelope } from './contract';

export interface AppInfo {
  version: string;
  dataDir: string;
  /** Which door the caller came through: the desktop window shows desktop-only settings. */
  door: 'desktop' | 'headless';
}

/**
 * The one table binding each API name to the engine. Both doors serve it through `invoke`;
 * neither adds logic of its own.
 */
export function createApiHandlers(engine: Engine, info: Omit<AppInfo, 'dataDir'>) {
  return {
    'app.info': async (): Promise<AppInfo> => ({ ...info, dataDir: engine.dataDir }),
    'accounts.list': () => engine.accounts.list(),
    'accounts.add': (args: unknown) => engine.accounts.add(args),
    'accounts.update': (args: unknown) => engine.accounts.update(args),
    'accounts.remove': (args: unknown) => engine.accounts.remove(args),
    'accounts.verify': (args: unknown) => engine.accounts.verify(args),
    'campaigns.list': () => engine.campaigns.list(),
    'campaigns.create': (args: unknown) => engine.campaigns.create(args),
    'campaigns.get': (args: unknown) => engine.campaigns.get(args),
    'campaigns.update': (args: unknown) => engine.campaigns.update(args),
    'campaigns.queue': (args: unknown) => engine.campaigns.queue(args),
    'campaigns.pause': (args: unknown) => engine.campaigns.pause(args),
    'campaigns.resume': (args: unknown) => engine.campaigns.resume(args),
    'campaigns.cancel': (args: unknown) => engine.campaigns.cancel(args),
    'campaigns.retryFailed': (args: unknown) => engine.campaigns.retryFailed(args),
    'campaigns.resendInDoubt': (args: unknown) => engine.campaigns.resendInDoubt(args),
    'campaigns.messages': (args: unknown) => engine.campaigns.messages(args),
    'campaigns.testSend': (args: unknown) => engine.campaigns.testSend(args),
    'campaigns.preview': (args: unknown) => engine.campaigns.preview(args),
    'campaigns.export': (args: unknown) => engine.campaigns.export(args),
    'attachments.store': (args: unknown) => engine.attachments.store(args),
    'sending.status': () => engine.sending.status(),
    'sending.pause': () => engine.sending.pause(),
    'sending.resume': () => engine.sending.resume(),
    'sending.history': (args: unknown) => engine.history.sendsPerHour(args ?? {}),
    'batches.list': (args: unknown) => engine.batches.list(args ?? {}),
    'settings.get': () => engine.settings.get(),
    'settings.update': (args: unknown) => engine.settings.update(args),
    'suppressions.list': (args: unknown) => engine.suppressions.list(args ?? {}),
    'suppressions.add': (args: unknown) => engine.suppressions.add(args),
    'suppressions.remove': (args: unknown) => engine.suppressions.remove(args),
  } satisfies Record<ApiMethodName, (args: unknown) => Promise<unknown>>;
}

export type ApiHandlers = ReturnType<typeof createApiHandlers>;

export function isApiMethod(name: string): name is ApiMethodName {
  return Object.hasOwn(apiArgs, name);
}

/**
 * Validates the arguments against the contract, runs the method, and wraps the answer.
 * An unexpected error is logged and reported without its internals.
 */
export async function invoke(
  handlers: ApiHandlers,
  name: string,
  args: unknown,
  onUnexpected: (error: unknown, method: string) => void = () => {},
): Promise<Envelope<unknown>> {
  if (!isApiMethod(name)) {
    return { ok: false, error: { code: 'unknown_method', message: `There is no API method called “${name}”.` } };
  }
  try {
    parseInput(apiArgs[name], args ?? undefined);
  } catch (error) {
    return errorEnvelope(error, name, onUnexpected);
  }
  try {
    const handler = handlers[name] as (args: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(args) };
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
    return { ok: false, error: { code: error.code, message: error.message, ...(field ? { field } : {}), ...(serverReply ? { serverReply } : {}) } };
  }
  onUnexpected(error, method);
  return {
    ok: false,
    error: {
      code: 'internal',
      message:
        'Something went wrong inside Trickle and this request did not complete. Try again; if it keeps happening, restart Trickle.',
    },
  };
}
