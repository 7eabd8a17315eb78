import { closeSync, fdatasync, openSync } from 'node:fs';
import { sql } from 'kysely';
import type { Db } from './open-database';

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
 */
export class WalSync {
  private fd: number | undefined;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private closed = false;

  /** `walFile` is undefined for an in-memory database: nothing to flush. */
  constructor(private readonly walFile: string | undefined) {}

  durable(): Promise<void> {
    // Closed: the connection's own close checkpointed and synced everything.
    if (this.walFile === undefined || this.closed) return Promise.resolve();
    // Frames written before this call may have missed a flush already running: they get the next.
    if (this.running) return (this.next ??= this.running.then(() => this.flushNow()));
    return this.flushNow();
  }

  /** After the database connection is closed; waits for a flush in flight, which uses the descriptor. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private flushNow(): Promise<void> {
    this.next = undefined;
    const flush = new Promise<void>((resolve, reject) => {
      // Opened on first use: SQLite creates the WAL with the connection's first transaction.
      this.fd ??= openSync(this.walFile!, 'r');
      fdatasync(this.fd, (error) => (error ? reject(error) : resolve()));
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
