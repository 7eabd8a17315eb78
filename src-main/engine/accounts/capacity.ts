import { sql } from 'kysely';
import { DAY } from '../core/clock';
import type { Db } from '../db/schema';

export interface Capacity {
  sentLast24h: number;
  remaining: number;
  /** When the oldest send in the window turns 24 h old (a slot frees), if any send is in it. */
  nextSlotAt: number | null;
}

/**
 * The rolling 24-hour cap, as Gmail counts it, from the send log alone: stored send times,
 * so neither a restart nor a clock jump forward can free slots that were not freed.
 * Served by the index send_log_account_time.
 */
export async function capacityOf(db: Db, accountEmailNorm: string, dailyCap: number, now: number): Promise<Capacity> {
  const row = await capacityQuery(db, accountEmailNorm, now).executeTakeFirstOrThrow();
  const sent = Number(row.sent);
  return {
    sentLast24h: sent,
    remaining: Math.max(0, dailyCap - sent),
    nextSlotAt: row.oldest == null ? null : row.oldest + DAY,
  };
}

/** Sends by one account in the 24 hours before `now`, and the oldest of them. */
export function capacityQuery(db: Db, accountEmailNorm: string, now: number) {
  return db
    .selectFrom('send_log')
    .select([sql<number>`count(*)`.as('sent'), sql<number | null>`min(sent_at)`.as('oldest')])
    .where('account_email', '=', accountEmailNorm)
    .where('sent_at', '>', now - DAY);
}
