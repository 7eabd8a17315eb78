// The status line's one truth: the whole sending status — state, counts, every campaign's
// progress, sent in 24 h, capacity, next batch, why and until when it waits, the forecast —
// computed from one read transaction. The window's top bar, its Progress and campaign pages and
// the tray all show this one answer, so their numbers agree at every moment.
import { DAY, iso } from '../core/clock';
import type { EngineContext } from '../context';
import type { MessageCounts } from '../db/message-counts';
import { readTransaction } from '../db/read-transaction';
import type { MessageStatus } from '../db/schema';
import type { Settings } from '../../../src-shared/views/settings';
import type { BatchInfo, CampaignProgress, SendingState, SendingStatus } from '../../../src-shared/views/sending';
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

/**
 * Why no account can send, and when one can again (the earliest slot or end of a cooling
 * period): said without a clock time (the window and tray write `until` in the user's own
 * format), and with one, in words, for the API's `waitingReason`.
 */
function noAccountReason(accounts: AccountWindow[], now: number): { reason: string; text: string; until: number | undefined } {
  const blocked = { cap: 0, cooling: 0, limit: 0, auth: 0, disabled: 0 };
  let until: number | undefined;
  const resume = (t: number | null | undefined) => {
    if (t != null && t > now && (until === undefined || t < until)) until = t;
  };
  for (const a of accounts) {
    if (a.state === 'disabled') blocked.disabled++;
    else if (a.state === 'auth_failed') blocked.auth++;
    else if (a.state === 'cooling') {
      blocked.cooling++;
      resume(a.row.state_until);
    } else if (a.state === 'limit_reached') {
      blocked.limit++;
      resume(a.row.state_until);
    } else {
      blocked.cap++;
      // The oldest send in the window that must age out for a slot to free.
      const oldest = a.windowSends[Math.max(0, a.windowSends.length - a.row.daily_cap)];
      if (oldest !== undefined) resume(oldest + DAY);
    }
  }
  const total = accounts.length;
  const plain = (reason: string) => ({ reason, text: reason, until: undefined });
  if (total === 0) return plain('No Gmail account yet: add one to start sending.');
  if (blocked.cap + blocked.limit === total) {
    return {
      reason: 'All accounts at their daily cap.',
      text: `All accounts at their daily cap${until !== undefined ? ` — next slot ${clockTime(until, now)}` : ''}.`,
      until,
    };
  }
  if (blocked.disabled === total) return plain('All accounts are disabled: enable one to send.');
  if (blocked.auth === total) return plain('Every account needs a new app password: open Accounts to fix them.');
  const parts = [
    blocked.cap + blocked.limit ? `${blocked.cap + blocked.limit} at the daily cap` : '',
    blocked.cooling ? `${blocked.cooling} cooling down after a server refusal` : '',
    blocked.auth ? `${blocked.auth} needing a new app password` : '',
    blocked.disabled ? `${blocked.disabled} disabled` : '',
  ].filter(Boolean);
  const reason = `No account can send now (${parts.join(', ')})`;
  return { reason: `${reason}.`, text: `${reason}${until !== undefined ? ` — sending resumes ${atTime(until, now)}` : ''}.`, until };
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A time of day in the local time zone of the process (the user's machine), with its day when
 * that is not today: "14:20", "tomorrow at 14:20", "on Tue 8 Dec at 14:20". A bare "15:59"
 * said at 15:59 about tomorrow's slot reads as "now". (For the API's text only: the window and
 * the tray write the structured time in the user's own format.)
 */
export function clockTime(ms: number, now: number): string {
  const d = new Date(ms);
  const time = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  // Rounded: a day with a daylight-saving change is 23 or 25 hours long.
  const days = Math.round((startOfLocalDay(ms) - startOfLocalDay(now)) / DAY);
  if (days <= 0) return time;
  if (days === 1) return `tomorrow at ${time}`;
  return `on ${WEEKDAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} at ${time}`;
}

/** "at 14:20" today, else as clockTime: "tomorrow at 14:20". */
function atTime(ms: number, now: number): string {
  const text = clockTime(ms, now);
  return text.includes(' ') ? text : `at ${text}`;
}

function startOfLocalDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function toBatchInfo(row: {
  id: number;
  started_at: number;
  finished_at: number | null;
  claimed: number;
  sent: number;
  failed: number;
  retrying: number;
  in_doubt: number;
  requeued: number;
  skipped: number;
  cancelled: number;
  rehearsed?: number;
  remaining: number | null;
  /** Set when recovery closed a batch a crash interrupted. */
  note?: string | null;
}): BatchInfo {
  const failed = row.failed + row.in_doubt;
  const finishedAt = iso(row.finished_at);
  const rehearsed = row.rehearsed ?? 0;
  return {
    id: row.id,
    startedAt: iso(row.started_at)!,
    ...(finishedAt ? { finishedAt } : {}),
    claimed: row.claimed,
    sent: row.sent,
    failed: row.failed,
    retrying: row.retrying,
    inDoubt: row.in_doubt,
    requeued: row.requeued,
    skipped: row.skipped,
    cancelled: row.cancelled,
    rehearsed,
    ...(row.remaining != null ? { remaining: row.remaining } : {}),
    summary: `Batch: ${row.sent} sent${rehearsed ? `, ${rehearsed} rehearsed` : ''}, ${failed} failed${row.retrying ? `, ${row.retrying} to retry` : ''}${row.cancelled ? `, ${row.cancelled} cancelled` : ''}, ${(row.remaining ?? 0).toLocaleString('en-US')} left${row.note ? ` (${row.note})` : ''}`,
  };
}
