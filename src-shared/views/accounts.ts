import type { AccountSecurity, StoredAccountState } from '../states';

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
