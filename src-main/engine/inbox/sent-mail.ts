import { sql } from 'kysely';
import { DAY } from '../core/clock';
import type { EngineContext } from '../context';
import { unsyncedTransaction } from '../db/wal-sync';
import type { MailboxOwner } from './matching';

// What Sent Mail tells: mail sent outside Trickle, which counts towards the account's cap, and
// whether Gmail took the messages left in doubt.

/**
 * A message in Sent Mail that Trickle did not send: its recipients count towards the account's
 * rolling cap from the time Gmail took it. Kept once (by its Message-ID, else its place in the
 * mailbox), and only while it can matter (its last 24 h).
 */
export async function recordOutsideSend(
  ctx: EngineContext,
  owner: MailboxOwner,
  send: { key: string; sentAt: number; recipients: number },
): Promise<boolean> {
  if (send.sentAt <= ctx.clock.now() - DAY) return false;
  const inserted = await unsyncedTransaction(ctx.db, (trx) =>
    trx
      .insertInto('outside_sends')
      .values({ account_email: owner.emailNorm, mail_key: send.key, sent_at: send.sentAt, recipients: send.recipients })
      .onConflict((oc) => oc.columns(['account_email', 'mail_key']).doNothing())
      .executeTakeFirst(),
  );
  return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Outside sends older than a day count for nothing any more. */
export async function forgetOldOutsideSends(ctx: EngineContext, owner: MailboxOwner): Promise<void> {
  await ctx.db
    .deleteFrom('outside_sends')
    .where('account_email', '=', owner.emailNorm)
    .where('sent_at', '<=', ctx.clock.now() - 2 * DAY)
    .execute();
}

// ---- In doubt, settled ----

export interface InDoubt {
  id: number;
  campaignId: number;
  messageId: string;
  /** When its attempt began (marked started), else when it was put in doubt. */
  attemptAt: number;
}

/** This account's in-doubt messages, oldest first. */
export async function inDoubtOf(ctx: EngineContext, owner: MailboxOwner, limit: number): Promise<InDoubt[]> {
  const rows = await ctx.db
    .selectFrom('messages')
    .select(['id', 'campaign_id', 'message_id', sql<number>`coalesce(send_started_at, updated_at)`.as('attempt_at')])
    .where('status', '=', 'in_doubt')
    .where('account_id', '=', owner.id)
    .where('message_id', 'is not', null)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, campaignId: r.campaign_id, messageId: r.message_id!, attemptAt: Number(r.attempt_at) }));
}

/** Found in Sent Mail: Gmail took it. It is sent (its send-log row already counts it). Outbox state: committed in full. */
export async function confirmSent(
  ctx: EngineContext,
  owner: MailboxOwner,
  message: InDoubt,
  takenAt: number | undefined,
): Promise<boolean> {
  const now = ctx.clock.now();
  const result = await ctx.db.transaction().execute(async (trx) => {
    // The owner's fence: an engine that lost the data folder to another settles nothing.
    await ctx.owner?.assertHeld(trx);
    return trx
      .updateTable('messages')
      .set({
        status: 'sent',
        sent_at: takenAt ?? message.attemptAt,
        settled_how: 'sent_mail_found',
        settled_at: now,
        error_code: null,
        error_response: null,
        error_explanation: null,
        updated_at: now,
      })
      .where('id', '=', message.id)
      .where('status', '=', 'in_doubt')
      .executeTakeFirst();
  });
  if (Number(result.numUpdatedRows) === 0) return false;
  ctx.log.info('in doubt, confirmed in Sent Mail', { messageId: message.id, accountId: owner.id });
  ctx.events.emit('message', { messageId: message.id, campaignId: message.campaignId, status: 'sent', accountId: owner.id });
  return true;
}

/**
 * Not in Sent Mail long after its attempt: Gmail never took it. It goes back to the queue with
 * no attempt used, its send-log row released, the reason kept; a campaign that had completed
 * opens again to send it. One of a cancelled campaign stays as it is.
 */
export async function requeueMissing(ctx: EngineContext, owner: MailboxOwner, message: InDoubt, afterMinutes: number): Promise<boolean> {
  const now = ctx.clock.now();
  const done = await ctx.db.transaction().execute(async (trx) => {
    // The owner's fence: only the engine that sends may put a message back in its queue.
    await ctx.owner?.assertHeld(trx);
    const campaign = await trx.selectFrom('campaigns').select('status').where('id', '=', message.campaignId).executeTakeFirst();
    if (!campaign || campaign.status === 'cancelled' || campaign.status === 'draft') return false;
    const result = await trx
      .updateTable('messages')
      .set((eb) => ({
        status: 'queued',
        attempts: sql<number>`max(attempts - 1, 0)`,
        account_id: null,
        batch_id: null,
        send_started_at: null,
        settled_how: 'sent_mail_missing',
        settled_at: now,
        error_explanation: sql<string>`${`Not in ${owner.email}’s Sent Mail ${afterMinutes} minutes after it was sent, so Gmail never took it: queued again (no attempt used). Before: `} || coalesce(${eb.ref('error_explanation')}, '')`,
        updated_at: now,
      }))
      .where('id', '=', message.id)
      .where('status', '=', 'in_doubt')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    await trx.deleteFrom('send_log').where('message_id', '=', message.id).where('kind', '=', 'campaign').execute();
    await trx
      .updateTable('campaigns')
      .set({ status: 'queued', completed_at: null, updated_at: now })
      .where('id', '=', message.campaignId)
      .where('status', '=', 'completed')
      .execute();
    return true;
  });
  if (!done) return false;
  ctx.log.info('in doubt, not in Sent Mail: queued again', { messageId: message.id, accountId: owner.id });
  ctx.events.emit('message', { messageId: message.id, campaignId: message.campaignId, status: 'queued', accountId: null });
  ctx.events.emit('campaign', { campaignId: message.campaignId, status: 'queued' });
  ctx.events.emit('status');
  return true;
}
