import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import BetterSqlite3 from 'better-sqlite3';
import type { Db } from './schema';
import type { OwnerLeaseTable } from './schema';
import { unsyncedTransaction } from './wal-sync';
import { EngineError } from '../core/errors';

/**
 * The second half of "one engine per database" (the first is the lock file, owner-lock.ts): a
 * lease kept in the database itself, which no deletion of the files beside it can reach.
 *
 * The engine that sends writes one row (`owner_lease`): a random session name, its process and
 * host, the identity (device:inode) of the lock file it has locked, and a heartbeat it renews
 * every LEASE_HEARTBEAT_MS. A newcomer first takes the lock file's OS lock, then reads the lease
 * in a write transaction and takes it only when its holder provably cannot send any more:
 *
 * - no lease, or one released by a clean stop;
 * - the holder's lock was on the very file the newcomer has now locked: the kernel released it,
 *   so the holder is dead (a crash or SIGKILL: the restart takes over at once, as before);
 * - the lock file was replaced (deleted, recreated), so the lock proves nothing: the holder may
 *   still run. Only a heartbeat older than LEASE_STALE_MS lets the newcomer in; otherwise it is
 *   refused with `already_running`, and told when to try again if the holder is really gone.
 *
 * A holder that was only frozen (stopped, or starved of its heartbeat) may wake after it lost
 * the lease. So the lease is also a fence: every claim and every commit of the send path checks,
 * in its own transaction, that this engine still holds the lease, and stops otherwise. Writes are
 * serialised by SQLite, so once the newcomer has committed its takeover, the old holder can
 * neither claim, nor mark a message as started (which comes before every handover), nor record
 * anything: the newcomer's recovery can settle everything it finds in flight.
 */

/** How often the holder renews its heartbeat (one small unsynced commit). */
export const LEASE_HEARTBEAT_MS = 15_000;
/** A heartbeat this old, behind a replaced lock file, means the holder is gone. */
export const LEASE_STALE_MS = 60_000;

export type LeaseRow = OwnerLeaseTable;

/** Why the lease could be taken, or for how long yet its holder must be presumed alive. */
export type LeaseVerdict = { take: 'new' | 'released' | 'lock-released' | 'stale' } | { refuse: { waitMs: number } };

/**
 * Whether a newcomer that holds the lock file `lockFile` (its device:inode) may take `lease`.
 * Pure: the rules in the file's comment.
 */
export function judgeLease(lease: LeaseRow | undefined, lockFile: string, now: number, staleMs: number): LeaseVerdict {
  if (!lease) return { take: 'new' };
  if (lease.released_at !== null) return { take: 'released' };
  if (lease.lock_file === lockFile) return { take: 'lock-released' };
  const age = now - lease.heartbeat_at;
  // A heartbeat from the future (the clock was set back) proves nothing either way: wait it out.
  if (age >= staleMs) return { take: 'stale' };
  return { refuse: { waitMs: staleMs - Math.max(0, age) } };
}

export class OwnerLease {
  /** This engine's run, as the lease names it. */
  readonly session = randomBytes(12).toString('base64url');
  private lostTo: EngineError | undefined;

  constructor(
    private readonly db: Db,
    private readonly staleMs: number = LEASE_STALE_MS,
  ) {}

  /** Set once another engine has taken the lease from this one. */
  get lost(): EngineError | undefined {
    return this.lostTo;
  }

  /**
   * In one write transaction: takes the lease, or throws `already_running` when its holder may
   * still be sending. `lockFile` is the identity of the lock file this engine holds.
   */
  async take(lockFile: string, now: number): Promise<{ verdict: LeaseVerdict; previous?: LeaseRow }> {
    return this.db.transaction().execute(async (trx) => {
      const lease = await trx.selectFrom('owner_lease').selectAll().where('id', '=', 1).executeTakeFirst();
      const verdict = judgeLease(lease, lockFile, now, this.staleMs);
      if ('refuse' in verdict) throw stillRunning(lease!, verdict.refuse.waitMs);
      const row = {
        session: this.session,
        pid: process.pid,
        host: hostname(),
        lock_file: lockFile,
        taken_at: now,
        heartbeat_at: now,
        released_at: null,
      };
      await trx
        .insertInto('owner_lease')
        .values({ id: 1, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
      return { verdict, ...(lease ? { previous: lease } : {}) };
    });
  }

  /**
   * Renews the heartbeat. Unsynced: a heartbeat lost to a power cut costs nothing (the lock file
   * is gone with the process anyway). Returns false once another engine holds the lease.
   */
  async beat(now: number): Promise<boolean> {
    if (this.lostTo) return false;
    const renewed = await unsyncedTransaction(this.db, (trx) =>
      trx
        .updateTable('owner_lease')
        .set({ heartbeat_at: now })
        .where('id', '=', 1)
        .where('session', '=', this.session)
        .where('released_at', 'is', null)
        .returning('id')
        .executeTakeFirst(),
    );
    if (renewed) return true;
    this.lose(await this.db.selectFrom('owner_lease').selectAll().where('id', '=', 1).executeTakeFirst());
    return false;
  }

  /** The fence, inside the caller's write transaction: throws once this engine no longer holds the lease. */
  async assertHeld(trx: Db): Promise<void> {
    if (this.lostTo) throw this.lostTo;
    const lease = await trx
      .selectFrom('owner_lease')
      .select(['session', 'released_at', 'pid', 'host'])
      .where('id', '=', 1)
      .executeTakeFirst();
    if (lease?.session === this.session && lease.released_at === null) return;
    throw this.lose(lease);
  }

  /** A clean stop: the next engine may take over at once, whatever became of the lock file. */
  async release(now: number): Promise<void> {
    if (this.lostTo) return;
    await this.db.updateTable('owner_lease').set({ released_at: now }).where('id', '=', 1).where('session', '=', this.session).execute();
  }

  private lose(lease: Pick<LeaseRow, 'pid' | 'host'> | undefined): EngineError {
    this.lostTo ??= new EngineError(
      'already_running',
      `Another Trickle (${who(lease)}) took over this data folder, because this one had given no sign of life for a while. ` +
        'This one has stopped sending so that no message goes out twice; close it (the other one carries on).',
      lease ? { pid: lease.pid, host: lease.host } : undefined,
    );
    return this.lostTo;
  }
}

function who(lease: Pick<LeaseRow, 'pid' | 'host'> | undefined): string {
  if (!lease) return 'another process';
  return lease.host === hostname() ? `process ${lease.pid}` : `process ${lease.pid} on ${lease.host}`;
}

/**
 * The lease a database file records, read without writing; undefined when there is none or the
 * file cannot be read (damaged, missing). A restore uses it: it must not replace the database of
 * an owner that may be running with its lock file deleted.
 */
export function readLease(databaseFile: string): LeaseRow | undefined {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(databaseFile, { readonly: true, fileMustExist: true });
    return db.prepare('select * from owner_lease where id = 1').get() as LeaseRow | undefined;
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

export function stillRunning(lease: LeaseRow, waitMs: number): EngineError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new EngineError(
    'already_running',
    `Trickle is already running on this data folder (${who(lease)}), although its lock file (trickle.sqlite.owner) was removed. ` +
      `Close it first. If it is not running any more (it was killed, or the computer restarted), start Trickle again in ${seconds} seconds.`,
    { pid: lease.pid, host: lease.host, retryAfterMs: waitMs },
  );
}
