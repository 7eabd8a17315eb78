import { sql } from 'kysely';
import { DAY } from '../core/clock';
import { ourMessageRowId } from '../core/message-ids';
import type { EngineContext } from '../context';
import type { Db } from '../db/schema';
import { unsyncedTransaction } from '../db/wal-sync';
import type { InboxNoticeKind, MessageRow } from '../db/schema';
import type { Classified, NoticeRecipient } from './classify';
import { bounceExplanation } from './notice-words';

// What a classified mail does to Trickle's records (PRODUCT.md §5b), each in one transaction
// with the mail's key, so a mail seen twice (a second look, a new UIDVALIDITY, a restart) acts
// once. Those commits do not wait for the disk on the event loop (unsyncedTransaction): the
// look flushes them (WalSync) before it moves its cursor past the mail, so a power cut can only
// lose a mail's effect together with the cursor, and the next look reads it again. What is kept: the key, the kind, the message it was about and a status code; for a
// bounce the notice's fields on the message; for a request its first line in the suppression's
// detail. Never another mail's body. A mail that matches nothing of ours changes nothing.

/** The account whose inbox is read. */
export interface MailboxOwner {
  id: number;
  email: string;
  emailNorm: string;
}

/** What one mail changed, for the look's result. */
export type Effect =
  | { kind: 'bounced'; messageId: number; campaignId: number }
  | { kind: 'delayed'; messageId: number }
  | { kind: 'unsubscribed'; messageId: number; campaignId: number }
  | { kind: 'replied'; messageId: number; campaignId: number }
  | { kind: 'auto_replied'; messageId: number; campaignId: number }
  | { kind: 'none' };

/** States of a message that went out: only these can bounce or be answered. */
const WENT_OUT = ['sent', 'in_doubt', 'bounced'] as const;

type Candidate = Pick<
  MessageRow,
  | 'id'
  | 'campaign_id'
  | 'email'
  | 'email_norm'
  | 'status'
  | 'account_id'
  | 'message_id'
  | 'replied_at'
  | 'auto_replied_at'
  | 'unsubscribed_at'
>;

const CANDIDATE_COLUMNS = [
  'id',
  'campaign_id',
  'email',
  'email_norm',
  'status',
  'account_id',
  'message_id',
  'replied_at',
  'auto_replied_at',
  'unsubscribed_at',
] as const;

export async function applyMail(
  ctx: EngineContext,
  owner: MailboxOwner,
  mail: { key: string; classified: Classified; arrivedAt: number },
): Promise<Effect[]> {
  const { classified } = mail;
  switch (classified.kind) {
    case 'notice':
      return applyNotice(ctx, owner, mail.key, classified);
    case 'unsubscribe':
      return applyUnsubscribe(ctx, owner, mail.key, classified, mail.arrivedAt);
    case 'auto_reply':
    case 'reply':
      return applyAnswer(ctx, owner, mail.key, classified, mail.arrivedAt);
    default:
      return [];
  }
}

/**
 * A failure notice: matched to the message by the original's Message-ID, else (when the notice
 * names none) by the failed recipient among what this account sent. A notice naming a message
 * that is not ours, was sent by another account, or went to another address is a lie or a
 * mistake: nothing changes.
 */
