import { statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Clock, systemClock } from './core/clock';
import { type EngineContext, type EngineLogger, silentLogger } from './context';
import { secureDataFolder } from './core/data-folder';
import { EngineEventBus } from './core/events';
import { KeyFileSecretStore, keyFileIn, type SecretStore } from './core/secrets';
import { type OpenedDatabase, openDatabase } from './db/open-database';
import { refuseLostDatabase, startFailure } from './db/start-checks';
import { accountsWithLostKey } from './accounts/lost-key';
import { QUICK_SEND_MS } from './sending/send-journal';
import { Mailer, RehearsalLog, type TransportFactory, createNodemailerTransport } from './smtp/mailer';
import type { ImapTimeouts } from './inbox/look';

export interface EngineOptions {
  /** Holds the database, the key file (when no other secret store is given) and the rehearsal logs. */
  dataDir: string;
  /** Defaults to `<dataDir>/trickle.sqlite`; ':memory:' for throwaway tests. */
  databaseFile?: string;
  clock?: Clock;
  secrets?: SecretStore;
  transportFactory?: TransportFactory;
  smtpTimeouts?: { connectionMs: number; socketMs: number; idleMs: number };
  logger?: EngineLogger;
  /**
   * Sends quicker than this (real time) let start marks run ahead when messages follow at once
   * (send-journal.ts, SendJournal). Default 5 ms: a server on this machine; tests set it to choose.
   */
  quickSendMs?: number;
  /** How long a mailbox server may take to answer (tests make it short). */
  imapTimeouts?: ImapTimeouts;
  /**
   * The owner lease's heartbeat (real time) and how old a heartbeat must be, behind a replaced
   * lock file, for its holder to count as gone (db/owner-lease.ts). Tests shorten them.
   */
  ownerLease?: { heartbeatMs?: number; staleMs?: number };
  /** Rolling daily backups of the database while this engine sends (default on; db/backups.ts). */
  backups?: boolean;
  /** How long to wait for another program's lock on the database, ms (default 5000). */
  busyTimeoutMs?: number;
  /**
   * The key file that protected the stored app passwords is lost for good: make a new one, and
   * mark those accounts as needing their app password again (instead of refusing to start).
   */
  replaceLostKey?: boolean;
}

/** What an opened data folder gives the engine object. */
export interface OpenedDataFolder {
  database: OpenedDatabase;
  ctx: EngineContext;
  /** The SQLite file, or ':memory:'. */
  databaseFile: string;
  /** Accounts whose stored password needs a key file that is missing (secrets.ts): settled at start. */
  lostKey?: { keyFile: string; accounts: { email: string }[] };
}

/**
 * Opens the data folder and its database. Refuses, in words and before anything is written,
 * a folder or file that is not the user's own (and makes private one that others could read),
 * a database that is missing or empty where Trickle ran before, one that SQLite's check finds
 * damaged, one the disk cannot hold or write, and stored passwords whose key file is gone.
 */
export async function openDataFolder(options: EngineOptions): Promise<OpenedDataFolder> {
  const log = options.logger ?? silentLogger;
  const databaseFile = options.databaseFile ?? join(options.dataDir, 'trickle.sqlite');
  const where = { dataDir: options.dataDir, databaseFile };
  const envKey = process.env.TRICKLE_SECRET_KEY;
  const keyFile = options.secrets ? options.secrets.keyFile : envKey ? undefined : keyFileIn(options.dataDir);
  let database: OpenedDatabase;
  try {
    secureDataFolder(options.dataDir, log);
    if (databaseFile !== ':memory:') refuseLostDatabase(options.dataDir, databaseFile, keyFile);
    database = await openDatabase(databaseFile, {
      verify: true,
      ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
    });
  } catch (error) {
    throw startFailure(error, where);
  }
  let secrets: SecretStore;
  let lostKey: { id: number; email: string }[];
  try {
    // Refused at start() (after ownership: a running Trickle still has the key in memory, and
    // "already running" is then the truth); meanwhile no new key is made.
    lostKey = await accountsWithLostKey(database.db, keyFile);
    secrets = options.secrets ?? new KeyFileSecretStore({ dataDir: options.dataDir, envKey, log, createKey: lostKey.length === 0 });
  } catch (error) {
    await database.close();
    throw startFailure(error, where);
  }
  const ctx: EngineContext = {
    db: database.db,
    walSync: database.walSync,
    clock: options.clock ?? systemClock,
    secrets,
    mailer: new Mailer(options.transportFactory ?? createNodemailerTransport, options.smtpTimeouts),
    rehearsals: new RehearsalLog(join(options.dataDir, 'rehearsals')),
    events: new EngineEventBus(),
    log,
    campaignActions: new Map(),
    quickSendMs: options.quickSendMs ?? QUICK_SEND_MS,
    attachmentsDir: join(options.dataDir, 'attachments', 'store'),
    importsInProgress: new Set(),
    freeDiskBytes: () => (databaseFile === ':memory:' ? undefined : freeBytesOn(dirname(databaseFile))),
    // Set by the engine object, which owns the scheduler.
    sending: { paused: () => false, nextTickAt: () => undefined, nextRetryAt: () => undefined, batchFailure: () => undefined },
  };
  return { database, ctx, databaseFile, ...(lostKey.length > 0 ? { lostKey: { keyFile: keyFile!, accounts: lostKey } } : {}) };
}

/** Bytes an unprivileged program may still write on the disk holding `dir`; undefined if it cannot be told. */
function freeBytesOn(dir: string): number | undefined {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}
