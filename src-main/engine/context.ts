import type { Clock } from './core/clock';
import type { Db } from './db/schema';
import type { WalSync } from './db/wal-sync';
import type { EngineEventBus } from './core/events';
import type { DryRunMailer, Mailer } from './smtp/mailer';
import type { SecretStore } from './core/secrets';

/** Where the engine reports what it does. Never given a password or message content. */
export interface EngineLogger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export const silentLogger: EngineLogger = { info() {}, warn() {}, error() {} };

/** One timestamped line per event on stdout/stderr, for headless mode and the desktop app. */
export const consoleLogger: EngineLogger = {
  info: (message, data) => console.log(logLine('info', message, data)),
  warn: (message, data) => console.warn(logLine('warn', message, data)),
  error: (message, data) => console.error(logLine('error', message, data)),
};

function logLine(level: string, message: string, data?: Record<string, unknown>): string {
  return `${new Date().toISOString()} ${level} ${message}${data ? ' ' + JSON.stringify(data) : ''}`;
}

/** What every engine room works with; built once by createEngine. */
export interface EngineContext {
  db: Db;
  /** Makes the send path's unsynced commits durable off the event loop. */
  walSync: WalSync;
  clock: Clock;
  secrets: SecretStore;
  mailer: Mailer;
  dryRunMailer: DryRunMailer;
  events: EngineEventBus;
  log: EngineLogger;
  /**
   * The user's actions on a campaign still running (queue, edit, resume, cancel, retry), by
   * campaign: big ones run in slices, so the next one waits for the last (see oneAtATime).
   */
  campaignActions: Map<number, Promise<void>>;
  /** Sends quicker than this (ms, real time) let the send path's start marks run ahead (batch.ts). */
  quickSendMs: number;
  /** The attachments store: the files the user gave, each named by its id (attachments.ts). */
  attachmentsDir: string;
  /** Campaigns being imported right now (still hidden): the clean-up of cut-short imports leaves them be. */
  importsInProgress: Set<number>;
  /** Bytes free on the database's disk, or undefined when it cannot be told (an in-memory database). */
  freeDiskBytes(): number | undefined;
}
