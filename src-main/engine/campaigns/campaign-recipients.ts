/**
 * The bulk work on a campaign's recipients — skipping suppressed addresses, changing the status
 * of many messages, any look over all of them — done a range of message ids at a time, in many
 * small transactions, each about one time slice long (`TimeSlicer`), with the event loop given
 * a turn between them. One transaction over a million rows would end in a commit and a WAL
 * checkpoint that hold the app up for half a second or more; small ones commit in
 * milliseconds. Storing an import is in import-storage.ts, the merge-field checks in
 * merge-checks.ts, what a crash left of this work in bulk-recovery.ts.
 */
import { sql } from 'kysely';
import type { Db } from '../db/schema';
import { unsyncedTransaction } from '../db/wal-sync';
import type { MessageStatus } from '../db/schema';
import type { TimeSlicer } from '../core/time-slice';

/** How each kind of skipped row's reason begins (a copy re-checks suppressed rows, keeps the rest). */
export const SKIPPED_INVALID = 'Invalid address: ';
export const SKIPPED_DUPLICATE = 'Duplicate of row ';
export const SKIPPED_SUPPRESSED = 'On the suppression list (';

/** Messages not yet sent nor being sent: what a cancel or a stop time ends. */
export const NOT_YET_SENT: MessageStatus[] = ['pending', 'queued', 'retry_wait'];

/** Message ids per UPDATE or check over a campaign: about 10 ms of work each. */
const ID_SPAN = 2_500;

/**
 * One slice of work on a campaign nothing can see or send yet, committed without waiting for
 * the disk (`synchronous = NORMAL`, on this connection, for this transaction only): the
 * final step that makes the campaign visible or sendable commits with the engine's FULL
 * sync, and its fsync makes the WAL durable up to it, slices included. A power cut before
 * then loses only work the next start would discard anyway. Saves one fsync per slice.
 */
export const stagedTransaction = unsyncedTransaction;

/** Recipients not yet sent whose address is on the suppression list become `skipped` (a draft's, as it is imported, copied or queued). */
export async function skipSuppressed(db: Db, campaignId: number, now: number, slicer: TimeSlicer): Promise<number> {
  const anySuppressed = await db.selectFrom('suppressions').select('email_norm').limit(1).executeTakeFirst();
  if (!anySuppressed) return 0;
  let skipped = 0;
  await forEachIdRange(db, campaignId, slicer, async (from, to) => {
    const result = await stagedTransaction(db, (trx) =>
      trx
        .updateTable('messages')
        .set({
          status: 'skipped',
          skip_reason: sql<string>`${SKIPPED_SUPPRESSED} || (select reason from suppressions s where s.email_norm = messages.email_norm) || ').'`,
          updated_at: now,
        })
        .where('campaign_id', '=', campaignId)
        .where('status', '=', 'queued')
        .where('id', '>=', from)
        .where('id', '<', to)
        .where('email_norm', 'in', (qb) => qb.selectFrom('suppressions').select('email_norm'))
        .executeTakeFirst(),
    );
    skipped += Number(result.numUpdatedRows);
  });
  return skipped;
}

/**
 * Calls `work` for consecutive ranges of the campaign's message ids, [from, to), giving the
 * event loop a turn between ranges when the slice's time is used up. A campaign's messages
 * are stored together, in file order, so its ids are (nearly) contiguous.
 */
export async function forEachIdRange(
  db: Db,
  campaignId: number,
  slicer: TimeSlicer,
  work: (from: number, to: number) => Promise<void>,
): Promise<void> {
  // Two lookups at the ends of messages_campaign_order: min() and max() in one query would
  // read every entry of the campaign in between.
  const end = (direction: 'asc' | 'desc') =>
    db.selectFrom('messages').select('id').where('campaign_id', '=', campaignId).orderBy('id', direction).limit(1).executeTakeFirst();
  const first = await end('asc');
  const last = await end('desc');
  if (!first || !last) return;
  for (let from = first.id; from <= last.id; from += ID_SPAN) {
    await work(from, from + ID_SPAN);
    await slicer.maybeYield();
  }
}

/**
 * Moves the campaign's messages in `from` statuses to `to`, a range of ids at a time: for
 * cancelling or expiring a big campaign without holding the app up. The caller has already
 * made sure nothing claims from the campaign meanwhile (its status, or its stop time).
 */
export async function setMessagesStatus(
  db: Db,
  campaignId: number,
  from: MessageStatus[],
  to: MessageStatus,
  now: number,
  slicer: TimeSlicer,
): Promise<number> {
  let changed = 0;
  await forEachIdRange(db, campaignId, slicer, async (first, end) => {
    const result = await db
      .updateTable('messages')
      .set({ status: to, updated_at: now })
      .where('campaign_id', '=', campaignId)
      .where('status', 'in', from)
      .where('id', '>=', first)
      .where('id', '<', end)
      .executeTakeFirst();
    changed += Number(result.numUpdatedRows);
  });
  return changed;
}
