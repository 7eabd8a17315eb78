import { mkdirSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { z } from 'zod';
import * as accounts from './accounts/accounts';
import { storeAttachment } from './campaigns/attachments';
import { type BatchSummary, runBatch } from './sending/batch';
import { QUICK_SEND_MS } from './sending/send-journal';
import * as tools from './campaigns/campaign-tools';
import * as campaigns from './campaigns/campaigns';
import * as campaignActions from './campaigns/campaign-actions';
import { type Clock, systemClock } from './core/clock';
import { importLegacyAttachments } from './campaigns/legacy-attachments';
import { type EngineContext, type EngineLogger, silentLogger } from './context';
import { type OpenedDatabase, openDatabase } from './db/open-database';
import { EngineEventBus } from './core/events';
import { sendsPerHour } from './sending/history';
import { DryRunMailer, Mailer, type TransportFactory, createNodemailerTransport } from './smtp/mailer';
import { OwnerLock } from './core/owner-lock';
import { recoverInterruptedSends, settleAbortedBatch } from './sending/recovery';
import { recoverInterruptedBulkWork } from './campaigns/campaign-recipients';
import { expireCampaigns, runRetry } from './sending/retry';
import { Scheduler } from './sending/scheduler';
import { KeyFileSecretStore, type SecretStore } from './core/secrets';
import type { SendingStatus } from '../../src-shared/views/sending';
import { sendingStatus, toBatchInfo } from './sending/sending-status';
import { readPaused, readSettings, type Settings, updateSettings, writePaused } from './settings/settings';
import { EngineError } from './core/errors';
import { storageError, withStorageErrors } from './db/storage-errors';
import * as suppressions from './campaigns/suppressions';
import { noArguments, parseInput } from './core/validation';

export interface EngineOptions {
  /** Holds the database, the key file (when no other secret store is given) and the dry-run log. */
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
  private paused = false;
  private stopping = false;
  private sleepAbort = new AbortController();
  private currentBatch: Promise<BatchSummary | undefined> | undefined;
  private cachedSettings: Settings | undefined;
  private ownerLock: OwnerLock | undefined;
  /** What stopped the last batch (a storage error, in words), until a batch runs through again. */
  private batchFailure: string | undefined;
  /** Batches an error cut short, whose messages still wait in `sending` to be settled. */
  private readonly abortedBatches = new Map<number, number[]>();

  private constructor(
    private readonly database: OpenedDatabase,
    ctx: EngineContext,
    /** Where the database, key file, dry-run log and stored attachments live. */
    readonly dataDir: string,
    /** The owner lock's file beside the database; none for an in-memory one. */
    private readonly ownerLockFile: string | undefined,
  ) {
    this.ctx = ctx;
    this.events = ctx.events;
    this.scheduler = new Scheduler({ batch: () => this.batchJob(), retry: () => this.retryJob() }, ctx.log);
  }

  static async open(options: EngineOptions): Promise<Engine> {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const databaseFile = options.databaseFile ?? join(options.dataDir, 'trickle.sqlite');
    const database = await openDatabase(databaseFile);
    const ctx: EngineContext = {
      db: database.db,
      walSync: database.walSync,
      clock: options.clock ?? systemClock,
      secrets: options.secrets ?? new KeyFileSecretStore({ dataDir: options.dataDir, envKey: process.env.TRICKLE_SECRET_KEY }),
      mailer: new Mailer(options.transportFactory ?? createNodemailerTransport, options.smtpTimeouts),
      dryRunMailer: new DryRunMailer(join(options.dataDir, 'dry-run.log')),
      events: new EngineEventBus(),
      log: options.logger ?? silentLogger,
      campaignActions: new Map(),
      quickSendMs: options.quickSendMs ?? QUICK_SEND_MS,
      attachmentsDir: join(options.dataDir, 'attachments', 'store'),
    };
    const engine = new Engine(database, ctx, options.dataDir, databaseFile === ':memory:' ? undefined : `${databaseFile}.owner`);
    // An older version's attachment paths, moved into the store before anything can send. If
    // that fails now, those campaigns refuse to send until it is done at a later start.
    await importLegacyAttachments(ctx, options.dataDir).catch((error: unknown) =>
      ctx.log.error('could not move older attachments into the store', { error: String(error) }),
    );
    engine.paused = await readPaused(ctx.db);
    return engine;
  }

  /**
   * Takes the data folder's owner lock (throws `already_running` if another engine, in this
   * process or another, has it), settles what a crash left in flight, then starts the batch
   * and retry jobs. An engine opened only to read takes no lock.
   */
  async start(): Promise<{ inDoubt: number; requeued: number }> {
    // Before anything else, and synchronously: recovery must never settle a live engine's batch.
    this.takeOwnership();
    const recovered = await recoverInterruptedSends(this.ctx).catch((error: unknown) => {
      throw storageError(error);
    });
    const bulk = await recoverInterruptedBulkWork(this.ctx.db, this.ctx.clock.now()).catch((error: unknown) => {
      throw storageError(error);
    });
    if (bulk.discarded || bulk.cancelled) this.ctx.log.warn('recovered interrupted bulk work', bulk);
    this.scheduler.start(await this.settingsNow());
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
    this.sleepAbort.abort();
    await this.currentBatch?.catch(() => undefined);
    this.ctx.mailer.closeAll();
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
  });

  readonly campaigns = withStorageErrors({
    list: async (input?: unknown) => {
      noArguments(input);
      return campaigns.listCampaigns(this.ctx);
    },
    create: (input: unknown) => campaigns.createCampaign(this.ctx, input),
    get: (input: unknown) => campaigns.getCampaign(this.ctx, input),
    update: (input: unknown) => campaigns.updateCampaign(this.ctx, input),
    queue: (input: unknown) => campaignActions.queueCampaign(this.ctx, input),
    pause: (input: unknown) => campaignActions.pauseCampaign(this.ctx, input),
    resume: (input: unknown) => campaignActions.resumeCampaign(this.ctx, input),
    cancel: (input: unknown) => campaignActions.cancelCampaign(this.ctx, input),
    retryFailed: (input: unknown) => campaignActions.retryFailed(this.ctx, input),
    resendInDoubt: (input: unknown) => campaignActions.resendInDoubt(this.ctx, input),
    messages: (input: unknown) => campaigns.listMessages(this.ctx, input),
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
      const rows = await this.ctx.db.selectFrom('batches').selectAll().orderBy('id', 'desc').limit(limit ?? 20).execute();
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
    this.takeOwnership();
    if (this.sleepAbort.signal.aborted) this.sleepAbort = new AbortController();
    // Set before the first await, so a tick and a "send now" arriving together cannot both start
    // a batch (two batches would share each account's connection and its hand-over tracking).
    this.currentBatch = this.oneBatch();
    try {
      const summary = await this.currentBatch;
      this.batchFailure = undefined;
      return summary;
    } catch (error) {
      // Shown in the sending status: a scheduled batch's error would otherwise only be logged.
      this.batchFailure =
        error instanceof EngineError ? error.message : 'The last batch stopped on an unexpected error (see the log); Trickle tries again at the next batch.';
      throw error;
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
        shouldStop: () => this.paused || this.stopping,
        signal: this.sleepAbort.signal,
        onStarted: (id) => (batchId = id),
        onCutShort: (ids) => (neverHandedOver = ids),
      });
    } catch (error) {
      if (batchId !== undefined) this.abortedBatches.set(batchId, neverHandedOver);
      throw storageError(error);
    }
  }

  async runRetryNow(): Promise<{ requeued: number; gaveUp: number }> {
    if (this.stopping) return { requeued: 0, gaveUp: 0 };
    this.takeOwnership();
    return runRetry(this.ctx, await this.settingsNow()).catch((error: unknown) => {
      throw storageError(error);
    });
  }

  /**
   * Only the engine that owns the data folder sends: start() takes the owner lock, and so does
   * the first batch or retry run directly. Throws `already_running` when another engine has it.
   */
  private takeOwnership(): void {
    if (!this.ownerLockFile || this.ownerLock?.held) return;
    this.ownerLock = OwnerLock.acquire(this.ownerLockFile, this.ctx.clock.now(), () => this.database.sqlite.open);
  }

  private async batchJob(): Promise<void> {
    await this.runBatchNow();
  }

  private async retryJob(): Promise<void> {
    await this.runRetryNow();
  }

  private async status(): Promise<SendingStatus> {
    const settings = await this.settingsNow();
    return sendingStatus(this.ctx, {
      paused: this.paused,
      nextBatchAt: this.scheduler.nextBatchAt(),
      settings,
      ...(this.batchFailure ? { batchFailure: this.batchFailure } : {}),
    });
  }

  private async settingsNow(): Promise<Settings> {
    this.cachedSettings ??= await readSettings(this.ctx.db);
    return this.cachedSettings;
  }
}

export function createEngine(options: EngineOptions): Promise<Engine> {
  return Engine.open(options);
}
