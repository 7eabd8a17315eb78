import { effectiveState } from '../accounts/account-state';
import { capacityOf } from '../accounts/capacity';
import { iso } from '../core/clock';
import type { EngineContext } from '../context';
import { accountsForEstimate, estimateFinish } from '../campaigns/eta';
import { countAllMessages, UNFINISHED } from '../db/message-counts';
import type { Settings } from '../../../src-shared/views/settings';
import type { BatchInfo, SendingStatus } from '../../../src-shared/views/sending';

export async function sendingStatus(
  ctx: EngineContext,
  extra: {
    paused: boolean;
    nextBatchAt: Date | null;
    settings: Settings;
    /** Why the last batch failed (a storage error), until a batch runs through again. */
    batchFailure?: string;
  },
): Promise<SendingStatus> {
  const now = ctx.clock.now();
  const counts = await countAllMessages(ctx.db, UNFINISHED);
  const count = (s: 'queued' | 'sending' | 'retry_wait') => counts[s];
  const queued = count('queued');

  const accounts = await ctx.db.selectFrom('accounts').selectAll().orderBy('id').execute();
  let sentLast24h = 0;
  let capacityLeft = 0;
  let earliestResume: number | undefined;
  const blocked = { cap: 0, cooling: 0, limit: 0, auth: 0, disabled: 0 };
  for (const row of accounts) {
    const capacity = await capacityOf(ctx.db, row.email_norm, row.daily_cap, now);
    sentLast24h += capacity.sentLast24h;
    const state = effectiveState(row, now);
    if (state === 'ok' && capacity.remaining > 0) {
      capacityLeft += capacity.remaining;
      continue;
    }
    let resume: number | null = null;
    if (state === 'disabled') blocked.disabled++;
    else if (state === 'auth_failed') blocked.auth++;
    else if (state === 'cooling') {
      blocked.cooling++;
      resume = row.state_until;
    } else if (state === 'limit_reached') {
      blocked.limit++;
      resume = row.state_until;
    } else {
      blocked.cap++;
      resume = capacity.nextSlotAt;
    }
    if (resume !== null && (earliestResume === undefined || resume < earliestResume)) earliestResume = resume;
  }

  let waitingReason: string | undefined;
  if (extra.paused) waitingReason = 'Sending is paused. Resume to carry on.';
  else if (extra.batchFailure && queued + count('sending') > 0) waitingReason = extra.batchFailure;
  else if (queued > 0 && capacityLeft === 0) {
    waitingReason = noAccountReason(accounts.length, blocked, earliestResume, now);
  } else if (queued > 0) {
    const scheduled = await ctx.db
      .selectFrom('campaigns')
      .select(['name', 'send_after'])
      .where('status', 'in', ['queued', 'sending'])
      .orderBy('queue_seq')
      .execute();
    if (scheduled.length > 0 && scheduled.every((c) => c.send_after !== null && c.send_after > now)) {
      const first = Math.min(...scheduled.map((c) => c.send_after!));
      waitingReason = `Scheduled: the next campaign starts ${atTime(first, now)}.`;
      earliestResume = first;
    }
  }

  const last = await ctx.db.selectFrom('batches').selectAll().where('finished_at', 'is not', null).orderBy('id', 'desc').limit(1).executeTakeFirst();
  const nextBatchAt = extra.paused ? undefined : iso(extra.nextBatchAt?.getTime());
  const left = queued + count('sending') + count('retry_wait');
  const eta =
    left > 0
      ? estimateFinish(left, now, await accountsForEstimate(ctx.db, now), {
          batchSize: extra.settings.batchSize,
          batchIntervalMs: extra.settings.batchIntervalSeconds * 1000,
          messageDelayMs: extra.settings.messageDelayMs,
        })
      : undefined;
  return {
    paused: extra.paused,
    queued,
    inFlight: count('sending'),
    retryWaiting: count('retry_wait'),
    sentLast24h,
    capacityLeft,
    ...(nextBatchAt ? { nextBatchAt } : {}),
    ...(waitingReason ? { waitingReason } : {}),
    ...(waitingReason && earliestResume !== undefined && !extra.paused ? { resumesAt: iso(earliestResume)! } : {}),
    dryRun: extra.settings.dryRun,
    ...(eta !== undefined && !extra.paused ? { eta: iso(eta)! } : {}),
    ...(last ? { lastBatch: toBatchInfo(last) } : {}),
  };
}

function noAccountReason(
  total: number,
  blocked: { cap: number; cooling: number; limit: number; auth: number; disabled: number },
  resume: number | undefined,
  now: number,
): string {
  if (total === 0) return 'No Gmail account yet: add one to start sending.';
  const when = resume !== undefined ? ` — next slot ${clockTime(resume, now)}` : '';
  if (blocked.cap + blocked.limit === total) return `All accounts at their daily cap${when}.`;
  if (blocked.disabled === total) return 'All accounts are disabled: enable one to send.';
  if (blocked.auth === total) return 'Every account needs a new app password: open Accounts to fix them.';
  const parts = [
    blocked.cap + blocked.limit ? `${blocked.cap + blocked.limit} at the daily cap` : '',
    blocked.cooling ? `${blocked.cooling} cooling down after a server refusal` : '',
    blocked.auth ? `${blocked.auth} needing a new app password` : '',
    blocked.disabled ? `${blocked.disabled} disabled` : '',
  ].filter(Boolean);
  return `No account can send now (${parts.join(', ')})${resume !== undefined ? ` — sending resumes ${atTime(resume, now)}` : ''}.`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A time of day in the local time zone of the process (the user's machine), with its day when
 * that is not today: "14:20", "tomorrow at 14:20", "on Tue 8 Dec at 14:20". A bare "15:59"
 * said at 15:59 about tomorrow's slot reads as "now".
 */
export function clockTime(ms: number, now: number): string {
  const d = new Date(ms);
  const time = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  // Rounded: a day with a daylight-saving change is 23 or 25 hours long.
  const days = Math.round((startOfLocalDay(ms) - startOfLocalDay(now)) / (24 * 60 * 60 * 1000));
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
  remaining: number | null;
  /** Set when recovery closed a batch a crash interrupted. */
  note?: string | null;
}): BatchInfo {
  const failed = row.failed + row.in_doubt;
  const finishedAt = iso(row.finished_at);
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
    ...(row.remaining != null ? { remaining: row.remaining } : {}),
    summary: `Batch: ${row.sent} sent, ${failed} failed${row.retrying ? `, ${row.retrying} to retry` : ''}${row.cancelled ? `, ${row.cancelled} cancelled` : ''}, ${(row.remaining ?? 0).toLocaleString('en-US')} left${row.note ? ` (${row.note})` : ''}`,
  };
}
