import type { EngineContext } from '../context';
import type { Db } from '../db/schema';
import type { CampaignStatus, MessageStatus } from '../db/schema';
import { EngineError, notFound } from '../core/errors';
import { countMessages, UNFINISHED } from '../db/message-counts';

// The small state primitives of a campaign that other rooms use too (the send path, recovery,
// retry): read one, move its status without overwriting another's, complete it when done,
// and run the user's actions on it one at a time.

/** Messages of a queued campaign that have yet to go out. */
export const UNSENT: MessageStatus[] = ['queued', 'retry_wait'];

export async function campaignRow(db: Db, id: number) {
  const row = await db.selectFrom('campaigns').selectAll().where('id', '=', id).where('importing', '=', 0).executeTakeFirst();
  if (!row) throw notFound('Campaign', id);
  return row;
}

/**
 * Moves the campaign to `status` if it is in one of `from` (a status another action set in
 * the meantime is never overwritten). Returns whether it moved.
 */
export async function setCampaignStatus(
  ctx: EngineContext,
  id: number,
  status: CampaignStatus,
  detail: string | null,
  from: CampaignStatus[],
): Promise<boolean> {
  const now = ctx.clock.now();
  const result = await ctx.db
    .updateTable('campaigns')
    .set({
      status,
      status_detail: detail,
      updated_at: now,
      ...(status === 'completed' || status === 'cancelled' ? { completed_at: now } : {}),
    })
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return false;
  ctx.log.info('campaign status', { campaignId: id, status });
  ctx.events.emit('campaign', { campaignId: id, status, ...(detail ? { detail } : {}) });
  ctx.events.emit('status');
  return true;
}

/** A queued or sending campaign with nothing left to send (or wait for) is completed. */
export async function completeIfDone(ctx: EngineContext, id: number): Promise<boolean> {
  const campaign = await campaignRow(ctx.db, id);
  if (campaign.status !== 'queued' && campaign.status !== 'sending') return false;
  const counts = await countMessages(ctx.db, id);
  if (UNFINISHED.some((status) => counts[status] > 0)) return false;
  return setCampaignStatus(ctx, id, 'completed', null, ['queued', 'sending']);
}

/**
 * Runs the user's actions on one campaign one after another. Big ones (queue, cancel,
 * resume, retry of a million messages) run in slices with other calls in between; an action
 * asked for meanwhile waits its turn and then checks the campaign as the first one left it, so
 * what one checked is what it writes and no status is overwritten half-way. Must be called
 * before the caller's first await, so the order is the order the actions were asked for.
 */
export function oneAtATime<T>(ctx: EngineContext, id: number, action: () => Promise<T>): Promise<T> {
  const previous = ctx.campaignActions.get(id) ?? Promise.resolve();
  const run = previous.then(action);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  ctx.campaignActions.set(id, settled);
  void settled.then(() => {
    if (ctx.campaignActions.get(id) === settled) ctx.campaignActions.delete(id);
  });
  return run;
}

export function changedMeanwhile(): EngineError {
  return new EngineError('conflict', 'This campaign changed meanwhile (sending paused or finished it); look at it again, then retry.');
}
