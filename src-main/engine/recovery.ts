import { completeIfDone } from './campaigns';
import type { EngineContext } from './context';

/**
 * After a crash, a kill or a power cut: messages left in `sending` are settled. One that was
 * already being handed to the server may have arrived, so it becomes `in_doubt` and waits for
 * the user (never re-sent silently); one the batch had claimed but not yet started provably
 * never left, so it goes back to the queue. Nothing is dropped. Runs only in the engine that
 * holds the data folder's owner lock, so no other live engine's batch is touched.
 */
export function recoverInterruptedSends(ctx: EngineContext): Promise<{ inDoubt: number; requeued: number }> {
  return settleInterruptedSends(ctx, {
    explanation:
      'Trickle stopped (a crash or shutdown) while this message was being sent, so it may have arrived. It will not be sent again unless you choose to resend it.',
  });
}

/**
 * The same for one batch of this engine that an error cut short (its database was busy or full
 * when an outcome had to be recorded): settled before the next batch, so its messages do not
 * sit in `sending` until the next start.
 */
export function settleAbortedBatch(ctx: EngineContext, batchId: number): Promise<{ inDoubt: number; requeued: number }> {
  return settleInterruptedSends(ctx, {
    batchId,
    explanation:
      'Trickle could not record what happened to this message (its database was busy or full at that moment), so it may have arrived. It will not be sent again unless you choose to resend it.',
  });
}

async function settleInterruptedSends(
  ctx: EngineContext,
  scope: { batchId?: number; explanation: string },
): Promise<{ inDoubt: number; requeued: number }> {
  const now = ctx.clock.now();
  const batchIds = scope.batchId === undefined ? undefined : [scope.batchId];
  const settled = await ctx.db.transaction().execute(async (trx) => {
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
