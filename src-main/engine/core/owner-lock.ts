import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { EngineError } from './errors';

/**
 * Only one running engine may own a database: its start-up recovery settles every message left
 * in `sending`, which would wreck another live engine's batch (and let it send them twice).
 *
 * The lock is an operating-system file lock, held through a tiny SQLite file beside the database
 * (`trickle.sqlite.owner`): the owner keeps a write transaction open on it (SQLite's RESERVED
 * lock) for as long as it runs. The kernel drops the lock when the process dies, even on SIGKILL
 * or a power cut, so a restart after a crash takes it at once, and a reused process id can never
 * keep it. SQLite also tracks its locks per file inside one process, so two engines in the same
 * process exclude each other too. Who holds it (process id, host, since when) is written in the
 * file for the refusal message; it is informative only, the lock itself decides.
 *
 * A file beside the database can be deleted while its lock is held (a user clearing a "stale
 * lock", a sync tool): the next engine then locks a new file. So the lock is only half of the
 * exclusion: the other half is the lease kept in the database (db/owner-lease.ts), which
 * records which file (`fileId`) its holder locked.
 */
export class OwnerLock {
  private constructor(
    private connection: BetterSqlite3.Database | undefined,
    private readonly key: string,
    /** The locked file's identity (device:inode): a newcomer that locks the same file knows its holder is gone. */
    readonly fileId: string,
  ) {}

  /**
   * Takes the lock, or throws `already_running` naming the process that has it. `alive` tells
   * whether the taking engine still works (its database is open): an engine of this process
   * whose database was closed under it, without stop(), died as in a crash and holds nothing.
   */
  static acquire(file: string, now: number, alive: () => boolean): OwnerLock {
    const key = resolve(file);
    const holder = heldInProcess.get(key);
    if (holder && !holder.alive()) holder.lock.release();
    createPrivately(file);
    // timeout 0: a held lock answers SQLITE_BUSY at once instead of waiting.
    const connection = new BetterSqlite3(file, { timeout: 0 });
    try {
      connection.pragma('journal_mode = DELETE');
      // What is written here is only a label: no fsync needed.
      connection.pragma('synchronous = OFF');
      takeLock(connection);
      connection.exec('create table if not exists owner (pid integer not null, host text not null, since integer not null)');
      connection.exec('delete from owner');
      connection.prepare('insert into owner (pid, host, since) values (?, ?, ?)').run(process.pid, hostname(), now);
      // Commit the label so others can read it, then take the lock again at once. Another engine
      // starting in this instant may take it first: then it owns the data and this one refuses.
      connection.exec('commit');
      takeLock(connection);
      const lock = new OwnerLock(connection, key, fileIdentity(file));
      heldInProcess.set(key, { lock, alive });
      return lock;
    } catch (error) {
      // Busy anywhere (even reading, while the owner commits its label): someone else has it.
      const refusal = isBusy(error) ? alreadyRunning(readOwner(connection)) : error;
      if (connection.inTransaction) connection.exec('rollback');
      connection.close();
      throw refusal;
    }
  }

  get held(): boolean {
    return this.connection !== undefined;
  }

  release(): void {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    if (heldInProcess.get(this.key)?.lock === this) heldInProcess.delete(this.key);
    if (connection.inTransaction) connection.exec('rollback');
    connection.close();
  }
}

/** The locks engines of this process hold, by file, with whether their engine still works. */
const heldInProcess = new Map<string, { lock: OwnerLock; alive: () => boolean }>();

/**
 * Creates the file readable by its owner only (SQLite would create it as the umask says). Never
 * opens an existing one: closing a descriptor of a file drops every POSIX lock this process
 * holds on it, including those of another engine's SQLite connection.
 */
function createPrivately(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch {
    // It exists (or cannot be made: opening it below says why, in SQLite's terms).
  }
  try {
    chmodSync(file, 0o600);
  } catch {}
}

/** Device and inode: the same file, whatever its name now. */
function fileIdentity(file: string): string {
  const stat = statSync(file, { bigint: true });
  return `${stat.dev}:${stat.ino}`;
}

/** Takes SQLite's RESERVED lock on the file and keeps it: SQLITE_BUSY at once if another has it. */
function takeLock(connection: BetterSqlite3.Database): void {
  connection.exec('begin immediate');
}

function isBusy(error: unknown): boolean {
  return String((error as { code?: unknown } | null)?.code ?? '').startsWith('SQLITE_BUSY');
}

interface Owner {
  pid: number;
  host: string;
}

function readOwner(connection: BetterSqlite3.Database): Owner | undefined {
  try {
    return connection.prepare('select pid, host from owner limit 1').get() as Owner | undefined;
  } catch {
    // The other engine is between creating the file and writing its label.
    return undefined;
  }
}

function alreadyRunning(owner: Owner | undefined): EngineError {
  const who = !owner ? 'another process' : owner.host === hostname() ? `process ${owner.pid}` : `process ${owner.pid} on ${owner.host}`;
  return new EngineError(
    'already_running',
    `Trickle is already running on this data folder (${who}). Close it first.`,
    owner ? { pid: owner.pid, host: owner.host } : undefined,
  );
}
