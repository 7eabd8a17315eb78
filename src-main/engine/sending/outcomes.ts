import { sql } from 'kysely';
import type { Db } from '../db/schema';
import type { MessageStatus } from '../db/schema';
import type { ClassifiedReply } from '../smtp/server-replies';

// What happened to each message, recorded as it happens: sent (with the send log's real
// time), retry, failed and suppressed, in doubt, back to the queue.

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
      status = 'sent', attempts = attempts + 1, sent_at = held.value ->> 1,
      error_code = null, error_response = null, error_explanation = null, updated_at = held.value ->> 1
    from json_each(${held}) as held
    where messages.id = held.value ->> 0
    returning messages.id, messages.account_id`.execute(trx);
  return new Map(rows.map((r) => [r.id, r.account_id]));
}

/** What happened to one message, to be recorded in one transaction. */
export type MessageOutcome =
  | { kind: 'sent' }
  /** A rehearsal's message, written to its log: never sent, no capacity used, no attempt counted. */
  | { kind: 'rehearsed' }
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
  const releaseReservation = () => trx.deleteFrom('send_log').where('message_id', '=', messageId).where('kind', '=', 'campaign').execute();
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
      set = { attempts: message.attempts + 1, sent_at: now, error_code: null, error_response: null, error_explanation: null };
      await trx.updateTable('send_log').set({ sent_at: now }).where('message_id', '=', messageId).where('kind', '=', 'campaign').execute();
      break;
    case 'rehearsed':
      status = 'rehearsed';
      set = { send_started_at: null, error_code: null, error_response: null, error_explanation: null };
      // A rehearsal never reserves any; released anyway, so nothing rehearsed can count towards a cap.
      await releaseReservation();
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
          ? {
              ...outcome.reply,
              explanation: `${outcome.reply.explanation} Tried ${attempts} times; giving up. Use Retry to try again later.`,
            }
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
