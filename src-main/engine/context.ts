import type { Clock } from './core/clock';
import type { Db } from './db/schema';
import type { WalSync } from './db/wal-sync';
import type { EngineEventBus } from './core/events';
import type { Mailer, RehearsalLog } from './smtp/mailer';
import type { SecretStore } from './core/secrets';

export { consoleLogger, type EngineLogger, silentLogger } from './core/log';
import type { EngineLogger } from './core/log';

/** What every engine room works with; built once by createEngine. */
export interface EngineContext {
  db: Db;
  /** Makes the send path's unsynced commits durable off the event loop. */
  walSync: WalSync;
  clock: Clock;
  secrets: SecretStore;
  mailer: Mailer;
  /** Where a rehearsal's messages are written instead of being sent. */
  rehearsals: RehearsalLog;
  events: EngineEventBus;
  log: EngineLogger;
  /**
   * The user's actions on a campaign still running (queue, edit, resume, cancel, retry), by
   * campaign: big ones run in slices, so the next one waits for the last (see oneAtATime).
   */
  campaignActions: Map<number, Promise<void>>;
  /** Sends quicker than this (ms, real time) let the send path's start marks run ahead (send-journal.ts). */
  quickSendMs: number;
  /** What the engine's scheduler is doing, for the forecasts (set by the engine). */
  sending: SendingState;
  /** The attachments store: the files the user gave, each named by its id (attachments.ts). */
  attachmentsDir: string;
  /** Campaigns being imported right now (still hidden): the clean-up of cut-short imports leaves them be. */
  importsInProgress: Set<number>;
  /** Bytes free on the database's disk, or undefined when it cannot be told (an in-memory database). */
  freeDiskBytes(): number | undefined;
  /**
   * Set once this engine owns the data folder (db/owner-lease.ts): claims, recovery and the
   * send path's commits call `assertHeld` in their transaction, which throws once another engine
   * has taken over, so nothing is claimed, marked as started (handed over) or settled after that.
   */
  owner?: { assertHeld(trx: Db): Promise<void> };
}

/** The scheduler's state that the forecasts need, owned by the engine object. */
export interface SendingState {
  /** The global pause is on. */
  paused(): boolean;
  /** The batch job's next tick (ms), or undefined when the scheduler is not running. */
  nextTickAt(): number | undefined;
  /** The retry job's next run (ms), or undefined when the scheduler is not running. */
  nextRetryAt(): number | undefined;
  /** Why the last batch failed (a storage error), until a batch runs through again. */
  batchFailure(): string | undefined;
}
