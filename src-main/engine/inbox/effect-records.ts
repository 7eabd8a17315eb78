import type { Db, InboxNoticeKind } from '../db/schema';
import type { MailboxOwner } from './matching';

// What every effect writes besides its own change: the mail's key, so that it acts once, and
// an address on the suppression list. And what one mail changed, for the look's result.

/** What one mail changed, for the look's result. */
export type Effect =
  | { kind: 'bounced'; messageId: number; campaignId: number }
  | { kind: 'delayed'; messageId: number }
  | { kind: 'unsubscribed'; messageId: number; campaignId: number }
  | { kind: 'replied'; messageId: number; campaignId: number }
  | { kind: 'auto_replied'; messageId: number; campaignId: number }
  | { kind: 'none' };

/** Records the mail's key; false if it was seen before (it then does nothing again). */
export async function firstSight(
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
export async function suppress(
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
