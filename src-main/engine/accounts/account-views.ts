import { iso } from '../core/clock';
import type { AccountRow } from '../db/schema';
import type { Account, AccountStateDetail, InboxStatus } from '../../../src-shared/views/accounts';
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
    sentOutsideLast24h: capacity.sentOutsideLast24h,
    ...(row.imap_host ? { imapHost: row.imap_host } : {}),
    ...(row.imap_host && row.imap_port ? { imapPort: row.imap_port } : {}),
    ...(row.imap_host && row.imap_security ? { imapSecurity: row.imap_security } : {}),
    watchInbox: row.watch_inbox === 1,
    inbox: inboxStatus(row),
  };
}

export function inboxStatus(
  row: Pick<AccountRow, 'imap_host' | 'watch_inbox' | 'inbox_state' | 'inbox_checked_at' | 'inbox_detail'>,
): InboxStatus {
  const lastCheckAt = iso(row.inbox_checked_at);
  const when = lastCheckAt ? { lastCheckAt } : {};
  if (!row.imap_host)
    return { state: 'off', ...when, detail: 'No IMAP server is set for this account: give one (Advanced) to watch its mailbox.' };
  if (!row.watch_inbox)
    return {
      state: 'off',
      ...when,
      detail: 'Watching this mailbox is turned off: bounces, unsubscribe requests and replies are not read.',
    };
  if (!row.inbox_state) return { state: 'ok', detail: 'Not looked at yet.' };
  return { state: row.inbox_state, ...when, ...(row.inbox_detail ? { detail: row.inbox_detail } : {}) };
}
