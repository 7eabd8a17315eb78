import type { EngineContext } from '../context';
import { unsyncedTransaction } from '../db/wal-sync';
import type { Classified } from './classify';
import { type Effect, firstSight } from './effect-records';
import { byMessageId, byRecipient, type Candidate, type MailboxOwner } from './matching';

/**
 * A reply or an auto-reply: the message it names (In-Reply-To, References) is marked, with the
 * time it came. An auto-reply that names none is matched by its sender, as out-of-office
 * messages often quote nothing; a reply must name ours.
 */
export async function applyAnswer(
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
