// What the forecast and the status line read from the database: the campaigns and their
// counts, the accounts with their rolling windows, read together (the caller's transaction).
import { sql } from 'kysely';
import { effectiveState } from '../accounts/account-state';
import { windowSendTimes } from '../accounts/capacity';
import { DAY } from '../core/clock';
import type { Db } from '../db/schema';
import type { AccountRow, CampaignRow } from '../db/schema';
import type { MessageCounts } from '../db/message-counts';
import { shownCounts } from './campaign-views';
import { MESSAGE_STATUSES } from '../db/schema';
import type { AccountState } from '../../../src-shared/views/accounts';
import type { Settings } from '../../../src-shared/views/settings';
import type { ForecastAccount, ForecastCampaign, ForecastInput } from './forecast';

export type CampaignSummaryRow = Pick<
  CampaignRow,
  'id' | 'name' | 'status' | 'status_detail' | 'rehearsal' | 'send_after' | 'stop_after' | 'queue_seq'
>;

export interface AccountWindow {
  row: AccountRow;
  state: AccountState;
  /** Send times in its rolling 24 hours (made, or claimed by the batch in progress), oldest first. */
  windowSends: number[];
  /** Of those, the ones still being sent. */
  inFlight: number;
}

export interface StoredState {
  /** Every visible campaign, newest first, without its content. */
  campaigns: CampaignSummaryRow[];
  counts: Map<number, MessageCounts>;
  accounts: AccountWindow[];
}

/** Reads what the forecast and the status line need. Run it in one transaction for one truth. */
export async function readSendingState(db: Db, now: number): Promise<StoredState> {
  const campaigns = await db
    .selectFrom('campaigns')
    .select(['id', 'name', 'status', 'status_detail', 'rehearsal', 'send_after', 'stop_after', 'queue_seq'])
    .where('importing', '=', 0)
    .orderBy('id', 'desc')
    .execute();
  const countRows = await db.selectFrom('campaign_message_counts').select(['campaign_id', 'status', 'n']).where('n', '>', 0).execute();
  const counts = new Map<number, MessageCounts>();
  for (const c of campaigns) counts.set(c.id, emptyCounts());
  for (const r of countRows) {
    const c = counts.get(r.campaign_id);
    if (c) c[r.status] = Number(r.n);
  }
  // A draft's recipients are stored queued and are, for the status and the forecast, pending.
  for (const c of campaigns) counts.set(c.id, shownCounts(c.status, counts.get(c.id)!));

  const rows = await db.selectFrom('accounts').selectAll().orderBy('id').execute();
  const inFlightRows = await db
    .selectFrom('send_log')
    .select(['account_email', sql<number>`count(*)`.as('n')])
    .where('sent_at', '>', now - DAY)
    .where('message_id', 'in', (eb) => eb.selectFrom('messages').select('id').where('status', '=', 'sending'))
    .groupBy('account_email')
    .execute();
  const inFlight = new Map(inFlightRows.map((r) => [r.account_email, Number(r.n)]));
  const accounts: AccountWindow[] = [];
  for (const row of rows) {
    // Trickle's sends and, one per recipient, what the account sent outside it (its Sent Mail).
    const sends = (await windowSendTimes(db, row.email_norm, now)).sort((a, b) => a - b);
    accounts.push({
      row,
      state: effectiveState(row, now),
      windowSends: sends,
      inFlight: inFlight.get(row.email_norm) ?? 0,
    });
  }
  return { campaigns, counts, accounts };
}

function emptyCounts(): MessageCounts {
  return Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, 0])) as MessageCounts;
}

/** The campaigns that send, in the order they send: queued or sending, oldest queued first. */
export function sendingOrder(state: StoredState): CampaignSummaryRow[] {
  return state.campaigns
    .filter((c) => (c.status === 'queued' || c.status === 'sending') && c.queue_seq !== null)
    .sort((a, b) => a.queue_seq! - b.queue_seq!);
}

/** The forecast's view of the stored state: the accounts that can ever send, the campaigns in order. */
export function forecastInput(
  state: StoredState,
  now: number,
  settings: Settings,
  options: { nextTickAt?: number | undefined; countBefore?: number | undefined; after?: ForecastCampaign | undefined } = {},
): ForecastInput {
  const accounts: ForecastAccount[] = state.accounts
    // Disabled, or needing a new password: they send nothing until the user acts.
    .filter((a) => a.state !== 'disabled' && a.state !== 'auth_failed')
    .map((a) => ({
      id: a.row.id,
      dailyCap: a.row.daily_cap,
      windowSends: a.windowSends,
      availableFrom: a.state === 'ok' ? now : (a.row.state_until ?? now),
      paceMs: a.row.pace_ms,
      lastPickedAt: a.row.last_picked_at,
    }));
  const campaigns: ForecastCampaign[] = sendingOrder(state).map((c) => {
    const counts = state.counts.get(c.id)!;
    return {
      id: c.id,
      left: counts.queued + counts.retry_wait,
      inFlight: counts.sending,
      rehearsal: c.rehearsal === 1,
      sendAfter: c.send_after,
      stopAfter: c.stop_after,
    };
  });
  if (options.after) campaigns.push(options.after);
  return {
    now,
    nextTickAt: options.nextTickAt,
    accounts,
    campaigns,
    cadence: {
      batchSize: settings.batchSize,
      batchIntervalMs: settings.batchIntervalSeconds * 1000,
      messageDelayMs: settings.messageDelayMs,
    },
    countBefore: options.countBefore,
  };
}
