import type { EngineContext } from '../context';
import { unsyncedTransaction } from '../db/wal-sync';
import type { Classified } from './classify';
import { type Effect, firstSight, suppress } from './effect-records';
import { byMessageId, byRecipient, type Candidate, CANDIDATE_COLUMNS, type MailboxOwner, WENT_OUT } from './matching';

/**
 * A request to unsubscribe: by the token of the address it was sent to, else the message it
 * answers, else its sender among those this account wrote to. The recipient is suppressed at
 * once (and the request's sender, if another address), with where it came from.
 */
export async function applyUnsubscribe(
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
