import type { Db } from '../db/schema';
import { effectiveState } from './account-state';
import { remainingCapacity } from './capacity';
import type { RotationCandidate } from './rotation';

/** An account that can take sends now, with its capacity at this instant. */
export interface UsableAccount extends RotationCandidate {
  email: string;
  emailNorm: string;
  fromName: string;
  dailyCap: number;
}

/**
 * Accounts that may send now: enabled, state ok (a cooling or limit period that has run out
 * counts as ok), with capacity left in their rolling 24 hours.
 */
export async function usableAccounts(db: Db, now: number): Promise<UsableAccount[]> {
  const rows = await db.selectFrom('accounts').selectAll().where('enabled', '=', 1).orderBy('id').execute();
  const usable: UsableAccount[] = [];
  for (const row of rows) {
    if (effectiveState(row, now) !== 'ok') continue;
    const remaining = await remainingCapacity(db, row.email_norm, row.daily_cap, now);
    if (remaining <= 0) continue;
    usable.push({
      id: row.id,
      email: row.email,
      emailNorm: row.email_norm,
      fromName: row.from_name,
      dailyCap: row.daily_cap,
      remaining,
      lastPickedAt: row.last_picked_at,
    });
  }
  return usable;
}
