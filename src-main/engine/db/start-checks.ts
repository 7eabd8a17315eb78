import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { iso } from '../core/clock';
import { EngineError } from '../core/errors';
import { type Backup, checkFindings, latestGoodBackup, listBackups } from './backups';

/**
 * What can be wrong with the database when Trickle starts, found before anything is written to
 * it, and told in words with what to do. Storage errors while running are storage-errors.ts's.
 */

/** What a door can offer to put things right (headless: a flag; desktop: a button). */
export type StartRemedy = 'restore-backup' | 'replace-lost-key';

/** `details` of a start-up refusal that a door can act on. */
export interface StartRefusalDetails {
  remedy?: StartRemedy;
  /** The backup a restore would put back. */
  backup?: { file: string; takenAt: string };
  [key: string]: unknown;
}

/**
 * A database that is missing or empty (0 bytes) where Trickle has run before — the folder holds
 * backups, or the key to stored passwords — was lost (deleted, truncated, not synced back), not
 * never made: starting would create an empty one and forget every send of the last 24 hours, so
 * every cap. Refused with `database_missing`, before SQLite creates anything. Only `stat`s files:
 * opening one could drop SQLite's locks of another engine in this process.
 */
export function refuseLostDatabase(dataDir: string, databaseFile: string, keyFile: string | undefined): void {
  let size: number | undefined;
  try {
    size = statSync(databaseFile).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return; // opening it will say what is wrong
  }
  if (size !== undefined && size > 0) return;
  const backups = listBackups(dataDir);
  const hasKey = keyFile !== undefined && existsSync(keyFile);
  if (backups.length === 0 && !hasKey) return; // a new install
  const what = size === undefined ? 'is missing' : 'is empty (0 bytes)';
  const evidence =
    backups.length > 0
      ? `it holds ${backups.length === 1 ? 'a backup' : `${backups.length} backups`}`
      : 'it holds the key to stored app passwords';
  const latest = latestGoodBackup(dataDir);
  const todo = latest
    ? `Restore the latest backup (taken ${when(latest)}).`
    : `Put ${databaseFile} back from your own backup of this folder (or from where a sync tool moved it).`;
  throw new EngineError(
    'database_missing',
    `Trickle's database ${databaseFile} ${what}, although Trickle has been used in this folder before (${evidence}). ` +
      `Trickle did not start, so that it does not begin an empty database and forget what was sent (and every daily cap). ${todo} ` +
      `If you meant to start afresh, move the whole folder ${dataDir} away first.`,
    details(latest),
  );
}

/**
 * SQLite's quick_check on the open connection (a few tenths of a second per million messages):
 * structure, page use, and well-formed records. Throws `storage_damaged` with the first problems.
 */
export function checkIntegrity(sqlite: BetterSqlite3.Database): void {
  const rows = sqlite.pragma('quick_check(3)') as { quick_check: string }[];
  if (rows.length === 1 && rows[0]!.quick_check === 'ok') return;
  throw new DamageFound(checkFindings(rows.map((r) => r.quick_check)));
}

export class DamageFound extends Error {
  override readonly name = 'DamageFound';
}

/**
 * The error a failed start throws, in words: disk full, busy, read-only and damage each get
 * their own code and sentence, saying that nothing was changed and what to do. EngineErrors
 * pass through; anything else SQLite or the file system says is returned unchanged.
 */
export function startFailure(error: unknown, where: { dataDir: string; databaseFile: string }): unknown {
  if (error instanceof EngineError) return error;
  const code = errorCode(error);
  const folder = dirname(where.databaseFile);
  if (error instanceof DamageFound || code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    const latest = latestGoodBackup(where.dataDir);
    const what =
      code === 'SQLITE_NOTADB'
        ? 'is not a database (it was overwritten or replaced by another file)'
        : `is damaged (${error instanceof DamageFound ? `SQLite's check found: ${error.message}` : (error as Error).message})`;
    const todo = latest
      ? `Restore the latest backup (taken ${when(latest)}); the damaged file is kept beside it.`
      : `There is no usable backup in ${folder}/backups: restore ${where.databaseFile} from your own backup of this folder.`;
    return new EngineError(
      'storage_damaged',
      `Trickle could not start: its database ${where.databaseFile} ${what}. Nothing was changed. ${todo}`,
      details(latest),
    );
  }
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC' || code === 'SQLITE_IOERR_SHMSIZE') {
    return new EngineError(
      'storage_full',
      `Trickle could not start: the disk that holds its data (${folder}) is full. Nothing was changed. Free some space on that disk, then start Trickle again.`,
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new EngineError(
      'storage_busy',
      `Trickle could not start: another program is holding its database ${where.databaseFile} (a database browser, a backup or sync tool?). Nothing was changed. Close that program, or wait a moment, then start Trickle again.`,
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return new EngineError(
      'storage_readonly',
      `Trickle could not start: it cannot write to its database ${where.databaseFile} (the file, its folder or the disk is read-only, or belongs to another user). Nothing was changed. Make the folder ${folder} and the files in it writable by you, then start Trickle again.`,
    );
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') {
    return new EngineError(
      'storage_failed',
      `Trickle could not start: reading or writing its database ${where.databaseFile} failed (${code}): the disk may be failing, full, or no longer connected. Nothing was changed. Check the disk, then start Trickle again.`,
    );
  }
  return error;
}

/** SQLite's extended code (SQLITE_FULL…) or the file system's (ENOSPC…), also behind a migration's wrapper. */
function errorCode(error: unknown): string {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return '';
}

function when(backup: Backup): string {
  return `${iso(backup.takenAt)!.slice(0, 16).replace('T', ' ')} UTC`;
}

function details(latest: Backup | undefined): StartRefusalDetails | undefined {
  return latest ? { remedy: 'restore-backup', backup: { file: latest.file, takenAt: iso(latest.takenAt)! } } : undefined;
}
