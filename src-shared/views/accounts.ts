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
  /** When a login last succeeded (a check, or a message the server accepted); absent: not checked yet. */
  verifiedAt?: string;
  /** The measured time one message takes on this account (ms, a moving average of recent sends). */
  paceMs?: number;
  /** Sends that went out in the last 24 hours (rolling, as Gmail counts). */
  sentLast24h: number;
  /** Sends being made right now (claimed by the batch in progress): they count against the cap already. */
  inFlight: number;
  remaining: number;
  /** When the oldest send in the window turns 24 h old: the next slot ("At cap until …" when none is left). */
  nextSlotAt?: string;
  host: string;
  port: number;
  security: AccountSecurity;
}