async function applyNotice(
  ctx: EngineContext,
  owner: MailboxOwner,
  key: string,
  notice: Extract<Classified, { kind: 'notice' }>,
): Promise<Effect[]> {
  const now = ctx.clock.now();
  const effects = await unsyncedTransaction(ctx.db, async (trx) => {
    const matched: { recipient: NoticeRecipient; message: Candidate }[] = [];
    for (const recipient of notice.recipients) {
      const message = notice.originalMessageId
        ? await byMessageId(trx, owner, notice.originalMessageId)
        : await byRecipient(trx, owner, recipient.address);
      if (!message) continue;
      if (message.email_norm !== recipient.address && message.email_norm !== recipient.alsoKnownAs) continue;
      matched.push({ recipient, message });
    }
    if (matched.length === 0) return [];
    const first = matched[0]!;
    const kind: InboxNoticeKind = matched.some((m) => m.recipient.permanent) ? 'bounce' : 'delayed';
    if (!(await firstSight(trx, owner, key, kind, first.message.id, first.recipient.status, now))) return [];
    const effects: Effect[] = [];
    for (const { recipient, message } of matched) {
      if (!recipient.permanent) {
        effects.push({ kind: 'delayed', messageId: message.id });
        continue;
      }
      const bounced = await trx
        .updateTable('messages')
        .set({
          status: 'bounced',
          bounce_status: recipient.status,
          bounce_diagnostic: recipient.diagnostic,
          bounce_explanation: bounceExplanation(recipient.status),
          bounced_at: now,
          updated_at: now,
        })
        .where('id', '=', message.id)
        .where('status', 'in', ['sent', 'in_doubt'])
        .executeTakeFirst();
      await suppress(trx, {
        email: message.email,
        reason: 'bounced',
        // The server's words, which name the status themselves, else led by it.
        detail: (recipient.diagnostic.includes(recipient.status)
          ? recipient.diagnostic
          : `${recipient.status} ${recipient.diagnostic}`
        ).slice(0, 500),
        owner,
        messageId: message.id,
        now,
      });
      if (Number(bounced.numUpdatedRows) > 0) effects.push({ kind: 'bounced', messageId: message.id, campaignId: message.campaign_id });
    }
    return effects;
  });
  for (const effect of effects) {
    if (effect.kind === 'bounced') {
      ctx.log.info('message bounced', { messageId: effect.messageId, accountId: owner.id });
      ctx.events.emit('message', { messageId: effect.messageId, campaignId: effect.campaignId, status: 'bounced', accountId: owner.id });
    } else if (effect.kind === 'delayed') {
      ctx.log.info('delivery delayed (noted)', { messageId: effect.messageId, accountId: owner.id });
    }
  }
  return effects;
}

/**
 * A request to unsubscribe: by the token of the address it was sent to, else the message it
 * answers, else its sender among those this account wrote to. The recipient is suppressed at
 * once (and the request's sender, if another address), with where it came from.
 */
async function applyUnsubscribe(
  ctx: EngineContext,
  owner: MailboxOwner,
  key: string,
  request: Extract<Classified, { kind: 'unsubscribe' }>,
  arrivedAt: number,
): Promise<Effect[]> {
  const now = ctx.clock.now();
  const effects = await unsyncedTransaction(ctx.db, async (trx) => {
    let message: Candidate | undefined;
    if (request.token) {
      const row = await trx.selectFrom('messages').select(CANDIDATE_COLUMNS).where('id', '=', request.token.rowId).executeTakeFirst();
      if (row?.message_id?.toLowerCase().startsWith(request.token.messageIdStart) && row.account_id === owner.id) message = row;
    }
    for (const reference of request.references) message ??= await byMessageId(trx, owner, reference);
    if (!message && request.from) message = await byRecipient(trx, owner, request.from);
    if (!message || !(WENT_OUT as readonly string[]).includes(message.status)) return [];
    if (!(await firstSight(trx, owner, key, 'unsubscribe', message.id, null, now))) return [];
    const said = request.firstLine ? `: “${request.firstLine}”` : ' (by its unsubscribe link)';
    const detail = `Asked to unsubscribe by email to ${owner.email}${said}`.slice(0, 500);
    let added = await suppress(trx, { email: message.email, reason: 'unsubscribed', detail, owner, messageId: message.id, now });
    if (request.from && request.from !== message.email_norm) {
      added = (await suppress(trx, { email: request.from, reason: 'unsubscribed', detail, owner, messageId: message.id, now })) || added;
    }
    const marked = await trx
      .updateTable('messages')
      .set({ unsubscribed_at: arrivedAt })
      .where('id', '=', message.id)
      .where('unsubscribed_at', 'is', null)
      .executeTakeFirst();
    return added || Number(marked.numUpdatedRows) > 0
      ? [{ kind: 'unsubscribed' as const, messageId: message.id, campaignId: message.campaign_id }]
      : [];
  });
  for (const effect of effects) {
    ctx.log.info('unsubscribed by email', { messageId: effect.messageId, accountId: owner.id });
    ctx.events.emit('message', { messageId: effect.messageId, campaignId: effect.campaignId, status: 'sent', accountId: owner.id });
  }
  return effects;
}

