// The claim: which messages go in the next batch, and which account sends each, with a
// capacity reservation in the send log written in the same transaction.
import { planAssignments } from '../accounts/rotation';
import { usableAccounts } from '../accounts/usable-accounts';
import type { EngineContext } from '../context';
import type { Db } from '../db/schema';
import { countAllMessages } from '../db/message-counts';

export interface ClaimedMessage {
  id: number;
  campaignId: number;
  /**
   * The account that sends it. For a rehearsal's message, the account whose name it is written
   * with (none when there is no account at all): nothing is sent and no capacity is used.
   */
  accountId: number | null;
  /** A rehearsal's message: written to the campaign's log, never sent. */
  rehearsal: boolean;
}

/** The due-message query for one campaign, in import order. Served by messages_campaign_status. */
export function dueMessagesQuery(db: Db, campaignId: number, limit: number) {
  return db
    .selectFrom('messages')
    .select(['id', 'campaign_id'])
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'queued')
    .orderBy('id')
    .limit(limit);
}

/** Campaigns whose messages are due, oldest queued first. */
export function dueCampaignsQuery(db: Db, now: number) {
  return (
    db
      .selectFrom('campaigns')
      .select(['id', 'status', 'rehearsal'])
      .where('status', 'in', ['queued', 'sending'])
      .where((eb) => eb.or([eb('send_after', 'is', null), eb('send_after', '<=', now)]))
      // Past its stop time nothing more goes, even before the retry job marks the rest expired.
      .where((eb) => eb.or([eb('stop_after', 'is', null), eb('stop_after', '>', now)]))
      .orderBy('queue_seq')
  );
}

/**
 * Claims up to `limit` due messages in one transaction: oldest queued campaign first, import
 * order within. A real campaign's messages are each given an account by rotation, never more
 * than the accounts' remaining capacity, and each claim writes its send-log row at once, so the
 * cap counts a send from the moment it may happen: a crash can make the count too high for a
 * while, never too low. A rehearsal's messages take no capacity, no send-log row and no turn in
 * the rotation: a rehearsal goes on while real campaigns wait for capacity, and changes nothing
 * of theirs.
 */
export async function claimBatch(ctx: EngineContext, batchId: number, limit: number): Promise<ClaimedMessage[]> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    await ctx.owner?.assertHeld(trx);
    const accounts = await usableAccounts(trx, now);
    let capacity = accounts.reduce((sum, a) => sum + a.remaining, 0);

    const due: { id: number; campaign_id: number; rehearsal: boolean }[] = [];
    for (const campaign of await dueCampaignsQuery(trx, now).execute()) {
      const room = limit - due.length;
      if (room <= 0) break;
      const rehearsal = campaign.rehearsal === 1;
      const take = rehearsal ? room : Math.min(room, capacity);
      if (take <= 0) continue;
      const rows = await dueMessagesQuery(trx, campaign.id, take).execute();
      if (!rehearsal) capacity -= rows.length;
      for (const row of rows) due.push({ ...row, rehearsal });
    }
    if (due.length === 0) return [];

    let tick = now;
    const plan = planAssignments(accounts, due.filter((m) => !m.rehearsal).length, () => ++tick);
    const senders = due.some((m) => m.rehearsal) ? await rehearsalSenders(trx) : [];

    const claimed: ClaimedMessage[] = [];
    let next = 0;
    for (const message of due) {
      const account = message.rehearsal ? undefined : plan[next++]!;
      const accountId = account ? account.id : senders.length > 0 ? senders[message.id % senders.length]! : null;
      await trx
        .updateTable('messages')
        .set({ status: 'sending', batch_id: batchId, account_id: accountId, send_started_at: null, updated_at: now })
        .where('id', '=', message.id)
        .execute();
      if (account) {
        await trx
          .insertInto('send_log')
          .values({ account_email: account.emailNorm, message_id: message.id, kind: 'campaign', sent_at: now })
          .execute();
      }
      claimed.push({ id: message.id, campaignId: message.campaign_id, accountId, rehearsal: message.rehearsal });
    }
    // Stamp each account with its last pick in this batch, so the next batch's tie-break
    // carries on the round-robin where this one stopped.
    for (const [i, account] of plan.entries()) {
      if (plan.lastIndexOf(account) !== i) continue;
      await trx
        .updateTable('accounts')
        .set({ last_picked_at: now + i + 1 })
        .where('id', '=', account.id)
        .execute();
    }
    const campaignIds = [...new Set(claimed.map((c) => c.campaignId))];
    await trx
      .updateTable('campaigns')
      .set({ status: 'sending', updated_at: now })
      .where('id', 'in', campaignIds)
      .where('status', '=', 'queued')
      .execute();
    return claimed;
  });
}

/**
 * The accounts a rehearsal's messages are written as, in turn by message id (so the rotation
 * of real sends is not moved): the enabled ones, else any, whatever their capacity or state.
 */
async function rehearsalSenders(db: Db): Promise<number[]> {
  const rows = await db.selectFrom('accounts').select(['id', 'enabled']).orderBy('id').execute();
  const enabled = rows.filter((r) => r.enabled === 1);
  return (enabled.length > 0 ? enabled : rows).map((r) => r.id);
}

/**
 * Moves a claimed message's capacity reservation to another account (the one it was given
 * can no longer send). The caller has checked that the new account has capacity left.
 * Fenced like the claim: after a takeover the message may be the newcomer's, and its send-log
 * row the newcomer's reservation (or record of a send); moving it would let an account pass its cap.
 */
export async function reassign(ctx: EngineContext, messageId: number, accountEmailNorm: string, accountId: number): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await ctx.owner?.assertHeld(trx);
    await trx.deleteFrom('send_log').where('message_id', '=', messageId).where('kind', '=', 'campaign').execute();
    await trx
      .insertInto('send_log')
      .values({ account_email: accountEmailNorm, message_id: messageId, kind: 'campaign', sent_at: now })
      .execute();
    await trx.updateTable('messages').set({ account_id: accountId, updated_at: now }).where('id', '=', messageId).execute();
    await trx.updateTable('accounts').set({ last_picked_at: now }).where('id', '=', accountId).execute();
  });
}

/** Messages waiting to be sent, across all campaigns. */
export async function queuedCount(db: Db): Promise<number> {
  return (await countAllMessages(db, ['queued'])).queued;
}
