import type BetterSqlite3 from 'better-sqlite3';
import { z } from 'zod';
import * as accounts from './accounts/accounts';
import { storeAttachment } from './campaigns/attachments';
import { type BatchSummary, runBatch } from './sending/batch';
import * as tools from './campaigns/campaign-tools';
import * as campaigns from './campaigns/campaigns';
import * as campaignActions from './campaigns/campaign-actions';
import * as campaignReuse from './campaigns/campaign-reuse';
import * as draftRecipients from './campaigns/draft-recipients';
import { forecastCampaign } from './campaigns/eta';
import { importLegacyAttachments } from './campaigns/legacy-attachments';
import type { EngineContext } from './context';
import type { Backup } from './db/backups';
import type { OpenedDatabase } from './db/open-database';
import { startFailure } from './db/start-checks';
import { BackupSchedule } from './engine-backups';
import { type EngineOptions, openDataFolder } from './engine-open';
import { Ownership } from './engine-ownership';
import type { EngineEventBus } from './core/events';
import { sendsPerHour } from './sending/history';
import { recoverInterruptedSends, settleAbortedBatch } from './sending/recovery';
import { recoverInterruptedBulkWork } from './campaigns/campaign-recipients';
import { expireCampaigns, runRetry } from './sending/retry';
import { Scheduler } from './sending/scheduler';
import { KeyFileSecretStore } from './core/secrets';
import { settleLostKey } from './accounts/lost-key';
import type { SendingStatus } from '../../src-shared/views/sending';
import { sendingStatus, toBatchInfo } from './sending/sending-status';
import { readPaused, readSettings, type Settings, updateSettings, writePaused } from './settings/settings';
import { EngineError } from './core/errors';
import { sendingStoppedReason, storageError, withStorageErrors } from './db/storage-errors';
import * as suppressions from './campaigns/suppressions';
import { noArguments, parseInput } from './core/validation';
import { checkInbox, Inbox } from './inbox/inbox';
import { DEFAULT_IMAP_TIMEOUTS } from './inbox/look';

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
  /** The data folder's lock and lease: only the owner sends (engine-ownership.ts). */
  private readonly ownership: Ownership;
  private readonly backups: BackupSchedule;
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
    const ownerLockFile = databaseFile === ':memory:' ? undefined : `${databaseFile}.owner`;
    this.ownership = new Ownership(
      ctx,
      ownerLockFile,
      options.ownerLease,
      () => this.database.sqlite.open,
      () => this.stopping,
      (lost) => this.ownershipLost(lost),
    );
    this.backups = new BackupSchedule(
      ctx,
      database,
      dataDir,
      ownerLockFile !== undefined && options.backups !== false,
      () => this.stopping,
    );
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
    const { database, ctx, databaseFile, lostKey } = await openDataFolder(options);
    const engine = new Engine(database, ctx, options.dataDir, databaseFile, options);
    engine.paused = await readPaused(ctx.db);
    if (lostKey) engine.lostKey = lostKey;
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
      await this.ownership.take();
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
    this.backups.start();
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
    this.ownership.stopHeartbeat();
    this.backups.stop();
    this.sleepAbort.abort();
    await this.inbox.stop();
    await this.currentBatch?.catch(() => undefined);
    await this.ownership.settled();
    // A backup in progress notices `stopping` at its next step and is abandoned.
    await this.backups.settled();
    this.ctx.mailer.closeAll();
    await this.ownership.releaseLease();
    await this.database.close();
    // Last: another engine may start on this folder once nothing more is written.
    this.ownership.releaseLock();
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
    checkInbox: async (input: unknown) => {
      // A look may settle in-doubt messages: only the engine that owns the data folder does
      // (ownership is taken once the arguments are checked: bad input changes nothing).
      return checkInbox(this.ctx, this.inbox, input, await this.settingsNow(), () => this.ownership.take());
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
      await this.ownership.take();
      owner = true;
      return this.oneBatch();
    })();
    try {
      const summary = await this.currentBatch;
      if (this.batchFailure !== undefined) this.ctx.log.info('batches run again', { after: this.batchFailure });
      this.batchFailure = undefined;
      return summary;
    } catch (error) {
      if (this.ownership.lost) this.ownership.noticeLost();
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
        shouldStop: () => this.paused || this.stopping || this.ownership.lost !== undefined,
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
    await this.ownership.take();
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
    return this.backups.backupIfDue();
  }

  /** Another engine took over (this one looked dead to it): stop sending, say why. */
  private ownershipLost(lost: EngineError): void {
    this.batchFailure = lost.message;
    this.scheduler.stop();
    this.backups.stop();
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
    await this.ownership.take();
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

export function createEngine(options: EngineOptions): Promise<Engine> {
  return Engine.open(options);
}