/**
 * A reply or an auto-reply: the message it names (In-Reply-To, References) is marked, with the
 * time it came. An auto-reply that names none is matched by its sender, as out-of-office
 * messages often quote nothing; a reply must name ours.
 */
async function applyAnswer(
  ctx: EngineContext,
  owner: MailboxOwner,
  key: string,
  answer: Extract<Classified, { kind: 'reply' | 'auto_reply' }>,
  arrivedAt: number,
): Promise<Effect[]> {
  const now = ctx.clock.now();
  const auto = answer.kind === 'auto_reply';
  const effects = await unsyncedTransaction(ctx.db, async (trx) => {
    let message: Candidate | undefined;
    for (const reference of answer.references) message ??= await byMessageId(trx, owner, reference);
    if (!message && auto && answer.from) message = await byRecipient(trx, owner, answer.from);
    if (!message) return [];
    if (!(await firstSight(trx, owner, key, auto ? 'auto_reply' : 'reply', message.id, null, now))) return [];
    const marked = await trx
      .updateTable('messages')
      .set(auto ? { auto_replied_at: arrivedAt } : { replied_at: arrivedAt })
      .where('id', '=', message.id)
      .where(auto ? 'auto_replied_at' : 'replied_at', 'is', null)
      .executeTakeFirst();
    if (Number(marked.numUpdatedRows) === 0) return [];
    return [{ kind: auto ? ('auto_replied' as const) : ('replied' as const), messageId: message.id, campaignId: message.campaign_id }];
  });
  for (const effect of effects) {
    ctx.events.emit('message', { messageId: effect.messageId, campaignId: effect.campaignId, status: 'sent', accountId: owner.id });
  }
  return effects;
}

/** Our message with this Message-ID, sent by this account, that went out. */
async function byMessageId(trx: Db, owner: MailboxOwner, messageId: string): Promise<Candidate | undefined> {
  const rowId = ourMessageRowId(messageId);
  if (rowId === undefined) return undefined;
  const row = await trx.selectFrom('messages').select(CANDIDATE_COLUMNS).where('id', '=', rowId).executeTakeFirst();
  if (!row || row.message_id?.toLowerCase() !== messageId.trim().toLowerCase()) return undefined;
  if (row.account_id !== owner.id || !(WENT_OUT as readonly string[]).includes(row.status)) return undefined;
  return row;
}

/** The latest message this account sent to the address (served by the partial index messages_went_out). */
async function byRecipient(trx: Db, owner: MailboxOwner, address: string): Promise<Candidate | undefined> {
  return trx
    .selectFrom('messages')
    .select(CANDIDATE_COLUMNS)
    .where('email_norm', '=', address.toLowerCase())
    .where('account_id', '=', owner.id)
    .where('status', 'in', [...WENT_OUT])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Records the mail's key; false if it was seen before (it then does nothing again). */
async function firstSight(
  trx: Db,
  owner: MailboxOwner,
  key: string,
  kind: InboxNoticeKind,
  messageId: number,
  status: string | null,
  now: number,
): Promise<boolean> {
  const inserted = await trx
    .insertInto('inbox_notices')
    .values({ account_email: owner.emailNorm, notice_key: key, kind, message_id: messageId, status_code: status, seen_at: now })
    .onConflict((oc) => oc.columns(['account_email', 'notice_key']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Adds the address to the suppression list unless it is there already; true if added. */
async function suppress(
  trx: Db,
  entry: { email: string; reason: 'bounced' | 'unsubscribed'; detail: string; owner: MailboxOwner; messageId: number; now: number },
): Promise<boolean> {
  const result = await trx
    .insertInto('suppressions')
    .values({
      email_norm: entry.email.toLowerCase(),
      email: entry.email,
      reason: entry.reason,
      detail: entry.detail,
      created_at: entry.now,
      source_account: entry.owner.email,
      source_message_id: entry.messageId,
    })
    .onConflict((oc) => oc.column('email_norm').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

// ---- Sent Mail ----

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
