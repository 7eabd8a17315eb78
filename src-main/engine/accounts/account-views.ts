import { iso } from '../core/clock';
import type { AccountRow } from '../db/schema';
import type { Account, AccountStateDetail } from '../../../src-shared/views/accounts';
import type { Capacity } from './capacity';
import { effectiveState } from './account-state';

// What the API answers about an account (never its password), and how a row becomes one.

export function toAccount(row: AccountRow, capacity: Capacity, now: number): Account {
  const state = effectiveState(row, now);
  const detail = state !== 'ok' && row.state_detail ? (JSON.parse(row.state_detail) as AccountStateDetail) : undefined;
  const until = state === 'cooling' || state === 'limit_reached' ? iso(row.state_until) : undefined;
  const nextSlotAt = iso(capacity.nextSlotAt);
  return {
    id: row.id,
    email: row.email,
    fromName: row.from_name,
    dailyCap: row.daily_cap,
    enabled: row.enabled === 1,
    state,
    ...(detail ? { stateDetail: detail } : {}),
    ...(until ? { stateUntil: until } : {}),
    ...(row.verified_at != null ? { verifiedAt: iso(row.verified_at)! } : {}),
    ...(row.pace_ms != null ? { paceMs: Math.round(row.pace_ms) } : {}),
    sentLast24h: capacity.sentLast24h,
    inFlight: capacity.inFlight,
    remaining: capacity.remaining,
    ...(nextSlotAt ? { nextSlotAt } : {}),
    host: row.host,
    port: row.port,
    security: row.security,
  };
}
