import type { EngineContext } from '../context';
import { countMessages } from '../db/message-counts';

/** Bounces above this share of what a campaign sent are worth telling the user about (PRODUCT.md §5b). */
export const BOUNCE_ALERT_SHARE = 0.05;
/** …once this many of its messages went out (or it has finished): a first bounce among three sends says little. */
export const BOUNCE_ALERT_MIN_OUT = 20;

/**
 * Tells the user, once per campaign, when its bounces pass 5 % of the messages that went out
 * (sent, bounced, in doubt): a list with many dead addresses gets a personal Gmail account
 * blocked from sending. The `bounces` event carries what a notification says.
 */
export async function alertBounces(ctx: EngineContext, campaignIds: readonly number[]): Promise<void> {
  for (const id of campaignIds) {
    const campaign = await ctx.db
      .selectFrom('campaigns')
      .select(['name', 'status', 'bounce_alerted_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!campaign || campaign.bounce_alerted_at !== null) continue;
    const counts = await countMessages(ctx.db, id);
    const out = counts.sent + counts.bounced + counts.in_doubt;
    const finished = campaign.status === 'completed' || campaign.status === 'cancelled';
    if (out === 0 || counts.bounced / out <= BOUNCE_ALERT_SHARE || (out < BOUNCE_ALERT_MIN_OUT && !finished)) continue;
    const marked = await ctx.db
      .updateTable('campaigns')
      .set({ bounce_alerted_at: ctx.clock.now() })
      .where('id', '=', id)
      .where('bounce_alerted_at', 'is', null)
      .executeTakeFirst();
    if (Number(marked.numUpdatedRows) === 0) continue;
    const percent = Math.round((counts.bounced / out) * 1000) / 10;
    ctx.log.warn('bounces passed 5 %', { campaignId: id, bounced: counts.bounced, out });
    ctx.events.emit('bounces', { campaignId: id, name: campaign.name, bounced: counts.bounced, out, percent });
  }
}
