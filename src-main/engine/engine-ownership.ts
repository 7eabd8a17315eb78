import { iso } from './core/clock';
import type { EngineContext } from './context';
import type { EngineError } from './core/errors';
import { OwnerLock } from './core/owner-lock';
import { LEASE_HEARTBEAT_MS, LEASE_STALE_MS, OwnerLease } from './db/owner-lease';
import { storageError } from './db/storage-errors';

/**
 * Only the engine that owns the data folder sends: start() takes ownership, and so does the
 * first batch, retry or mailbox look run directly. Ownership is the lock file's OS lock and the
 * lease in the database (core/owner-lock.ts, db/owner-lease.ts), renewed by a heartbeat; an
 * engine another has taken over from notices it (`noticeLost`) and stops sending.
 */
export class Ownership {
  private ownerLock: OwnerLock | undefined;
  /** The lease in the database that makes this engine the owner (with the lock above). */
  private lease: OwnerLease | undefined;
  /** Taking ownership, while it is under way. */
  private owning: Promise<void> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private lostNoticed = false;

  constructor(
    private readonly ctx: EngineContext,
    /** The owner lock's file beside the database; none for an in-memory one (nothing to own). */
    private readonly ownerLockFile: string | undefined,
    private readonly options: { heartbeatMs?: number; staleMs?: number } | undefined,
    /** The database connection is still open. */
    private readonly databaseOpen: () => boolean,
    /** The engine is stopping: no heartbeat is renewed. */
    private readonly stopping: () => boolean,
    /** Told once, when another engine has taken over from this one. */
    private readonly onLost: (lost: EngineError) => void,
  ) {}

  /** Set once another engine has taken the data folder over from this one. */
  get lost(): EngineError | undefined {
    return this.lease?.lost;
  }

  /**
   * Takes the data folder's ownership, unless this engine has it already. Throws
   * `already_running` when another engine may be sending, or once another has taken over from
   * this one.
   */
  take(): Promise<void> {
    if (!this.ownerLockFile) return Promise.resolve();
    const lost = this.lease?.lost;
    if (lost) return Promise.reject(lost);
    if (this.lease && this.ownerLock?.held) return Promise.resolve();
    this.owning ??= this.acquireOwnership().finally(() => {
      this.owning = undefined;
    });
    return this.owning;
  }

  private async acquireOwnership(): Promise<void> {
    const now = this.ctx.clock.now();
    let lock: OwnerLock;
    try {
      lock = OwnerLock.acquire(this.ownerLockFile!, now, () => this.databaseOpen());
    } catch (error) {
      // The lock's file may not be writable either (a full disk): said in words.
      throw storageError(error);
    }
    const lease = new OwnerLease(this.ctx.db, this.options?.staleMs ?? LEASE_STALE_MS);
    try {
      const { verdict, previous } = await lease.take(lock.fileId, now);
      if ('take' in verdict && verdict.take === 'stale' && previous) {
        this.ctx.log.warn('took over the data folder from a Trickle that gave no sign of life', {
          pid: previous.pid,
          host: previous.host,
          lastSeen: iso(previous.heartbeat_at),
        });
      }
    } catch (error) {
      lock.release();
      throw error;
    }
    this.ownerLock = lock;
    this.lease = lease;
    // The fence: claims and the send path's commits check, in their transaction, that this engine still owns the folder.
    this.ctx.owner = lease;
    this.heartbeat = setInterval(() => void this.beat(), this.options?.heartbeatMs ?? LEASE_HEARTBEAT_MS);
    this.heartbeat.unref?.();
  }

  private async beat(): Promise<void> {
    const lease = this.lease;
    if (!lease || this.stopping() || !this.databaseOpen()) return;
    try {
      if (!(await lease.beat(this.ctx.clock.now()))) this.noticeLost();
    } catch (error) {
      this.ctx.log.warn('could not renew the data folder’s owner lease', { error: String(error) });
    }
  }

  /** Another engine took over (this one looked dead to it): the heartbeat stops, the engine is told once. */
  noticeLost(): void {
    const lost = this.lease?.lost;
    if (!lost || this.lostNoticed) return;
    this.lostNoticed = true;
    clearInterval(this.heartbeat);
    this.onLost(lost);
  }

  stopHeartbeat(): void {
    clearInterval(this.heartbeat);
  }

  /** Waits for a taking of ownership under way, whatever its outcome. */
  async settled(): Promise<void> {
    await this.owning?.catch(() => undefined);
  }

  /** Marks the lease released (a clean stop: the next engine takes over at once). Never throws. */
  async releaseLease(): Promise<void> {
    if (this.lease && this.databaseOpen()) await this.lease.release(this.ctx.clock.now()).catch(() => undefined);
  }

  /** Last, once nothing more is written: another engine may start on this folder. */
  releaseLock(): void {
    this.ownerLock?.release();
  }
}
