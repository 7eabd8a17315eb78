import { sql } from 'kysely';
import { DAY } from '../core/clock';
import type { Db } from '../db/schema';

export interface Capacity {
  /** Sends that went out in the last 24 h: Trickle's, plus the recipients of mail sent outside it. */
  sentLast24h: number;
  /** Of those, the recipients of what the account sent outside Trickle (read from its Sent Mail). */
  sentOutsideLast24h: number;
  /** Sends claimed by the batch in progress and not made yet: they count against the cap already, apart from the above. */
  inFlight: number;
  remaining: number;
  /** When the oldest send in the window turns 24 h old (a slot frees), if any send is in it. */
  nextSlotAt: number | null;
}

/**
 * The rolling 24-hour cap, as Gmail counts it: Trickle's sends from the send log, plus what the
 * account sent outside Trickle, by recipients, as its Sent Mail showed (PRODUCT.md §5b). Stored
 * send times only, so neither a restart nor a clock jump forward can free slots that were not
 * freed. Served by the indexes send_log_account_time and outside_sends_account_time. A send
 * claimed but not yet made counts against the cap (the claim writes its row) but is told apart,
 * so that "sent in 24 h" says what went out, as the campaign counts and the chart do.
 */
export async function capacityOf(db: Db, accountEmailNorm: string, dailyCap: number, now: number): Promise<Capacity> {
  const row = await capacityQuery(db, accountEmailNorm, now).executeTakeFirstOrThrow();
  const outside = await outsideQuery(db, accountEmailNorm, now).executeTakeFirstOrThrow();
  const sentOutside = Number(outside.recipients ?? 0);
  const counted = Number(row.sent) + sentOutside;
  const inFlight = Number(row.sent) > 0 ? await inFlightQuery(db, accountEmailNorm, now) : 0;
  const oldest = [row.oldest, outside.oldest].filter((t): t is number => t != null);
  return {
    sentLast24h: counted - inFlight,
    sentOutsideLast24h: sentOutside,
    inFlight,
    remaining: Math.max(0, dailyCap - counted),
    nextSlotAt: oldest.length === 0 ? null : Math.min(...oldest) + DAY,
  };
}

/** What the account may still send now (the claim's path: the count only, not what is in flight). */
export async function remainingCapacity(db: Db, accountEmailNorm: string, dailyCap: number, now: number): Promise<number> {
  const row = await capacityQuery(db, accountEmailNorm, now).executeTakeFirstOrThrow();
  const outside = await outsideQuery(db, accountEmailNorm, now).executeTakeFirstOrThrow();
  return Math.max(0, dailyCap - Number(row.sent) - Number(outside.recipients ?? 0));
}

/** Sends by one account in the 24 hours before `now`, and the oldest of them. */
export function capacityQuery(db: Db, accountEmailNorm: string, now: number) {
  return db
    .selectFrom('send_log')
    .select([sql<number>`count(*)`.as('sent'), sql<number | null>`min(sent_at)`.as('oldest')])
    .where('account_email', '=', accountEmailNorm)
    .where('sent_at', '>', now - DAY);
}

/** Of Trickle's sends in the window, the ones whose message is still being sent. */
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

/** Recipients of what the account sent outside Trickle in the 24 hours before `now`, and the oldest such send. */
export function outsideQuery(db: Db, accountEmailNorm: string, now: number) {
  return db
    .selectFrom('outside_sends')
    .select([sql<number | null>`sum(recipients)`.as('recipients'), sql<number | null>`min(sent_at)`.as('oldest')])
    .where('account_email', '=', accountEmailNorm)
    .where('sent_at', '>', now - DAY)
    .where('recipients', '>', 0);
}

/** The times of every send in the window, one per recipient for outside sends (the ETA's input). */
export async function windowSendTimes(db: Db, accountEmailNorm: string, now: number): Promise<number[]> {
  const own = await db
    .selectFrom('send_log')
    .select('sent_at')
    .where('account_email', '=', accountEmailNorm)
    .where('sent_at', '>', now - DAY)
    .execute();
  const outside = await db
    .selectFrom('outside_sends')
    .select(['sent_at', 'recipients'])
    .where('account_email', '=', accountEmailNorm)
    .where('sent_at', '>', now - DAY)
    .execute();
  return [...own.map((s) => s.sent_at), ...outside.flatMap((o) => Array<number>(o.recipients).fill(o.sent_at))];
}
