// The status line's one truth: the whole sending status — state, counts, every campaign's
// progress, sent in 24 h, capacity, next batch, why and until when it waits, the forecast —
// computed from one read transaction. The window's top bar, its Progress and campaign pages and
// the tray all show this one answer, so their numbers agree at every moment.
import { iso } from '../core/clock';
import type { EngineContext } from '../context';
import type { MessageCounts } from '../db/message-counts';
import { readTransaction } from '../db/read-transaction';
import type { MessageStatus } from '../db/schema';
import type { Settings } from '../../../src-shared/views/settings';
import type { BatchInfo, CampaignProgress, SendingState, SendingStatus } from '../../../src-shared/views/sending';
import { toBatchInfo } from './batch-info';
import { atTime, noAccountReason } from './waiting-words';
import { type ForecastResult, forecastRun } from '../campaigns/forecast';
import { type AccountWindow, type StoredState, forecastInput, readSendingState, sendingOrder } from '../campaigns/forecast-inputs';

export interface StatusExtra {
  settings: Settings;
}

/** Statuses a message leaves the bar at without having been attempted: not progress. */
const NOT_PROGRESS: readonly MessageStatus[] = ['pending', 'queued', 'sending', 'retry_wait', 'skipped', 'cancelled', 'expired'];

export async function sendingStatus(ctx: EngineContext, { settings }: StatusExtra): Promise<SendingStatus> {
  const now = ctx.clock.now();
  const { state, lastBatch } = await readTransaction(ctx.db, async (trx) => ({
    state: await readSendingState(trx, now),
    lastBatch: await trx
      .selectFrom('batches')
      .selectAll()
      .where('finished_at', 'is not', null)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst(),
  }));
  return composeStatus(state, {
    now,
    settings,
    paused: ctx.sending.paused(),
    nextTickAt: ctx.sending.nextTickAt(),
    nextRetryAt: ctx.sending.nextRetryAt(),
    batchFailure: ctx.sending.batchFailure(),
    lastBatch: lastBatch ? toBatchInfo(lastBatch) : undefined,
  });
}

interface Moment {
  now: number;
  settings: Settings;
  paused: boolean;
  nextTickAt: number | undefined;
  nextRetryAt: number | undefined;
  batchFailure: string | undefined;
  lastBatch: BatchInfo | undefined;
}

