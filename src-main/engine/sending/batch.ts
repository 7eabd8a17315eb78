import { completeIfDone } from '../campaigns/campaign-state';
import type { EngineContext } from '../context';
import { PaceMeter } from '../accounts/pace';
import { claimBatch, type ClaimedMessage, queuedCount } from './claim';
import { LoginCache, sendOne } from './send-message';
import { SendJournal } from './send-journal';
import type { BatchCounts } from '../../../src-shared/views/sending';
import type { Settings } from '../../../src-shared/views/settings';

/** One batch as the engine records it (times in ms); the API shows it as a BatchInfo. */
export interface BatchSummary extends BatchCounts {
  batchId: number;
  startedAt: number;
  finishedAt: number;
  /** Messages still queued after the batch, across all campaigns. */
  remaining: number;
}

export interface BatchControl {
  /** True when sending was paused (or the engine is stopping): finish the message in hand, start nothing new. */
  shouldStop(): boolean;
  /** Aborted on pause/stop, to cut the pause between messages short. */
  signal: AbortSignal;
  /** Told the batch's id as soon as it exists, so a batch cut short by an error can be settled later. */
  onStarted?(batchId: number): void;
  /** Told, when an error cuts the batch short, which of its messages were never handed over. */
  onCutShort?(neverHandedOver: number[]): void;
}

/**
 * One batch: claim up to `batchSize` due messages, then send them one after another with a
 * pause between, recording each outcome as it happens. Returns undefined when nothing was
 * claimed (nothing due, or no account can send).
 */
export async function runBatch(ctx: EngineContext, settings: Settings, control: BatchControl): Promise<BatchSummary | undefined> {
  const startedAt = ctx.clock.now();
  const batch = await ctx.db.insertInto('batches').values({ started_at: startedAt }).returning('id').executeTakeFirstOrThrow();
  control.onStarted?.(batch.id);
  let claimed: ClaimedMessage[];
  try {
    claimed = await claimBatch(ctx, batch.id, settings.batchSize);
  } catch (error) {
    // The claim is one transaction: nothing was claimed, and the batch goes as an empty one does.
    // (Refused by the fence, this engine would never settle it: the history is the newcomer's now.)
    await ctx.db
      .deleteFrom('batches')
      .where('id', '=', batch.id)
      .execute()
      .catch(() => undefined);
    throw error;
  }
  if (claimed.length === 0) {
    await ctx.db.deleteFrom('batches').where('id', '=', batch.id).execute();
    return undefined;
  }

  const summary: BatchSummary = {
    batchId: batch.id,
    startedAt,
    finishedAt: startedAt,
    claimed: claimed.length,
    sent: 0,
    failed: 0,
    retrying: 0,
    inDoubt: 0,
    requeued: 0,
    skipped: 0,
    cancelled: 0,
    rehearsed: 0,
    remaining: 0,
  };

  const outcomes = new SendJournal(ctx, settings, claimed);
  const logins = new LoginCache(ctx);
  const pace = new PaceMeter();
  try {
    for (const [index, message] of claimed.entries()) {
      if (index > 0 && !control.shouldStop() && settings.messageDelayMs > 0) {
        // What is held is committed before the pause, not after it.
        await outcomes.flush();
        await ctx.clock.sleep(settings.messageDelayMs, control.signal);
      }
      const status = control.shouldStop()
        ? await outcomes.record(message, { kind: 'requeue' })
        : await sendOne(ctx, index, message, outcomes, logins, pace);
      if (status === 'sent') summary.sent++;
      else if (status === 'failed') summary.failed++;
      else if (status === 'retry_wait') summary.retrying++;
      else if (status === 'in_doubt') summary.inDoubt++;
      else if (status === 'queued') summary.requeued++;
      else if (status === 'skipped') summary.skipped++;
      else if (status === 'cancelled') summary.cancelled++;
      else if (status === 'rehearsed') summary.rehearsed++;
    }
  } catch (error) {
    // Best effort: if the database is what failed, what is held is settled as in doubt, as after
    // a crash; the messages never handed over are told to the engine, which puts them back.
    await outcomes.flush().catch(() => undefined);
    control.onCutShort?.(outcomes.notHandedOver());
    throw error;
  }
  await outcomes.flush();
  await pace.save(ctx.db, ctx.clock.now());

  for (const campaignId of new Set(claimed.map((m) => m.campaignId))) await completeIfDone(ctx, campaignId);
  summary.finishedAt = ctx.clock.now();
  summary.remaining = await queuedCount(ctx.db);
  await ctx.db
    .updateTable('batches')
    .set({
      finished_at: summary.finishedAt,
      claimed: summary.claimed,
      sent: summary.sent,
      failed: summary.failed,
      retrying: summary.retrying,
      in_doubt: summary.inDoubt,
      requeued: summary.requeued,
      skipped: summary.skipped,
      cancelled: summary.cancelled,
      rehearsed: summary.rehearsed,
      remaining: summary.remaining,
    })
    .where('id', '=', batch.id)
    .execute();
  ctx.log.info('batch finished', { ...summary });
  ctx.events.emit('batch', { batchId: batch.id, sent: summary.sent, failed: summary.failed, remaining: summary.remaining });
  return summary;
}
