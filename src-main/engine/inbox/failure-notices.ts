import type { EngineContext } from '../context';
import { unsyncedTransaction } from '../db/wal-sync';
import type { InboxNoticeKind } from '../db/schema';
import type { Classified, NoticeRecipient } from './classify';
import { type Effect, firstSight, suppress } from './effect-records';
import { byMessageId, byRecipient, type Candidate, type MailboxOwner } from './matching';
import { bounceExplanation } from './notice-words';

/**
 * A failure notice: matched to the message by the original's Message-ID, else (when the notice
 * names none) by the failed recipient among what this account sent. A notice naming a message
 * that is not ours, was sent by another account, or went to another address is a lie or a
 * mistake: nothing changes.
 */
export async function applyNotice(
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
