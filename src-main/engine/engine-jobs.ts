import type { EngineContext } from './context';
import * as campaignActions from './campaigns/campaign-actions';
import { EngineError } from './core/errors';
import { sendingStoppedReason, storageError } from './db/storage-errors';
import type { Ownership } from './engine-ownership';
import type { Inbox } from './inbox/inbox';
import { type BatchSummary, runBatch } from './sending/batch';
import { settleAbortedBatch } from './sending/recovery';
import { expireCampaigns, runRetry } from './sending/retry';
import type { Settings } from './settings/settings';

/** What the jobs read of the engine object. */
export interface JobsEngineState {
  /** The global pause is on. */
  paused(): boolean;
  /** The engine is stopping: no job starts. */
  stopping(): boolean;
  settings(): Promise<Settings>;
}

/**
 * The scheduler's jobs — a batch, the retry job, a look at every mailbox — also run directly
 * (tests, a "send now"). Each takes the data folder's ownership first. One batch at a time per
 * engine; a batch an error cut short has its messages settled before the next one, and its
 * error is kept, in words, for the sending status until a batch runs through again.
 */
export class EngineJobs {
  private sleepAbort = new AbortController();
  private currentBatch: Promise<BatchSummary | undefined> | undefined;
  /** What stopped the last batch (a storage error, in words), until a batch runs through again. */
  batchFailure: string | undefined;
  /** Batches an error cut short, whose messages still wait in `sending` to be settled. */
  private readonly abortedBatches = new Map<number, number[]>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly ownership: Ownership,
    private readonly inbox: Inbox,
    private readonly engine: JobsEngineState,
  ) {}

  /**
   * Runs one batch now, unless sending is paused or a batch is already running. A batch that
   * an error (the database busy or full) cuts short throws; its messages are settled before
   * the next one.
   */
  async runBatchNow(): Promise<BatchSummary | undefined> {
    if (this.engine.paused() || this.engine.stopping() || this.currentBatch) return undefined;
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
      this.ctx.events.emit('status');
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
      const settings = await this.engine.settings();
      await expireCampaigns(this.ctx);
      return await runBatch(this.ctx, settings, {
        shouldStop: () => this.engine.paused() || this.engine.stopping() || this.ownership.lost !== undefined,
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
    if (this.engine.stopping()) return { requeued: 0, gaveUp: 0 };
    await this.ownership.take();
    try {
      // What a failure on a full disk could not undo is undone as soon as there is room.
      const tidied = await campaignActions.tidyAfterStorageFailures(this.ctx);
      if (tidied.discarded) this.ctx.log.info('undid what failed work left', tidied);
      return await runRetry(this.ctx, await this.engine.settings());
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * Looks at every watched mailbox now, one after another (the inbox job; tests call it as they
   * call runBatchNow). A mailbox that cannot be read is recorded on its account, never thrown.
   */
  async runInboxChecksNow(): Promise<void> {
    if (this.engine.stopping()) return;
    await this.ownership.take();
    try {
      await this.inbox.lookAtAll(await this.engine.settings());
    } catch (error) {
      throw storageError(error);
    }
  }

  async batchJob(): Promise<void> {
    const failedBefore = this.batchFailure;
    try {
      await this.runBatchNow();
    } catch (error) {
      // A disk that stays full fails every tick the same way: logged once, not every second.
      if (failedBefore !== undefined && this.batchFailure === failedBefore) return;
      throw error;
    }
  }

  async retryJob(): Promise<void> {
    await this.runRetryNow();
  }

  async inboxJob(): Promise<void> {
    await this.runInboxChecksNow();
  }

  /** Cuts the pause between a batch's messages short (a pause, a stop, a takeover); the message in hand still finishes. */
  wake(): void {
    this.sleepAbort.abort();
  }

  /** Waits for the batch in progress to end, whatever its outcome. */
  async settled(): Promise<void> {
    await this.currentBatch?.catch(() => undefined);
  }
}
