import { sql } from 'kysely';
import { completeIfDone } from '../campaigns/campaign-state';
import { queuedCount } from './claim';
import type { EngineContext } from '../context';
import type { Db } from '../db/schema';

/**
 * After a crash, a kill or a power cut: messages left in `sending` are settled. One that was
 * already being handed to the server may have arrived, so it becomes `in_doubt` and waits for
 * the user (never re-sent silently); one the batch had claimed but not yet started provably
 * never left, so it goes back to the queue. Nothing is dropped. A campaign the crash left
 * "sending" with nothing more to send (its last message now in doubt, or the process died
 * between recording the last outcome and completing the campaign) completes: no batch would
 * ever claim from it again to notice. The batch the crash interrupted is closed with what its
 * messages show, so the batch history tells the truth. Runs only in the engine that owns the
 * data folder (lock file and lease): it took over only from an engine that is dead, or one so
 * long silent that the lease's fence now stops it from marking, handing over or recording
 * anything. So a message it may still hold is one whose start mark is committed: in doubt here.
 */
export async function recoverInterruptedSends(ctx: EngineContext): Promise<{ inDoubt: number; requeued: number }> {
  const recovered = await settleInterruptedSends(ctx, {
    explanation:
      'Trickle stopped (a crash or shutdown) while this message was being sent, so it may have arrived. It will not be sent again unless you choose to resend it.',
  });
  const open = await ctx.db.selectFrom('campaigns').select('id').where('status', 'in', ['queued', 'sending']).execute();
  for (const { id } of open) await completeIfDone(ctx, id);
  return recovered;
}

/**
 * The same for one batch of this engine that an error cut short (its database was busy or full
 * when an outcome had to be recorded): settled before the next batch, so its messages do not
 * sit in `sending` until the next start.
 */
export function settleAbortedBatch(
  ctx: EngineContext,
  batchId: number,
  /** Messages the batch knows it never handed over: they go back to the queue even if marked (ahead). */
  neverHandedOver: number[] = [],
): Promise<{ inDoubt: number; requeued: number }> {
  return settleInterruptedSends(ctx, {
    batchId,
    neverHandedOver,
    explanation:
      'Trickle could not record what happened to this message (its database was busy or full at that moment), so it may have arrived. It will not be sent again unless you choose to resend it.',
  });
}

async function settleInterruptedSends(
  ctx: EngineContext,
  scope: { batchId?: number; neverHandedOver?: number[]; explanation: string },
): Promise<{ inDoubt: number; requeued: number }> {
  const now = ctx.clock.now();
  const batchIds = scope.batchId === undefined ? undefined : [scope.batchId];
  const settled = await ctx.db.transaction().execute(async (trx) => {
    await ctx.owner?.assertHeld(trx);
    if (scope.neverHandedOver?.length) {
      await trx
        .updateTable('messages')
        .set({ send_started_at: null })
        .where('id', 'in', scope.neverHandedOver)
        .where('status', '=', 'sending')
        .execute();
    }
    const claimedOnly = await trx
      .selectFrom('messages')
      .select(['id', 'batch_id'])
      .where('status', '=', 'sending')
      .where('send_started_at', 'is', null)
      .$if(batchIds !== undefined, (q) => q.where('batch_id', 'in', batchIds!))
      .execute();
    const started = await trx
      .updateTable('messages')
      .set({
        status: 'in_doubt',
        attempts: (eb) => eb('attempts', '+', 1),
        updated_at: now,
        error_code: 'INTERRUPTED',
        error_response: '',
        error_explanation: scope.explanation,
      })
      .where('status', '=', 'sending')
      .where('send_started_at', 'is not', null)
      .$if(batchIds !== undefined, (q) => q.where('batch_id', 'in', batchIds!))
      .returning(['id', 'campaign_id'])
      .execute();
    const notStarted = await trx
      .updateTable('messages')
      .set({ status: 'queued', account_id: null, batch_id: null, updated_at: now })
      .where('status', '=', 'sending')
      .where('send_started_at', 'is', null)
      .$if(batchIds !== undefined, (q) => q.where('batch_id', 'in', batchIds!))
      .returning('id')
      .execute();
    if (notStarted.length > 0) {
      // Their capacity reservations are released; in-doubt ones keep theirs (they may have been sent).
      await trx
        .deleteFrom('send_log')
        .where('kind', '=', 'campaign')
        .where(
          'message_id',
          'in',
          notStarted.map((m) => m.id),
        )
        .execute();
    }
    await closeInterruptedBatches(trx, now, claimedOnly, batchIds);
    if (started.length || notStarted.length) {
      ctx.log.warn('recovered interrupted sends', {
        ...(scope.batchId !== undefined ? { batchId: scope.batchId } : {}),
        inDoubt: started.length,
        requeued: notStarted.length,
      });
    }
    return { inDoubt: started.length, requeued: notStarted.length, campaignIds: new Set(started.map((m) => m.campaign_id)) };
  });
  // A campaign whose last open message was the one in doubt is done (as when a batch records it).
  for (const id of settled.campaignIds) await completeIfDone(ctx, id);
  return { inDoubt: settled.inDoubt, requeued: settled.requeued };
}

const INTERRUPTED_BATCH_NOTE = 'interrupted: Trickle stopped during this batch';

/**
 * Batches left unfinished by the crash get their counts from their messages (now settled: a send
 * in progress is in doubt) plus those just put back; one that had claimed nothing is removed, as
 * a batch that finds nothing to send is.
 */
async function closeInterruptedBatches(
  trx: Db,
  now: number,
  putBack: { batch_id: number | null }[],
  batchIds: number[] | undefined,
): Promise<void> {
  const interrupted = await trx
    .selectFrom('batches')
    .select('id')
    .where('finished_at', 'is', null)
    .$if(batchIds !== undefined, (q) => q.where('id', 'in', batchIds!))
    .execute();
  if (interrupted.length === 0) return;
  const queued = await queuedCount(trx);
  for (const { id } of interrupted) {
    const rows = await trx
      .selectFrom('messages')
      .select(['status', sql<number>`count(*)`.as('n')])
      .where('batch_id', '=', id)
      .groupBy('status')
      .execute();
    const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
    const requeued = putBack.filter((m) => m.batch_id === id).length;
    const claimed = rows.reduce((sum, r) => sum + Number(r.n), 0) + requeued;
    if (claimed === 0) {
      await trx.deleteFrom('batches').where('id', '=', id).execute();
      continue;
    }
    await trx
      .updateTable('batches')
      .set({
        finished_at: now,
        claimed,
        sent: count('sent'),
        failed: count('failed'),
        retrying: count('retry_wait'),
        in_doubt: count('in_doubt'),
        requeued,
        skipped: count('skipped'),
        cancelled: count('cancelled'),
        remaining: queued,
        note: INTERRUPTED_BATCH_NOTE,
      })
      .where('id', '=', id)
      .execute();
  }
}
