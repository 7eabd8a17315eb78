import { sql } from 'kysely';
import { DAY } from '../core/clock';
import type { Db } from '../db/schema';

export interface Capacity {
  /** Sends that went out in the last 24 hours (campaign and test sends). */
  sentLast24h: number;
  /** Sends claimed by the batch in progress and not finished yet: they already count against the cap. */
  inFlight: number;
  remaining: number;
  /** When the oldest send in the window turns 24 h old (a slot frees), if any send is in it. */
  nextSlotAt: number | null;
}

/**
 * The rolling 24-hour cap, as Gmail counts it, from the send log alone: stored send times,
 * so neither a restart nor a clock jump forward can free slots that were not freed.
 * Served by the index send_log_account_time. A send claimed but not yet made counts against
 * the cap (its row is written by the claim) but is told apart, so that "sent in 24 h" says
 * what went out, as the campaign counts and the chart do.
 */
export async function capacityOf(db: Db, accountEmailNorm: string, dailyCap: number, now: number): Promise<Capacity> {
  const row = await capacityQuery(db, accountEmailNorm, now).executeTakeFirstOrThrow();
  const counted = Number(row.sent);
  const inFlight = counted > 0 ? await inFlightQuery(db, accountEmailNorm, now) : 0;
  return {
    sentLast24h: counted - inFlight,
    inFlight,
    remaining: Math.max(0, dailyCap - counted),
    nextSlotAt: row.oldest == null ? null : row.oldest + DAY,
  };
}

/** Sends by one account in the 24 hours before `now` (made or claimed), and the oldest of them. */
export function capacityQuery(db: Db, accountEmailNorm: string, now: number) {
  return db
    .selectFrom('send_log')
    .select([sql<number>`count(*)`.as('sent'), sql<number | null>`min(sent_at)`.as('oldest')])
    .where('account_email', '=', accountEmailNorm)
    .where('sent_at', '>', now - DAY);
}

/** Of those, the ones whose message is still being sent. */
async function inFlightQuery(db: Db, accountEmailNorm: string, now: number): Promise<number> {
  const row = await db
    .selectFrom('send_log')
    .select(sql<number>`count(*)`.as('n'))
    .where('account_email', '=', accountEmailNorm)
    .where('sent_at', '>', now - DAY)
    .where('message_id', 'in', (eb) => eb.selectFrom('messages').select('id').where('status', '=', 'sending'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
