// Over 300 lines on purpose: the one object the doors use, and its operations side by side as the API names them (#14).
import type BetterSqlite3 from 'better-sqlite3';
import * as accounts from './accounts/accounts';
import { storeAttachment } from './campaigns/attachments';
import type { BatchSummary } from './sending/batch';
import { exportResults } from './campaigns/campaign-export';
import { previewMessage } from './campaigns/campaign-preview';
import { testSend } from './campaigns/campaign-test-send';
import * as campaigns from './campaigns/campaigns';
import * as campaignQueries from './campaigns/campaign-queries';
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
import { EngineJobs } from './engine-jobs';
import { Ownership } from './engine-ownership';
import type { EngineEventBus } from './core/events';
import { listBatches, sendsPerHour } from './sending/history';
import { recoverInterruptedSends } from './sending/recovery';
import { recoverInterruptedBulkWork } from './campaigns/bulk-recovery';
import { Scheduler } from './sending/scheduler';
import { KeyFileSecretStore } from './core/secrets';
import { settleLostKey } from './accounts/lost-key';
import type { SendingStatus } from '../../src-shared/views/sending';
import { sendingStatus } from './sending/sending-status';
import { readPaused, readSettings, type Settings, updateSettings, writePaused } from './settings/settings';
import type { EngineError } from './core/errors';
import { withStorageErrors } from './db/storage-errors';
import * as suppressions from './campaigns/suppressions';
import { noArguments } from './core/validation';
import { checkInbox, Inbox } from './inbox/inbox';
import { DEFAULT_IMAP_TIMEOUTS } from './inbox/look';

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
  private cachedSettings: Settings | undefined;
  /** The data folder's lock and lease: only the owner sends (engine-ownership.ts). */
  private readonly ownership: Ownership;
  private readonly backups: BackupSchedule;
  /** The batch, retry and mailbox jobs, and the batch in progress (engine-jobs.ts). */
  private readonly jobs: EngineJobs;
  /** Accounts whose stored password needs a key file that is missing (secrets.ts): settled at start. */
  private lostKey: { keyFile: string; accounts: { email: string }[] } | undefined;

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
    this.jobs = new EngineJobs(ctx, this.ownership, this.inbox, {
      paused: () => this.paused,
      stopping: () => this.stopping,
      settings: () => this.settingsNow(),
    });
    this.scheduler = new Scheduler(
      { batch: () => this.jobs.batchJob(), retry: () => this.jobs.retryJob(), inbox: () => this.jobs.inboxJob() },
      ctx.log,
    );
    ctx.sending = {
      paused: () => this.paused,
      nextTickAt: () => this.scheduler.nextBatchAt()?.getTime(),
      nextRetryAt: () => this.scheduler.nextRetryAt()?.getTime(),
      batchFailure: () => this.jobs.batchFailure,
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
    this.jobs.wake();
    await this.inbox.stop();
    await this.jobs.settled();
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
    list: (input?: unknown) => campaignQueries.listCampaigns(this.ctx, input),
    create: (input: unknown) => campaigns.createCampaign(this.ctx, input),
    createDraft: (input?: unknown) => campaigns.createDraft(this.ctx, input),
    importRecipients: (input: unknown) => draftRecipients.importIntoDraft(this.ctx, input),
    copy: (input: unknown) => campaignReuse.copyCampaign(this.ctx, input),
    delete: (input: unknown) => campaignReuse.deleteDraft(this.ctx, input),
    archive: (input: unknown) => campaignReuse.archiveCampaign(this.ctx, input),
    get: (input: unknown) => campaignQueries.getCampaign(this.ctx, input),
    update: (input: unknown) => campaigns.updateCampaign(this.ctx, input),
    queue: (input: unknown) => campaignActions.queueCampaign(this.ctx, input),
    pause: (input: unknown) => campaignActions.pauseCampaign(this.ctx, input),
    resume: (input: unknown) => campaignActions.resumeCampaign(this.ctx, input),
    cancel: (input: unknown) => campaignActions.cancelCampaign(this.ctx, input),
    retryFailed: (input: unknown) => campaignActions.retryFailed(this.ctx, input),
    resendInDoubt: (input: unknown) => campaignActions.resendInDoubt(this.ctx, input),
    messages: (input: unknown) => campaignQueries.listMessages(this.ctx, input),
    forecast: (input: unknown) => forecastCampaign(this.ctx, input),
    preview: (input: unknown) => previewMessage(this.ctx, input),
    testSend: (input: unknown) => testSend(this.ctx, input),
    export: (input: unknown) => exportResults(this.ctx, input),
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
      this.jobs.wake();
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
    list: (input: unknown = {}) => listBatches(this.ctx, input),
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
  runBatchNow(): Promise<BatchSummary | undefined> {
    return this.jobs.runBatchNow();
  }

  runRetryNow(): Promise<{ requeued: number; gaveUp: number }> {
    return this.jobs.runRetryNow();
  }

  /**
   * Looks at every watched mailbox now, one after another (the inbox job; tests call it as they
   * call runBatchNow). A mailbox that cannot be read is recorded on its account, never thrown.
   */
  runInboxChecksNow(): Promise<void> {
    return this.jobs.runInboxChecksNow();
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
    this.jobs.batchFailure = lost.message;
    this.scheduler.stop();
    this.backups.stop();
    this.jobs.wake();
    this.ctx.log.error(lost.message, lost.details);
    this.events.emit('status');
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
