import { existsSync, statfsSync, statSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import * as accounts from './accounts/accounts';
import { storeAttachment } from './campaigns/attachments';
import { type BatchSummary, runBatch } from './sending/batch';
import { QUICK_SEND_MS } from './sending/send-journal';
import * as tools from './campaigns/campaign-tools';
import * as campaigns from './campaigns/campaigns';
import * as campaignActions from './campaigns/campaign-actions';
import * as campaignReuse from './campaigns/campaign-reuse';
import * as draftRecipients from './campaigns/draft-recipients';
import { forecastCampaign } from './campaigns/eta';
import { type Clock, HOUR, iso, systemClock } from './core/clock';
import { importLegacyAttachments } from './campaigns/legacy-attachments';
import { type EngineContext, type EngineLogger, silentLogger } from './context';
import { secureDataFolder } from './core/data-folder';
import { judgeLease, LEASE_HEARTBEAT_MS, LEASE_STALE_MS, OwnerLease, readLease, stillRunning } from './db/owner-lease';
import { type Backup, backUpDatabase, backupDue, checkDatabaseFile, restoreLatestBackup } from './db/backups';
import { type OpenedDatabase, openDatabase } from './db/open-database';
import { refuseLostDatabase, startFailure } from './db/start-checks';
import { EngineEventBus } from './core/events';
import { sendsPerHour } from './sending/history';
import { Mailer, RehearsalLog, type TransportFactory, createNodemailerTransport } from './smtp/mailer';
import { OwnerLock } from './core/owner-lock';
import { recoverInterruptedSends, settleAbortedBatch } from './sending/recovery';
import { recoverInterruptedBulkWork } from './campaigns/campaign-recipients';
import { expireCampaigns, runRetry } from './sending/retry';
import { Scheduler } from './sending/scheduler';
import { KeyFileSecretStore, keyFileIn, type SecretStore } from './core/secrets';
import { accountsWithLostKey, settleLostKey } from './accounts/lost-key';
import type { SendingStatus } from '../../src-shared/views/sending';
import { sendingStatus, toBatchInfo } from './sending/sending-status';
import { readPaused, readSettings, type Settings, updateSettings, writePaused } from './settings/settings';
import { EngineError } from './core/errors';
import { sendingStoppedReason, storageError, withStorageErrors } from './db/storage-errors';
import * as suppressions from './campaigns/suppressions';
import { noArguments, parseInput } from './core/validation';
import { checkInbox, Inbox } from './inbox/inbox';
import { DEFAULT_IMAP_TIMEOUTS, type ImapTimeouts } from './inbox/look';

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
   * (batch.ts, SendJournal). Default 5 ms: a server on this machine; tests set it to choose.
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

export const listBatchesSchema = z.object({ limit: z.int().min(1).max(500).optional() }).strict();

/**
 * Trickle's engine: one object that owns the database, the outbox and the scheduler, and
 * exposes the product's operations. It imports nothing from Electron, HTTP or React: the
 * desktop app and headless mode each own one and serve its methods.
 */
export class Engine {
  readonly events: EngineEventBus;
  private readonly ctx: EngineContext;
  private readonly scheduler: Scheduler;
  private readonly inbox: Inbox;
  private paused = false;
  private stopping = false;
  private sleepAbort = new AbortController();
  private currentBatch: Promise<BatchSummary | undefined> | undefined;
  private cachedSettings: Settings | undefined;
  private ownerLock: OwnerLock | undefined;
  /** The lease in the database that makes this engine the owner (with the lock above). */
  private lease: OwnerLease | undefined;
  /** Taking ownership, while it is under way. */
  private owning: Promise<void> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private lostNoticed = false;
  private backupTimer: ReturnType<typeof setInterval> | undefined;
  private backupRunning: Promise<Backup | undefined> | undefined;
  /** Accounts whose stored password needs a key file that is missing (secrets.ts): settled at start. */
  private lostKey: { keyFile: string; accounts: { email: string }[] } | undefined;
  /** What stopped the last batch (a storage error, in words), until a batch runs through again. */
  private batchFailure: string | undefined;
  /** Batches an error cut short, whose messages still wait in `sending` to be settled. */
  private readonly abortedBatches = new Map<number, number[]>();

  private constructor(
    private readonly database: OpenedDatabase,
    ctx: EngineContext,
    /** Where the database, key file, rehearsal logs and stored attachments live. */
    readonly dataDir: string,
    /** The SQLite file, or ':memory:'. */
    private readonly databaseFile: string,
    private readonly options: EngineOptions,
  ) {
    this.ctx = ctx;
    this.events = ctx.events;
    this.inbox = new Inbox(ctx, options.imapTimeouts ?? DEFAULT_IMAP_TIMEOUTS);
    this.scheduler = new Scheduler({ batch: () => this.batchJob(), retry: () => this.retryJob(), inbox: () => this.inboxJob() }, ctx.log);
    ctx.sending = {
      paused: () => this.paused,
      nextTickAt: () => this.scheduler.nextBatchAt()?.getTime(),
      nextRetryAt: () => this.scheduler.nextRetryAt()?.getTime(),
      batchFailure: () => this.batchFailure,
    };
  }

  /**
   * Opens the data folder and its database. Refuses, in words and before anything is written,
   * a folder or file that is not the user's own (and makes private one that others could read),
   * a database that is missing or empty where Trickle ran before, one that SQLite's check finds
   * damaged, one the disk cannot hold or write, and stored passwords whose key file is gone.
   */
  static async open(options: EngineOptions): Promise<Engine> {
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
    const engine = new Engine(database, ctx, options.dataDir, databaseFile, options);
    engine.paused = await readPaused(ctx.db);
    if (lostKey.length > 0) engine.lostKey = { keyFile: keyFile!, accounts: lostKey };
    return engine;
  }

  /**
   * Takes the data folder's ownership (throws `already_running` if another engine, in this
   * process or another, may be sending from it), settles what a crash left in flight, then
   * starts the batch, retry and backup jobs. An engine opened only to read takes no ownership.
   * A failure is told in words ("Trickle could not start: …").
   */
  async start(): Promise<{ inDoubt: number; requeued: number }> {
    let recovered: { inDoubt: number; requeued: number };
    try {
      // Before anything else: recovery must never settle a live engine's batch.
      await this.takeOwnership();
      if (this.lostKey) {
        await settleLostKey(this.ctx.db, this.lostKey.keyFile, this.lostKey.accounts, {
          replaceLostKey: this.options.replaceLostKey ?? false,
          log: this.ctx.log,
        });
        if (this.ctx.secrets instanceof KeyFileSecretStore) this.ctx.secrets.replaceLostKey();
        this.lostKey = undefined;
      }
      // An older version's attachment paths, moved into the store before anything can send. If
      // that fails now, those campaigns refuse to send until it is done at a later start.
      await importLegacyAttachments(this.ctx, this.dataDir).catch((error: unknown) =>
        this.ctx.log.error('could not move older attachments into the store', { error: String(error) }),
      );
      recovered = await recoverInterruptedSends(this.ctx);
      const bulk = await recoverInterruptedBulkWork(this.ctx.db, this.ctx.clock.now());
      if (bulk.discarded || bulk.cancelled || bulk.discardLater) this.ctx.log.warn('recovered interrupted bulk work', bulk);
    } catch (error) {
      throw startFailure(error, { dataDir: this.dataDir, databaseFile: this.databaseFile });
    }
    this.scheduler.start(await this.settingsNow());
    this.startBackups();
    this.events.emit('status');
    return recovered;
  }

  /**
   * Stops the jobs; the message in hand finishes (or, if the process dies first, becomes
   * in doubt on the next start); the rest of its batch goes back to the queue.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.scheduler.stop();
    clearInterval(this.heartbeat);
    clearInterval(this.backupTimer);
    this.sleepAbort.abort();
    await this.inbox.stop();
    await this.currentBatch?.catch(() => undefined);
    await this.owning?.catch(() => undefined);
    // A backup in progress notices `stopping` at its next step and is abandoned.
    await this.backupRunning?.catch(() => undefined);
    this.ctx.mailer.closeAll();
    if (this.lease && this.database.sqlite.open) await this.lease.release(this.ctx.clock.now()).catch(() => undefined);
    await this.database.close();
    // Last: another engine may start on this folder once nothing more is written.
    this.ownerLock?.release();
  }

  /**
   * @internal For tests and the bench only: the rooms' shared context and the raw SQLite
   * connection, so they can look at or break what no public method exposes. Never used by
   * the doors (dependency rules keep them to engine/index.ts, whose Engine type hides nothing
   * else but does not document this).
   */
  get internals(): { ctx: EngineContext; sqlite: BetterSqlite3.Database } {
    return { ctx: this.ctx, sqlite: this.database.sqlite };
  }

  /** The owner lock's file beside the database; none for an in-memory one. */
  private get ownerLockFile(): string | undefined {
    return this.databaseFile === ':memory:' ? undefined : `${this.databaseFile}.owner`;
  }

  // ---- The product's operations, grouped as the API names them ----

  readonly accounts = withStorageErrors({
    list: async (input?: unknown) => {
      noArguments(input);
      return accounts.listAccounts(this.ctx);
    },
    add: (input: unknown) => accounts.addAccount(this.ctx, input),
    update: (input: unknown) => accounts.updateAccount(this.ctx, input),
    remove: (input: unknown) => accounts.removeAccount(this.ctx, input),
    verify: (input: unknown) => accounts.verifyAccount(this.ctx, input),
    checkInbox: async (input: unknown) => {
      // A look may settle in-doubt messages: only the engine that owns the data folder does
      // (ownership is taken once the arguments are checked: bad input changes nothing).
      return checkInbox(this.ctx, this.inbox, input, await this.settingsNow(), () => this.takeOwnership());
    },
  });

  readonly campaigns = withStorageErrors({
    list: (input?: unknown) => campaigns.listCampaigns(this.ctx, input),
    create: (input: unknown) => campaigns.createCampaign(this.ctx, input),
    createDraft: (input?: unknown) => campaigns.createDraft(this.ctx, input),
    importRecipients: (input: unknown) => draftRecipients.importIntoDraft(this.ctx, input),
    copy: (input: unknown) => campaignReuse.copyCampaign(this.ctx, input),
    delete: (input: unknown) => campaignReuse.deleteDraft(this.ctx, input),
    archive: (input: unknown) => campaignReuse.archiveCampaign(this.ctx, input),
    get: (input: unknown) => campaigns.getCampaign(this.ctx, input),
    update: (input: unknown) => campaigns.updateCampaign(this.ctx, input),
    queue: (input: unknown) => campaignActions.queueCampaign(this.ctx, input),
    pause: (input: unknown) => campaignActions.pauseCampaign(this.ctx, input),
    resume: (input: unknown) => campaignActions.resumeCampaign(this.ctx, input),
    cancel: (input: unknown) => campaignActions.cancelCampaign(this.ctx, input),
    retryFailed: (input: unknown) => campaignActions.retryFailed(this.ctx, input),
    resendInDoubt: (input: unknown) => campaignActions.resendInDoubt(this.ctx, input),
    messages: (input: unknown) => campaigns.listMessages(this.ctx, input),
    forecast: (input: unknown) => forecastCampaign(this.ctx, input),
    preview: (input: unknown) => tools.previewMessage(this.ctx, input),
    testSend: (input: unknown) => tools.testSend(this.ctx, input),
    export: (input: unknown) => tools.exportResults(this.ctx, input),
  });

  readonly sending = withStorageErrors({
    status: async (input?: unknown): Promise<SendingStatus> => {
      noArguments(input);
      return this.status();
    },
    pause: async (input?: unknown): Promise<SendingStatus> => {
      noArguments(input);
      this.paused = true;
      await writePaused(this.ctx.db, true);
      // Cuts the pause between messages short; the message in hand still finishes.
      this.sleepAbort.abort();
      this.ctx.log.info('sending paused');
      this.events.emit('status');
      return this.status();
    },
    resume: async (input?: unknown): Promise<SendingStatus> => {
      noArguments(input);
      this.paused = false;
      await writePaused(this.ctx.db, false);
      this.ctx.log.info('sending resumed');
      this.events.emit('status');
      return this.status();
    },
  });

  readonly attachments = withStorageErrors({
    store: (input: unknown) => storeAttachment(this.ctx, input),
  });

  readonly history = withStorageErrors({
    sendsPerHour: (input?: unknown) => sendsPerHour(this.ctx, input),
  });

  readonly batches = withStorageErrors({
    list: async (input: unknown = {}) => {
      const { limit } = parseInput(listBatchesSchema, input ?? {});
      const rows = await this.ctx.db
        .selectFrom('batches')
        .selectAll()
        .orderBy('id', 'desc')
        .limit(limit ?? 20)
        .execute();
      return rows.map(toBatchInfo);
    },
  });

  readonly settings = withStorageErrors({
    get: async (input?: unknown) => {
      noArguments(input);
      return this.settingsNow();
    },
    update: async (input: unknown): Promise<Settings> => {
      const settings = await updateSettings(this.ctx.db, input);
      this.cachedSettings = settings;
      // Intervals take effect at once; a batch in progress finishes under the old ones.
      if (this.scheduler.running) this.scheduler.start(settings);
      this.events.emit('status');
      return settings;
    },
  });

  readonly suppressions = withStorageErrors({
    list: (input?: unknown) => suppressions.listSuppressions(this.ctx, input),
    add: (input: unknown) => suppressions.addSuppression(this.ctx, input),
    addMany: (input: unknown) => suppressions.addSuppressions(this.ctx, input),
    remove: (input: unknown) => suppressions.removeSuppression(this.ctx, input),
  });

  // ---- The jobs (public so tests and a "send now" can drive them without waiting) ----

  /**
   * Runs one batch now, unless sending is paused or a batch is already running. A batch that
   * an error (the database busy or full) cuts short throws; its messages are settled before
   * the next one.
   */
  async runBatchNow(): Promise<BatchSummary | undefined> {
    if (this.paused || this.stopping || this.currentBatch) return undefined;
    if (this.sleepAbort.signal.aborted) this.sleepAbort = new AbortController();
    let owner = false;
    // Set before the first await, so a tick and a "send now" arriving together cannot both start
    // a batch (two batches would share each account's connection and its hand-over tracking).
    this.currentBatch = (async () => {
      await this.takeOwnership();
      owner = true;
      return this.oneBatch();
    })();
    try {
      const summary = await this.currentBatch;
      if (this.batchFailure !== undefined) this.ctx.log.info('batches run again', { after: this.batchFailure });
      this.batchFailure = undefined;
      return summary;
    } catch (error) {
      if (this.lease?.lost) this.ownershipLost();
      // Shown in the sending status: a scheduled batch's error would otherwise only be logged.
      // (A refusal to take ownership is this engine not being the one that sends, not a failure;
      // a disk that fails while it takes ownership is.)
      else if (owner || !(error instanceof EngineError && error.code === 'already_running'))
        this.batchFailure = sendingStoppedReason(error);
      throw storageError(error);
    } finally {
      this.currentBatch = undefined;
      this.ctx.mailer.closeIdle(this.ctx.clock.now() - 5 * 60 * 1000);
      this.events.emit('status');
    }
  }

  private async oneBatch(): Promise<BatchSummary | undefined> {
    let batchId: number | undefined;
    let neverHandedOver: number[] = [];
    try {
      for (const [id, neverHandedOver] of this.abortedBatches) {
        await settleAbortedBatch(this.ctx, id, neverHandedOver);
        this.abortedBatches.delete(id);
      }
      const settings = await this.settingsNow();
      await expireCampaigns(this.ctx);
      return await runBatch(this.ctx, settings, {
        shouldStop: () => this.paused || this.stopping || this.lease?.lost !== undefined,
        signal: this.sleepAbort.signal,
        onStarted: (id) => (batchId = id),
        onCutShort: (ids) => (neverHandedOver = ids),
      });
    } catch (error) {
      if (batchId !== undefined) this.abortedBatches.set(batchId, neverHandedOver);
      throw error;
    }
  }

  async runRetryNow(): Promise<{ requeued: number; gaveUp: number }> {
    if (this.stopping) return { requeued: 0, gaveUp: 0 };
    await this.takeOwnership();
    try {
      // What a failure on a full disk could not undo is undone as soon as there is room.
      const tidied = await campaignActions.tidyAfterStorageFailures(this.ctx);
      if (tidied.discarded) this.ctx.log.info('undid what failed work left', tidied);
      return await runRetry(this.ctx, await this.settingsNow());
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * Takes a backup of the database if the newest is a day old (db/backups.ts); resolves with it,
   * or undefined when none was due. The engine does this at start and every hour while it owns
   * the folder; public so a test (or a "back up now") can drive it.
   */
  backupIfDue(): Promise<Backup | undefined> {
    if (this.stopping || !this.ownerLockFile || this.options.backups === false) return Promise.resolve(undefined);
    if (this.backupRunning) return this.backupRunning;
    const now = this.ctx.clock.now();
    if (!backupDue(this.dataDir, now)) return Promise.resolve(undefined);
    const running = backUpDatabase(this.database.sqlite, this.dataDir, now, () => this.stopping || !this.database.sqlite.open).then(
      (backup) => {
        this.ctx.log.info('database backed up', { file: backup.file });
        return backup;
      },
    );
    this.backupRunning = running.finally(() => {
      this.backupRunning = undefined;
    });
    return this.backupRunning;
  }

  private startBackups(): void {
    if (!this.ownerLockFile || this.options.backups === false) return;
    const backUp = () =>
      void this.backupIfDue().catch((error: unknown) => {
        if (!this.stopping) this.ctx.log.warn('could not back up the database; trying again within the hour', { error: String(error) });
      });
    backUp();
    this.backupTimer = setInterval(backUp, HOUR);
    this.backupTimer.unref?.();
  }

  /**
   * Only the engine that owns the data folder sends: start() takes ownership, and so does the
   * first batch or retry run directly. Ownership is the lock file's OS lock and the lease in the
   * database (owner-lock.ts, db/owner-lease.ts). Throws `already_running` when another engine
   * may be sending, or once another has taken over from this one.
   */
  private takeOwnership(): Promise<void> {
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
      lock = OwnerLock.acquire(this.ownerLockFile!, now, () => this.database.sqlite.open);
    } catch (error) {
      // The lock's file may not be writable either (a full disk): said in words.
      throw storageError(error);
    }
    const lease = new OwnerLease(this.ctx.db, this.options.ownerLease?.staleMs ?? LEASE_STALE_MS);
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
    this.heartbeat = setInterval(() => void this.beat(), this.options.ownerLease?.heartbeatMs ?? LEASE_HEARTBEAT_MS);
    this.heartbeat.unref?.();
  }

  private async beat(): Promise<void> {
    const lease = this.lease;
    if (!lease || this.stopping || !this.database.sqlite.open) return;
    try {
      if (!(await lease.beat(this.ctx.clock.now()))) this.ownershipLost();
    } catch (error) {
      this.ctx.log.warn('could not renew the data folder’s owner lease', { error: String(error) });
    }
  }

  /** Another engine took over (this one looked dead to it): stop sending, say why. */
  private ownershipLost(): void {
    const lost = this.lease?.lost;
    if (!lost || this.lostNoticed) return;
    this.lostNoticed = true;
    this.batchFailure = lost.message;
    this.scheduler.stop();
    clearInterval(this.heartbeat);
    clearInterval(this.backupTimer);
    this.sleepAbort.abort();
    this.ctx.log.error(lost.message, lost.details);
    this.events.emit('status');
  }

  private async batchJob(): Promise<void> {
    const failedBefore = this.batchFailure;
    try {
      await this.runBatchNow();
    } catch (error) {
      // A disk that stays full fails every tick the same way: logged once, not every second.
      if (failedBefore !== undefined && this.batchFailure === failedBefore) return;
      throw error;
    }
  }

  private async retryJob(): Promise<void> {
    await this.runRetryNow();
  }

  /**
   * Looks at every watched mailbox now, one after another (the inbox job; tests call it as they
   * call runBatchNow). A mailbox that cannot be read is recorded on its account, never thrown.
   */
  async runInboxChecksNow(): Promise<void> {
    if (this.stopping) return;
    await this.takeOwnership();
    try {
      await this.inbox.lookAtAll(await this.settingsNow());
    } catch (error) {
      throw storageError(error);
    }
  }

  private async inboxJob(): Promise<void> {
    await this.runInboxChecksNow();
  }

  private async status(): Promise<SendingStatus> {
    return sendingStatus(this.ctx, { settings: await this.settingsNow() });
  }

  private async settingsNow(): Promise<Settings> {
    this.cachedSettings ??= await readSettings(this.ctx.db);
    return this.cachedSettings;
  }
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

export function createEngine(options: EngineOptions): Promise<Engine> {
  return Engine.open(options);
}

export interface RestoreReport {
  /** The backup put back, and when it was taken. */
  backup: string;
  takenAt: string;
  /** Where the database it replaced was kept, if there was one. */
  keptAs?: string;
  /** What happened and what to check, for the person. */
  message: string;
}

/**
 * Puts the newest good backup back in place of a damaged or lost database (db/backups.ts): for
 * headless mode's `--restore-backup` and the desktop's start-up dialog. Refuses while an engine
 * may run on the folder (the lock file, and the lease if the database can still be read), and
 * over a sound database. Sending starts paused: messages sent after the backup was taken show as
 * waiting again, and only the user can tell (from Sent Mail) which went.
 */
export async function restoreFromBackup(options: {
  dataDir: string;
  databaseFile?: string;
  clock?: Clock;
  logger?: EngineLogger;
}): Promise<RestoreReport> {
  const log = options.logger ?? silentLogger;
  const now = (options.clock ?? systemClock).now();
  const databaseFile = options.databaseFile ?? join(options.dataDir, 'trickle.sqlite');
  const where = { dataDir: options.dataDir, databaseFile };
  try {
    secureDataFolder(options.dataDir, log);
    const lock = OwnerLock.acquire(`${databaseFile}.owner`, now, () => true);
    try {
      // An owner may still run with its lock file deleted: its lease says so, if it can be read.
      const lease = readLease(databaseFile);
      const verdict = judgeLease(lease, lock.fileId, now, LEASE_STALE_MS);
      if ('refuse' in verdict) throw stillRunning(lease!, verdict.refuse.waitMs);
      // Only in place of a damaged or lost database: an older copy over a sound one loses what it holds.
      if (existsSync(databaseFile) && statSync(databaseFile).size > 0 && checkDatabaseFile(databaseFile).ok) {
        throw new EngineError(
          'conflict',
          `Trickle's database ${databaseFile} is sound (SQLite's check finds nothing wrong), so no backup was restored over it. Nothing was changed. ` +
            `To go back to a backup anyway, stop Trickle and copy one from ${join(options.dataDir, 'backups')} over it yourself.`,
        );
      }
      const restored = restoreLatestBackup(options.dataDir, databaseFile, now);
      if (!restored) {
        throw new EngineError(
          'not_found',
          `There is no usable backup in ${join(options.dataDir, 'backups')}, so nothing was restored. Restore ${databaseFile} from your own backup of this folder.`,
        );
      }
      const database = await openDatabase(databaseFile, { verify: true });
      try {
        await writePaused(database.db, true);
        // The backup's lease names an engine of the past; this restore holds the lock file now.
        await database.db.updateTable('owner_lease').set({ released_at: now }).where('released_at', 'is', null).execute();
      } finally {
        await database.close();
      }
      const takenAt = iso(restored.backup.takenAt)!;
      const shown = `${takenAt.slice(0, 16).replace('T', ' ')} UTC`;
      const message =
        `Trickle's database was restored from the backup taken ${shown}` +
        (restored.keptAs ? `; the file it replaced is kept as ${restored.keptAs}. ` : '. ') +
        `Sending is paused: whatever was sent after ${shown} shows as still waiting, and would go out again. Check your accounts' Sent Mail (pause or cancel what already went) before you resume sending.`;
      log.warn(message);
      return { backup: restored.backup.file, takenAt, ...(restored.keptAs ? { keptAs: restored.keptAs } : {}), message };
    } finally {
      lock.release();
    }
  } catch (error) {
    throw startFailure(error, where);
  }
}
