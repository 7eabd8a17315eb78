import { EngineError } from '../core/errors';

/**
 * SQLite's own failures that a person can do something about, in words. Every write is one
 * transaction, so when one of these is thrown nothing was changed; the message says so.
 */
export function storageError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error;
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC') {
    return new EngineError(
      'storage_full',
      'Trickle could not save this: the disk is full (or the database reached its size limit). Nothing was changed. Free some disk space, then try again.',
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new EngineError(
      'storage_busy',
      'Trickle could not save this: another program is holding its database. Nothing was changed. Close that program (or wait a moment), then try again.',
    );
  }
  return error;
}

/** The same methods, each throwing storage failures as the EngineErrors above. */
export function withStorageErrors<T extends Record<string, (...args: never[]) => Promise<unknown>>>(methods: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(methods)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await method(...args);
      } catch (error) {
        throw storageError(error);
      }
    };
  }
  return wrapped as T;
}
