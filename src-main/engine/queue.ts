import { sql } from 'kysely';
import { effectiveState } from './accounts';
import { capacityOf } from './capacity';
import type { EngineContext } from './context';
import type { Db } from './db/open-database';
import type { MessageStatus } from './db/schema';
import { countAllMessages } from './message-counts';
import type { ClassifiedReply } from './replies';
import { planAssignments, type RotationCandidate } from './rotation';

/** An account that can take sends now, with its capacity at this instant. */
export interface UsableAccount extends RotationCandidate {
  email: string;
  emailNorm: string;
  fromName: string;
  dailyCap: number;
}

export interface ClaimedMessage {
  id: number;
  campaignId: number;
  accountId: number;
}

/**
 * Accounts that may send now: enabled, state ok (a cooling or limit period that has run out
 * counts as ok), with capacity left in their rolling 24 hours.
 */
export async function usableAccounts(db: Db, now: number): Promise<UsableAccount[]> {
  const rows = await db.selectFrom('accounts').selectAll().where('enabled', '=', 1).orderBy('id').execute();
  const usable: UsableAccount[] = [];
  for (const row of rows) {
    if (effectiveState(row, now) !== 'ok') continue;
    const { remaining } = await capacityOf(db, row.email_norm, row.daily_cap, now);
    if (remaining <= 0) continue;
    usable.push({
      id: row.id,
      email: row.email,
      emailNorm: row.email_norm,
      fromName: row.from_name,
      dailyCap: row.daily_cap,
      remaining,
      lastPickedAt: row.last_picked_at,
    });
  }
  return usable;
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
  return db
    .selectFrom('campaigns')
    .select(['id', 'status'])
    .where('status', 'in', ['queued', 'sending'])
    .where((eb) => eb.or([eb('send_after', 'is', null), eb('send_after', '<=', now)]))
    // Past its stop time nothing more goes, even before the retry job marks the rest expired.
    .where((eb) => eb.or([eb('stop_after', 'is', null), eb('stop_after', '>', now)]))
    .orderBy('queue_seq');
}

/**
 * Claims up to `limit` due messages in one transaction: oldest queued campaign first, import
 * order within, each given an account by rotation and never more than the accounts' remaining
 * capacity. Each claim writes its send-log row at once, so the cap counts a send from the
 * moment it may happen: a crash can make the count too high for a while, never too low.
 */
