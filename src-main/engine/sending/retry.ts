import { completeIfDone } from '../campaigns/campaign-state';
import type { EngineContext } from '../context';
import { usableAccounts } from '../accounts/usable-accounts';
import type { Settings } from '../../../src-shared/views/settings';
import { NOT_YET_SENT, setMessagesStatus } from '../campaigns/campaign-recipients';
import { TimeSlicer } from '../core/time-slice';

/**
 * The retry job: messages waiting after a temporary refusal go back to the queue, but only
 * while some account can send (otherwise they would only be claimed and put back). Those
 * that used up their attempts (the maximum may have been lowered) fail with a reason.
 */
export async function runRetry(ctx: EngineContext, settings: Settings): Promise<{ requeued: number; gaveUp: number }> {
  const now = ctx.clock.now();
  if ((await usableAccounts(ctx.db, now)).length === 0) return { requeued: 0, gaveUp: 0 };
  const { requeued, gaveUp, campaignIds } = await ctx.db.transaction().execute(async (trx) => {
    const exhausted = await trx
      .updateTable('messages')
      .set({
        status: 'failed',
        updated_at: now,
        error_explanation: `Still refused after ${settings.maxRetries} attempts; giving up. Use Retry to try again later.`,
      })
      .where('status', '=', 'retry_wait')
      .where('attempts', '>=', settings.maxRetries)
      .returning('campaign_id')
      .execute();
    const back = await trx
      .updateTable('messages')
      .set({ status: 'queued', account_id: null, batch_id: null, updated_at: now })
      .where('status', '=', 'retry_wait')
      .where('attempts', '<', settings.maxRetries)
      .execute();
    return {
      requeued: Number(back[0]?.numUpdatedRows ?? 0),
      gaveUp: exhausted.length,
      campaignIds: [...new Set(exhausted.map((r) => r.campaign_id))],
    };
  });
  for (const id of campaignIds) await completeIfDone(ctx, id);
  if (requeued || gaveUp) {
    ctx.log.info('retry job', { requeued, gaveUp });
    ctx.events.emit('status');
  }
  return { requeued, gaveUp };
}

/**
 * Campaigns past their stop time: what is still unsent (queued or waiting to retry) is marked
 * expired, and the campaign completes once nothing is in flight.
 */
export async function expireCampaigns(ctx: EngineContext): Promise<number> {
  const now = ctx.clock.now();
  const due = await ctx.db
    .selectFrom('campaigns')
    .select('id')
    .where('status', 'in', ['queued', 'sending', 'paused'])
    .where('stop_after', 'is not', null)
    .where('stop_after', '<=', now)
    .execute();
  let expired = 0;
  for (const { id } of due) {
    // A range at a time; nothing is claimed from it meanwhile (its stop time has passed).
    expired += await setMessagesStatus(ctx.db, id, NOT_YET_SENT, 'expired', now, new TimeSlicer());
    await ctx.db.updateTable('campaigns').set({ status: 'sending' }).where('id', '=', id).where('status', '=', 'paused').execute();
    await completeIfDone(ctx, id);
  }
  return expired;
}
