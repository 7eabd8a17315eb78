import type { Db } from './schema';
import { MESSAGE_STATUSES, type MessageStatus } from './schema';
import type { MessageCounts, ReplyCounts } from '../../../src-shared/views/campaigns';

export type { MessageCounts };
/** Statuses of messages still to be sent (or waiting for a retry). */
export const UNFINISHED: MessageStatus[] = ['queued', 'sending', 'retry_wait'];

/**
 * Every read of "how many messages" goes through here, to the per-campaign counters kept by
 * triggers (migration 0006): a few rows per campaign, however long its list. These are the
 * stored statuses: a draft's recipients are stored `queued` (import-storage.ts), and
 * campaign-views.ts shows them as `pending`.
 */
export async function countMessages(db: Db, campaignId: number): Promise<MessageCounts> {
  const rows = await db.selectFrom('campaign_message_counts').select(['status', 'n']).where('campaign_id', '=', campaignId).execute();
  return toCounts(rows);
}

/** Messages in each status across all campaigns but drafts (whose messages wait for the draft to be queued). */
export async function countAllMessages(db: Db, statuses: MessageStatus[]): Promise<MessageCounts> {
  const rows = await db
    .selectFrom('campaign_message_counts')
    .select((eb) => ['campaign_message_counts.status', eb.fn.sum<number>('n').as('n')])
    .where('campaign_message_counts.status', 'in', statuses)
    .where('campaign_id', 'not in', (eb) => eb.selectFrom('campaigns').select('id').where('status', '=', 'draft'))
    .groupBy('campaign_message_counts.status')
    .execute();
  return toCounts(rows);
}

/** Unfinished messages of the sendable campaigns queued up to (and including) `queueSeq`: the sends ahead of its last one. */
export async function unfinishedUpTo(db: Db, queueSeq: number): Promise<number> {
  const row = await db
    .selectFrom('campaign_message_counts')
    .innerJoin('campaigns', 'campaigns.id', 'campaign_message_counts.campaign_id')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('campaign_message_counts.n'), eb.lit(0)).as('n'))
    .where('campaign_message_counts.status', 'in', UNFINISHED)
    .where('campaigns.status', 'in', ['queued', 'sending'])
    .where('campaigns.queue_seq', '<=', queueSeq)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function toCounts(rows: { status: MessageStatus; n: number | string }[]): MessageCounts {
  const counts = Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, 0])) as MessageCounts;
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}

/**
 * How many of a campaign's messages were answered, auto-answered or unsubscribed (PRODUCT.md
 * §5b): each served by its partial index (migration 0011), which holds only marked messages.
 */
export async function countReplies(db: Db, campaignId: number): Promise<ReplyCounts> {
  const count = async (column: 'replied_at' | 'auto_replied_at' | 'unsubscribed_at') =>
    Number(
      (
        await db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('campaign_id', '=', campaignId)
          .where(column, 'is not', null)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { replied: await count('replied_at'), autoReplied: await count('auto_replied_at'), unsubscribed: await count('unsubscribed_at') };
}