/** The status from what was read: pure, so every caller computes it the same way. */
export function composeStatus(state: StoredState, m: Moment): SendingStatus {
  const { now } = m;
  const open = state.campaigns.filter((c) => c.status === 'queued' || c.status === 'sending' || c.status === 'paused');
  const sum = (status: MessageStatus, of = open) => of.reduce((n, c) => n + state.counts.get(c.id)![status], 0);
  const queued = sum('queued');
  const retryWaiting = sum('retry_wait');
  const inFlight = sum('sending', state.campaigns);

  const usable = state.accounts.filter((a) => a.state === 'ok' && remainingOf(a) > 0);
  const capacityLeft = usable.reduce((n, a) => n + remainingOf(a), 0);
  const dailyCapacity = state.accounts
    .filter((a) => a.state !== 'disabled' && a.state !== 'auth_failed')
    .reduce((n, a) => n + a.row.daily_cap, 0);
  const sentLast24h = state.accounts.reduce((n, a) => n + a.windowSends.length - a.inFlight, 0);

  // Which campaigns could send now, and what holds the others.
  const sending = sendingOrder(state);
  const leftOf = (id: number) => {
    const c = state.counts.get(id)!;
    return c.queued + c.sending + c.retry_wait;
  };
  const withWork = sending.filter((c) => leftOf(c.id) > 0);
  const due = withWork.filter((c) => (c.send_after === null || c.send_after <= now) && (c.stop_after === null || c.stop_after > now));
  const claimable = due.some((c) => state.counts.get(c.id)!.queued > 0 && (c.rehearsal === 1 || capacityLeft > 0));
  const capacityHold = due.some((c) => c.rehearsal === 0 && state.counts.get(c.id)!.queued > 0) && capacityLeft === 0;
  const noCapacity = capacityHold ? noAccountReason(state.accounts, now) : undefined;

  let stateWord: SendingState;
  /** Why, without a time (the window and tray write `resumesAt` in the user's format). */
  let waitingReason: string | undefined;
  /** The same with the time in words, for the API's `waitingReason` (scripts, logs). */
  let waitingText: string | undefined;
  let resumesAt: number | undefined;
  if (m.paused) {
    // The switch is on, whether or not anything waits: nothing would go.
    stateWord = 'paused';
    waitingReason = 'Sending is paused. Resume to carry on.';
  } else if (m.batchFailure && (withWork.length > 0 || inFlight > 0)) {
    // A batch an error cut short leaves its messages in `sending` until the next one settles them.
    stateWord = 'waiting';
    waitingReason = m.batchFailure;
  } else if (inFlight > 0 || claimable) {
    stateWord = 'sending';
  } else if (withWork.length === 0) {
    const pausedWithWork = open.filter((c) => c.status === 'paused' && leftOf(c.id) > 0);
    stateWord = pausedWithWork.length > 0 ? 'paused' : 'idle';
    if (stateWord === 'paused') {
      waitingReason =
        pausedWithWork.length === 1
          ? 'The campaign with messages left is paused: resume it to carry on.'
          : 'Every campaign with messages left is paused: resume one to carry on.';
    }
  } else {
    stateWord = 'waiting';
    if (noCapacity) ({ reason: waitingReason, text: waitingText, until: resumesAt } = noCapacity);
    else if (due.length === 0) {
      const starts = withWork.map((c) => c.send_after).filter((t): t is number => t !== null && t > now);
      resumesAt = starts.length > 0 ? Math.min(...starts) : undefined;
      waitingReason = 'Scheduled: the next campaign starts later.';
      if (resumesAt !== undefined) waitingText = `Scheduled: the next campaign starts ${atTime(resumesAt, now)}.`;
    } else {
      const retries = sum('retry_wait', withWork);
      waitingReason = `${count(retries)} message${retries === 1 ? ' waits' : 's wait'} to be tried again after a temporary refusal.`;
      resumesAt = m.nextRetryAt;
    }
  }

  // The forecast: one simulated run of the scheduler for every campaign at once.
  let forecast: ForecastResult | undefined;
  if (!m.paused && withWork.length > 0) {
    forecast = forecastRun(forecastInput(state, now, m.settings, { nextTickAt: m.nextTickAt }));
  }

  const campaigns = state.campaigns.map((c): CampaignProgress => {
    const counts = state.counts.get(c.id)!;
    const progress = progressOf(counts);
    const left = leftOf(c.id);
    const eta = forecast?.campaigns.get(c.id)?.finishAt;
    const hold =
      left > 0 && (c.status === 'queued' || c.status === 'sending') ? campaignHold(c, counts, m, noCapacity, stateWord) : undefined;
    return {
      id: c.id,
      name: c.name,
      status: c.status,
      rehearsal: c.rehearsal === 1,
      ...(c.status_detail ? { statusDetail: c.status_detail } : {}),
      counts,
      ...progress,
      left,
      ...(eta !== undefined && left > 0 ? { eta: iso(eta)! } : {}),
      ...(hold ? { waiting: { reason: hold.reason, ...(hold.until !== undefined ? { until: iso(hold.until)! } : {}) } } : {}),
    };
  });

  const nextBatchAt = stateWord === 'sending' && m.nextTickAt !== undefined ? iso(m.nextTickAt) : undefined;
  const eta = forecast?.allDoneAt;
  return {
    at: iso(now)!,
    state: stateWord,
    paused: m.paused,
    queued,
    inFlight,
    retryWaiting,
    sentLast24h,
    capacityLeft,
    dailyCapacity,
    ...(nextBatchAt ? { nextBatchAt } : {}),
    ...(waitingReason ? { waitingReason: waitingText ?? waitingReason } : {}),
    ...(resumesAt !== undefined && stateWord === 'waiting' ? { resumesAt: iso(resumesAt)! } : {}),
    ...(waitingReason
      ? { waiting: { reason: waitingReason, ...(resumesAt !== undefined && stateWord === 'waiting' ? { until: iso(resumesAt)! } : {}) } }
      : {}),
    ...(eta !== undefined && (stateWord === 'sending' || stateWord === 'waiting') ? { eta: iso(eta)! } : {}),
    ...(m.lastBatch ? { lastBatch: m.lastBatch } : {}),
    campaigns,
    accountsNeedingAttention: state.accounts.filter((a) => a.state === 'auth_failed').length,
  };
}

/** The bar: outcomes reached, of the messages to send; whole percent, 100 only when all are done. */
export function progressOf(counts: MessageCounts): { total: number; done: number; of: number; percent: number } {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const of = total - counts.skipped;
  const done = (Object.keys(counts) as MessageStatus[]).filter((s) => !NOT_PROGRESS.includes(s)).reduce((n, s) => n + counts[s], 0);
  const percent = of <= 0 ? 0 : done >= of ? 100 : Math.floor((done / of) * 100);
  return { total, done, of, percent };
}

/** Why one campaign with messages left is not sending now, if it is not. */
function campaignHold(
  c: { send_after: number | null; rehearsal: number },
  counts: MessageCounts,
  m: Moment,
  noCapacity: { reason: string; until: number | undefined } | undefined,
  state: SendingState,
): { reason: string; until?: number } | undefined {
  if (m.paused) return { reason: 'Sending is paused. Resume to carry on.' };
  if (c.send_after !== null && c.send_after > m.now) return { reason: 'Scheduled to start later.', until: c.send_after };
  if (counts.sending > 0) return undefined;
  if (c.rehearsal === 0 && counts.queued > 0 && noCapacity)
    return { reason: noCapacity.reason, ...(noCapacity.until !== undefined ? { until: noCapacity.until } : {}) };
  if (counts.queued === 0 && counts.retry_wait > 0) {
    return {
      reason: 'Its last messages wait to be tried again after a temporary refusal.',
      ...(m.nextRetryAt !== undefined ? { until: m.nextRetryAt } : {}),
    };
  }
  if (state === 'waiting' && m.batchFailure) return { reason: m.batchFailure };
  return undefined;
}

function remainingOf(a: AccountWindow): number {
  return Math.max(0, a.row.daily_cap - a.windowSends.length);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