export async function claimBatch(
  ctx: EngineContext,
  batchId: number,
  limit: number,
  options: { reserveCapacity: boolean },
): Promise<ClaimedMessage[]> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    await ctx.owner?.assertHeld(trx);
    const accounts = await usableAccounts(trx, now);
    const capacity = options.reserveCapacity ? accounts.reduce((sum, a) => sum + a.remaining, 0) : limit;
    const wanted = Math.min(limit, capacity);
    if (wanted === 0 || accounts.length === 0) return [];

    const due: { id: number; campaign_id: number }[] = [];
    for (const campaign of await dueCampaignsQuery(trx, now).execute()) {
      due.push(...(await dueMessagesQuery(trx, campaign.id, wanted - due.length).execute()));
      if (due.length >= wanted) break;
    }
    if (due.length === 0) return [];

    let tick = now;
    const plan = options.reserveCapacity
      ? planAssignments(accounts, due.length, () => ++tick)
      : due.map((_, i) => accounts[i % accounts.length]!);

    const claimed: ClaimedMessage[] = [];
    for (const [i, account] of plan.entries()) {
      const message = due[i]!;
      await trx
        .updateTable('messages')
        .set({ status: 'sending', batch_id: batchId, account_id: account.id, send_started_at: null, updated_at: now })
        .where('id', '=', message.id)
        .execute();
      if (options.reserveCapacity) {
        await trx
          .insertInto('send_log')
          .values({ account_email: account.emailNorm, message_id: message.id, kind: 'campaign', sent_at: now })
          .execute();
      }
      claimed.push({ id: message.id, campaignId: message.campaign_id, accountId: account.id });
    }
    // Stamp each account with its last pick in this batch, so the next batch's tie-break
    // carries on the round-robin where this one stopped.
    for (const [i, account] of plan.entries()) {
      if (plan.lastIndexOf(account) !== i) continue;
      await trx.updateTable('accounts').set({ last_picked_at: now + i + 1 }).where('id', '=', account.id).execute();
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

/** Marks the message as handed to the server from now on: after a crash it is in doubt. */
export async function markSendStarted(db: Db, messageId: number, accountId: number, now: number): Promise<void> {
  await db
    .updateTable('messages')
    .set({ send_started_at: now, account_id: accountId, updated_at: now })
    .where('id', '=', messageId)
    .execute();
}

/** The same for several messages of a batch at once (their accounts were set by the claim). */
export async function markSendStartedMany(db: Db, messageIds: number[], now: number): Promise<void> {
  await db
    .updateTable('messages')
    .set({ send_started_at: now, updated_at: now })
    .where('id', 'in', messageIds)
    .where('status', '=', 'sending')
    .execute();
}

/** Takes back start marks of messages that were never handed over (the batch stopped first). */
export async function unmarkSendStarted(db: Db, messageIds: number[]): Promise<void> {
  await db.updateTable('messages').set({ send_started_at: null }).where('id', 'in', messageIds).where('status', '=', 'sending').execute();
}

/**
 * Records several messages as sent, each at its own time, in two statements whatever their
 * number (the send path holds a few and commits them together). Returns each one's account.
 */
export async function recordSentIn(trx: Db, sent: { claimed: { id: number }; at: number }[]): Promise<Map<number, number | null>> {
  if (sent.length === 0) return new Map();
  const held = JSON.stringify(sent.map((s) => [s.claimed.id, s.at]));
  await sql`
    update send_log set sent_at = held.value ->> 1
    from json_each(${held}) as held
    where send_log.kind = 'campaign' and send_log.message_id = held.value ->> 0`.execute(trx);
  const { rows } = await sql<{ id: number; account_id: number | null }>`
    update messages set
      status = 'sent', attempts = attempts + 1, sent_at = held.value ->> 1, dry_run = 0,
      error_code = null, error_response = null, error_explanation = null, updated_at = held.value ->> 1
    from json_each(${held}) as held
    where messages.id = held.value ->> 0
    returning messages.id, messages.account_id`.execute(trx);
  return new Map(rows.map((r) => [r.id, r.account_id]));
}

/**
 * Moves a claimed message's capacity reservation to another account (the one it was given
 * can no longer send). The caller has checked that the new account has capacity left.
 */
export async function reassign(ctx: EngineContext, messageId: number, accountEmailNorm: string, accountId: number): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('send_log').where('message_id', '=', messageId).where('kind', '=', 'campaign').execute();
    await trx
      .insertInto('send_log')
      .values({ account_email: accountEmailNorm, message_id: messageId, kind: 'campaign', sent_at: now })
      .execute();
    await trx.updateTable('messages').set({ account_id: accountId, updated_at: now }).where('id', '=', messageId).execute();
    await trx.updateTable('accounts').set({ last_picked_at: now }).where('id', '=', accountId).execute();
  });
}

/** What happened to one message, to be recorded in one transaction. */
export type MessageOutcome =
  | { kind: 'sent'; dryRun: boolean }
  /** Back to the queue, no attempt used (the account, not the message, was the problem; or paused). */
  | { kind: 'requeue'; reply?: ClassifiedReply }
  | { kind: 'retry'; reply: ClassifiedReply }
  | { kind: 'failed'; reply: ClassifiedReply; suppress?: 'bounced' }
  | { kind: 'in_doubt'; reply: ClassifiedReply }
  | { kind: 'skipped'; reason: string }
  | { kind: 'cancelled' };

