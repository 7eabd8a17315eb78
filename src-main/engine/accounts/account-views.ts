import { iso } from '../core/clock';
import type { AccountRow, AccountSecurity, StoredAccountState } from '../db/schema';
import type { Capacity } from './capacity';
import { effectiveState } from './account-state';

// What the API answers about an account (never its password), and how a row becomes one.

export type AccountState = StoredAccountState | 'disabled';

export interface AccountStateDetail {
  explanation: string;
  code?: string;
  response?: string;
}

/** An account as every caller sees it: never with its password. */
export interface Account {
  id: number;
  email: string;
  fromName: string;
  dailyCap: number;
  enabled: boolean;
  state: AccountState;
  stateDetail?: AccountStateDetail;
  /** Until when `cooling` or `limit_reached` lasts. */
  stateUntil?: string;
  sentLast24h: number;
  remaining: number;
  nextSlotAt?: string;
  host: string;
  port: number;
  security: AccountSecurity;
}

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
    sentLast24h: capacity.sentLast24h,
    remaining: capacity.remaining,
    ...(nextSlotAt ? { nextSlotAt } : {}),
    host: row.host,
    port: row.port,
    security: row.security,
  };
}
