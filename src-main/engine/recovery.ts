import { sql } from 'kysely';
import { completeIfDone } from './campaigns';
import type { EngineContext } from './context';
import type { Db } from './db/open-database';

/**
 * After a crash, a kill or a power cut: messages left in `sending` are settled. One that was
 * already being handed to the server may have arrived, so it becomes `in_doubt` and waits for
 * the user (never re-sent silently); one the batch had claimed but not yet started provably
 * never left, so it goes back to the queue. Nothing is dropped. A campaign the crash left
 * "sending" with nothing more to send (its last message now in doubt, or the process died
 * between recording the last outcome and completing the campaign) completes: no batch would
 * ever claim from it again to notice. The batch the crash interrupted is closed with what its
 * messages show, so the batch history tells the truth.
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
    const claimedOnly = await trx
      .selectFrom('messages')
      .select(['id', 'batch_id'])
      .where('status', '=', 'sending')
      .where('send_started_at', 'is', null)
      .execute();
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
    await closeInterruptedBatches(trx, now, claimedOnly);
    if (started.length || notStarted.length) {
      ctx.log.warn('recovered interrupted sends', { inDoubt: started.length, requeued: notStarted.length });
    }
    return { inDoubt: started.length, requeued: notStarted.length };
  });
}

const INTERRUPTED_BATCH_NOTE = 'interrupted: Trickle stopped during this batch';

/**
 * Batches left unfinished by the crash get their counts from their messages (now settled: a send
 * in progress is in doubt) plus those just put back; one that had claimed nothing is removed, as
 * a batch that finds nothing to send is.
 */
async function closeInterruptedBatches(trx: Db, now: number, putBack: { batch_id: number | null }[]): Promise<void> {
  const interrupted = await trx.selectFrom('batches').select('id').where('finished_at', 'is', null).execute();
  if (interrupted.length === 0) return;
  const queued = await trx
    .selectFrom('messages')
    .select(sql<number>`count(*)`.as('n'))
    .where('status', '=', 'queued')
    .executeTakeFirstOrThrow();
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
        remaining: Number(queued.n),
        note: INTERRUPTED_BATCH_NOTE,
      })
      .where('id', '=', id)
      .execute();
  }
}
