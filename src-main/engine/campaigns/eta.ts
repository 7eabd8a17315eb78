import { effectiveState } from '../accounts/account-state';
import { windowSendTimes } from '../accounts/capacity';
import { DAY } from '../core/clock';
import type { Db } from '../db/schema';
import { unfinishedUpTo } from '../db/message-counts';
import type { Settings } from '../../../src-shared/views/settings';

/**
 * When the last of `count` messages will have gone out, from the accounts' remaining capacity,
 * the slots their rolling 24-hour windows will free, and the batch cadence. Each send frees
 * its slot again a day later, so a list larger than the caps is spread over the days it
 * needs. Undefined when no account can ever send (none, all disabled or needing a password).
 */
export function estimateFinish(
  count: number,
  now: number,
  accounts: { dailyCap: number; windowSends: number[]; availableFrom: number }[],
  cadence: { batchSize: number; batchIntervalMs: number; messageDelayMs: number },
): number | undefined {
  if (count <= 0) return now;
  // Every slot the accounts will have, in time order: a free one now (or when the account's
  // cooling ends), or when a send in its window turns a day old.
  const slots: number[] = [];
  for (const account of accounts) {
    const sends = [...account.windowSends].sort((a, b) => a - b).slice(-account.dailyCap);
    for (let i = sends.length; i < account.dailyCap; i++) slots.push(Math.max(now, account.availableFrom));
    for (const sentAt of sends) slots.push(Math.max(sentAt + DAY, account.availableFrom));
  }
  if (slots.length === 0) return undefined;
  slots.sort((a, b) => a - b);
  const capTotal = slots.length;
  // A batch's messages go out messageDelayMs apart; batches start at most every interval.
  const batchSpan = Math.max(cadence.batchIntervalMs, (cadence.batchSize - 1) * cadence.messageDelayMs);
  const sendTimes = new Float64Array(Math.min(count, capTotal));
  // Once a whole round of the caps went out exactly as its slots freed (the cadence never held
  // a send back) and the cadence covers a round in under a day, every later round is that one
  // shifted by a day: jump to the last message instead of walking a million of them.
  const roundCadence = Math.ceil(capTotal / cadence.batchSize) * batchSpan;
  let last = now;
  let roundFollowedSlots = true;
  for (let k = 0; k < count; k++) {
    if (k >= 2 * capTotal && k % capTotal === 0) {
      if (roundFollowedSlots && roundCadence <= DAY) {
        const final = count - 1;
        const rounds = Math.floor((final - (k - capTotal)) / capTotal);
        return sendTimes[final % capTotal]! + rounds * DAY;
      }
      roundFollowedSlots = true;
    }
    const slot = k < capTotal ? slots[k]! : sendTimes[k % capTotal]! + DAY;
    const cadenceTime = now + Math.floor(k / cadence.batchSize) * batchSpan + (k % cadence.batchSize) * cadence.messageDelayMs;
    last = Math.max(slot, cadenceTime, last);
    if (last !== slot) roundFollowedSlots = false;
    sendTimes[k % capTotal] = last;
  }
  return last;
}

/** The inputs estimateFinish needs, read from the database. */
export async function accountsForEstimate(db: Db, now: number) {
  const rows = await db.selectFrom('accounts').selectAll().orderBy('id').execute();
  const accounts = [];
  for (const row of rows) {
    const state = effectiveState(row, now);
    if (state === 'disabled' || state === 'auth_failed') continue;
    accounts.push({
      dailyCap: row.daily_cap,
      windowSends: await windowSendTimes(db, row.email_norm, now),
      availableFrom: state === 'ok' ? now : (row.state_until ?? now),
    });
  }
  return accounts;
}

/**
 * The campaign's ETA: its own unsent messages go after those of campaigns queued before it.
 * Undefined for a campaign with nothing left, or when no account can send.
 */
export async function campaignEta(db: Db, campaignId: number, settings: Settings, now: number): Promise<number | undefined> {
  const campaign = await db.selectFrom('campaigns').select(['queue_seq', 'status', 'send_after']).where('id', '=', campaignId).executeTakeFirst();
  if (!campaign || campaign.queue_seq === null || !['queued', 'sending', 'paused'].includes(campaign.status)) return undefined;
  const count = await unfinishedUpTo(db, campaign.queue_seq);
  if (count === 0) return undefined;
  const start = Math.max(now, campaign.send_after ?? now);
  return estimateFinish(count, start, await accountsForEstimate(db, now), {
    batchSize: settings.batchSize,
    batchIntervalMs: settings.batchIntervalSeconds * 1000,
    messageDelayMs: settings.messageDelayMs,
  });
}
