import { closeSync, fdatasync, openSync, realpathSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { sql } from 'kysely';
import { EngineError } from '../core/errors';
import type { Db } from './schema';

/**
 * Makes commits durable without holding the event loop for the disk. A transaction run with
 * `unsyncedTransaction` is written to the WAL (so another connection, or this process after a
 * kill, sees it) but not flushed; `durable()` then flushes the WAL file in libuv's thread pool,
 * and resolves once everything committed before the call is on disk, as a FULL commit would
 * be. Requests made while a flush runs share the next one (group commit).
 *
 * Why this is safe: SQLite's WAL is append-ordered and checksummed, and with
 * `synchronous = NORMAL` it stays consistent after a power cut, losing at most the newest
 * unflushed commits. fdatasync works on the file, not the descriptor, so flushing our own
 * descriptor of the WAL covers the frames SQLite wrote through its own. SQLite takes no locks
 * on the WAL file, and ours is closed only after the connection, so SQLite's locks are safe.
 * The descriptor is opened read-write: Windows flushes only a handle that may write.
 *
 * A failed flush is final for this WalSync: on Linux a later fdatasync can succeed although the
 * failed pages were dropped, so nothing afterwards could be trusted to be on disk. Every later
 * call fails with `storage_failed` until the engine is restarted (SQLite then reads the WAL
 * back, and the start-up recovery settles what was in flight).
 */
export class WalSync {
  private fd: number | undefined;

  /** @internal For fault tests only: the WAL's file descriptor, to make the next flush fail for real. */
  get descriptorForTests(): number | undefined {
    return this.fd;
  }

  /** @internal For fault tests only. */
  set descriptorForTests(fd: number | undefined) {
    this.fd = fd;
  }
  /** Flushes of the WAL started so far (the bench reports the send path's durable writes with it). */
  flushes = 0;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private closed = false;
  private failed: EngineError | undefined;

  /** `walFile` is undefined for an in-memory database: nothing to flush. */
  constructor(private readonly walFile: string | undefined) {}

  /** The WAL file of the database at `databaseFile`: beside the file a symlink points to, as SQLite puts it. */
  static forDatabase(databaseFile: string): WalSync {
    if (databaseFile === ':memory:' || databaseFile === '') return new WalSync(undefined);
    const real = realpathSync(databaseFile);
    return new WalSync(join(dirname(real), `${basename(real)}-wal`));
  }

  durable(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    // Closed: the connection's own close checkpointed and synced everything.
    if (this.walFile === undefined || this.closed) return Promise.resolve();
    // Frames written before this call may have missed a flush already running: they get the next.
    if (this.running) {
      this.next ??= this.running.then(() => this.flushNow());
      return this.next;
    }
    return this.flushNow();
  }

  /** After the database connection is closed; waits for a flush in flight, which uses the descriptor. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
    const fd = this.fd;
    this.fd = undefined;
    // A descriptor the OS already dropped must not make shutting down fail.
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {}
    }
  }

  private flushNow(): Promise<void> {
    this.next = undefined;
    this.flushes++;
    const flush = new Promise<void>((resolve, reject) => {
      // Opened on first use: SQLite creates the WAL with the connection's first transaction.
      this.fd ??= openSync(this.walFile!, 'r+');
      fdatasync(this.fd, (error) => {
        if (!error) return resolve();
        this.failed ??= new EngineError(
          'storage_failed',
          `Trickle could not make sure its records reached the disk (${error.code ?? error.message}). Sending has stopped so that no message can be sent twice; what was being sent is kept. Check the disk (space, errors), then restart Trickle.`,
        );
        reject(this.failed);
      });
    });
    // Tracks the flush in flight; never rejects (the caller of durable() gets the error).
    const settled = flush.then(
      () => undefined,
      () => undefined,
    );
    this.running = settled;
    void settled.then(() => {
      if (this.running === settled) this.running = undefined;
    });
    return flush;
  }
}

/**
 * A transaction on this connection committed with `synchronous = NORMAL`: written to the WAL,
 * not flushed (see WalSync). The connection's own setting (FULL) is restored after it.
 */
export async function unsyncedTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`pragma synchronous = normal`.execute(connection);
    try {
      return await connection.transaction().execute(work);
    } finally {
      await sql`pragma synchronous = full`.execute(connection);
    }
  });
}
