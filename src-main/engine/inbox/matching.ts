import type { Db, MessageRow } from '../db/schema';
import { ourMessageRowId } from '../core/message-ids';

// Which of our messages a mail is about: by the Message-ID it names, or by the address this
// account sent to. Only a message this account sent, that went out, can be the one.

/** The account whose inbox is read. */
export interface MailboxOwner {
  id: number;
  email: string;
  emailNorm: string;
}

/** States of a message that went out: only these can bounce or be answered. */
export const WENT_OUT = ['sent', 'in_doubt', 'bounced'] as const;

export type Candidate = Pick<
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

export const CANDIDATE_COLUMNS = [
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

/** Our message with this Message-ID, sent by this account, that went out. */
export async function byMessageId(trx: Db, owner: MailboxOwner, messageId: string): Promise<Candidate | undefined> {
  const rowId = ourMessageRowId(messageId);
  if (rowId === undefined) return undefined;
  const row = await trx.selectFrom('messages').select(CANDIDATE_COLUMNS).where('id', '=', rowId).executeTakeFirst();
  if (!row || row.message_id?.toLowerCase() !== messageId.trim().toLowerCase()) return undefined;
  if (row.account_id !== owner.id || !(WENT_OUT as readonly string[]).includes(row.status)) return undefined;
  return row;
}

/** The latest message this account sent to the address (served by the partial index messages_went_out). */
export async function byRecipient(trx: Db, owner: MailboxOwner, address: string): Promise<Candidate | undefined> {
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
