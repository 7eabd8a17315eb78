import { completeIfDone } from './campaigns';
import type { EngineContext } from './context';

/**
 * After a crash, a kill or a power cut: messages left in `sending` are settled. One that was
 * already being handed to the server may have arrived, so it becomes `in_doubt` and waits for
 * the user (never re-sent silently); one the batch had claimed but not yet started provably
 * never left, so it goes back to the queue. Nothing is dropped. A campaign the crash left
 * "sending" with nothing more to send (its last message now in doubt, or the process died
 * between recording the last outcome and completing the campaign) completes: no batch would
 * ever claim from it again to notice.
 */
export async function recoverInterruptedSends(ctx: EngineContext): Promise<{ inDoubt: number; requeued: number }> {
  const recovered = await settleInFlight(ctx);
  const open = await ctx.db.selectFrom('campaigns').select('id').where('status', 'in', ['queued', 'sending']).execute();
  for (const { id } of open) await completeIfDone(ctx, id);
  return recovered;
}

async function settleInFlight(ctx: EngineContext): Promise<{ inDoubt: number; requeued: number }> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const started = await trx
      .updateTable('messages')
      .set({
        status: 'in_doubt',
        attempts: (eb) => eb('attempts', '+', 1),
        updated_at: now,
        error_code: 'INTERRUPTED',
        error_response: '',
        error_explanation:
          'Trickle stopped (a crash or shutdown) while this message was being sent, so it may have arrived. It will not be sent again unless you choose to resend it.',
      })
      .where('status', '=', 'sending')
      .where('send_started_at', 'is not', null)
      .returning('id')
      .execute();
    const notStarted = await trx
      .updateTable('messages')
      .set({ status: 'queued', account_id: null, batch_id: null, updated_at: now })
      .where('status', '=', 'sending')
      .where('send_started_at', 'is', null)
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
      ctx.log.warn('recovered interrupted sends', { inDoubt: started.length, requeued: notStarted.length });
    }
    return { inDoubt: started.length, requeued: notStarted.length };
  });
}
