import { EngineError, type EngineErrorCode } from '../core/errors';

/** What went wrong with the disk or the database file, as far as a person can act on it. */
export type StorageProblem = 'full' | 'busy' | 'read_only' | 'damaged' | 'disk_error';

/**
 * The problem behind an error from SQLite or the file system, if it is one of them. SQLite's
 * extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED…) start with the primary one.
 */
export function storageProblem(error: unknown): StorageProblem | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return 'read_only';
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')) return 'damaged';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'disk_error';
  return undefined;
}

const CODES: Record<StorageProblem, EngineErrorCode> = {
  full: 'storage_full',
  busy: 'storage_busy',
  read_only: 'storage_read_only',
  damaged: 'storage_damaged',
  disk_error: 'storage_failed',
};

/**
 * For an operation the user asked for (import, queue, edit…). Every write is one transaction
 * (an import is hidden until complete and removed when cut short), so when one of these is
 * thrown nothing was changed; the message says so.
 */
const SAVE_SENTENCES: Record<StorageProblem, string> = {
  full: 'Trickle could not save this: the disk is full (or the database reached its size limit). Nothing was changed. Free some disk space, then try again.',
  busy: 'Trickle could not save this: another program is holding its database. Nothing was changed. Close that program (or wait a moment), then try again.',
  read_only:
    'Trickle could not save this: its database cannot be written (the file or its folder is read-only, or the disk is mounted read-only). Nothing was changed. Make the data folder writable again, then try again.',
  damaged:
    'Trickle could not read or save this: its database file is damaged. Nothing was changed. Quit Trickle, keep a copy of the data folder, and restore it from a backup.',
  disk_error:
    'Trickle could not save this: the disk reported an error (CODE) while reading or writing its database. Nothing was changed. Check the disk (is it still connected? does it report errors?), then try again.',
};

/**
 * For the sending status, after a batch stopped on one: what happened to sending, that what
 * was being sent is kept (a message handed over is settled as in doubt, the rest go back to
 * the queue, before the next batch), and whether sending resumes by itself.
 */
const SENDING_SENTENCES: Record<StorageProblem, string> = {
  full: 'The disk is full: Trickle stopped sending, because it could not record what it sends. Nothing is lost. Free some disk space; sending resumes by itself.',
  busy: 'Sending waits: another program is holding its database, so Trickle cannot record what it sends. Nothing is lost. Close that program (or wait a moment); sending resumes by itself.',
  read_only:
    'Trickle stopped sending: its database cannot be written (the file or its folder is read-only, or the disk is mounted read-only), so it could not record what it sends. Nothing is lost. Make the data folder writable again; sending resumes by itself.',
  damaged:
    'Trickle stopped sending: its database file is damaged. Quit Trickle, keep a copy of the data folder, and restore it from a backup before sending again.',
  disk_error:
    'Trickle stopped sending: the disk reported an error (CODE) while reading or writing its database. Check the disk (is it still connected? does it report errors?); sending resumes by itself once it works.',
};

/** SQLite's or the disk's failure as an EngineError in words; any other error as it is. */
export function storageError(error: unknown): unknown {
  if (error instanceof EngineError) return error;
  const problem = storageProblem(error);
  if (!problem) return error;
  return new EngineError(CODES[problem], withCode(SAVE_SENTENCES[problem], error));
}

/**
 * Why sending stopped, for the sending status (the window's top bar), from the error as thrown
 * (before storageError): a storage failure is named; an EngineError thrown on purpose keeps
 * its own sentence (storage_failed says to restart); anything else points to the log.
 */
export function sendingStoppedReason(error: unknown): string {
  const problem = error instanceof EngineError ? undefined : storageProblem(error);
  if (problem) return withCode(SENDING_SENTENCES[problem], error);
  if (error instanceof EngineError) return error.message;
  return 'The last batch stopped on an unexpected error (see the log); Trickle tries again at the next batch.';
}

/** A disk error's own code (SQLITE_IOERR_WRITE, EIO) in its sentence, for whoever checks the disk. */
function withCode(sentence: string, error: unknown): string {
  return sentence.replace('CODE', String((error as { code?: unknown }).code));
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