export interface RecordedOutcome {
  status: MessageStatus;
  accountId: number | null;
}

/**
 * Records an outcome in the caller's transaction (the send path's journal, with what it holds):
 * the message's state and error, its send-log row (kept and stamped with the real time when
 * sent or in doubt, released when nothing went out), the suppression list for a bounce.
 * Returns the status the message ended in, and its account.
 */
export async function recordOutcomeIn(
  trx: Db,
  now: number,
  messageId: number,
  outcome: MessageOutcome,
  maxAttempts: number,
): Promise<RecordedOutcome> {
  const message = await trx
    .selectFrom('messages')
    .select(['attempts', 'email', 'email_norm', 'account_id'])
    .where('id', '=', messageId)
    .executeTakeFirstOrThrow();
  const releaseReservation = () =>
    trx.deleteFrom('send_log').where('message_id', '=', messageId).where('kind', '=', 'campaign').execute();
  const error = (reply: ClassifiedReply) => ({
    error_code: reply.code,
    error_response: reply.response,
    error_explanation: reply.explanation,
  });
  let status: MessageStatus;
  let set: Record<string, unknown>;

  switch (outcome.kind) {
    case 'sent':
      status = 'sent';
      set = {
        attempts: message.attempts + 1,
        sent_at: now,
        dry_run: outcome.dryRun ? 1 : 0,
        error_code: null,
        error_response: null,
        error_explanation: null,
      };
      if (outcome.dryRun) await releaseReservation();
      else await trx.updateTable('send_log').set({ sent_at: now }).where('message_id', '=', messageId).where('kind', '=', 'campaign').execute();
      break;
    case 'requeue':
      status = 'queued';
      set = { account_id: null, batch_id: null, send_started_at: null, ...(outcome.reply ? error(outcome.reply) : {}) };
      await releaseReservation();
      break;
    case 'retry': {
      const attempts = message.attempts + 1;
      status = attempts >= maxAttempts ? 'failed' : 'retry_wait';
      const reply =
        status === 'failed'
          ? { ...outcome.reply, explanation: `${outcome.reply.explanation} Tried ${attempts} times; giving up. Use Retry to try again later.` }
          : outcome.reply;
      set = { attempts, send_started_at: null, ...error(reply) };
      await releaseReservation();
      break;
    }
    case 'failed':
      status = 'failed';
      set = { attempts: message.attempts + 1, ...error(outcome.reply) };
      await releaseReservation();
      if (outcome.suppress) {
        await trx
          .insertInto('suppressions')
          .values({
            email_norm: message.email_norm,
            email: message.email,
            reason: outcome.suppress,
            detail: `${outcome.reply.code} ${outcome.reply.response}`.slice(0, 500),
            created_at: now,
          })
          .onConflict((oc) => oc.column('email_norm').doNothing())
          .execute();
      }
      break;
    case 'in_doubt':
      status = 'in_doubt';
      set = { attempts: message.attempts + 1, ...error(outcome.reply) };
      // Kept: it may have arrived, so it counts against the cap.
      await trx.updateTable('send_log').set({ sent_at: now }).where('message_id', '=', messageId).where('kind', '=', 'campaign').execute();
      break;
    case 'skipped':
      status = 'skipped';
      set = { skip_reason: outcome.reason, account_id: null };
      await releaseReservation();
      break;
    case 'cancelled':
      status = 'cancelled';
      set = { account_id: null };
      await releaseReservation();
      break;
  }
  await trx
    .updateTable('messages')
    .set({ ...set, status, updated_at: now })
    .where('id', '=', messageId)
    .execute();
  // Outcomes that put the message back or drop it clear its account (set.account_id = null).
  return { status, accountId: 'account_id' in set ? null : message.account_id };
}

/** Messages waiting to be sent, across all campaigns. */
export async function queuedCount(db: Db): Promise<number> {
  return (await countAllMessages(db, ['queued'])).queued;
}
