/**
 * When will it be done? A run of the scheduler, simulated from the current state, batch by
 * batch, as the engine will run it (PRODUCT.md §4):
 *
 *  - batches start on the scheduler's grid: its next tick, then every batch interval; a tick
 *    that comes while a batch still runs is skipped (Croner's `protect`), so the next batch
 *    starts at the first tick after the last one ended;
 *  - each batch claims up to `batchSize` due messages, oldest queued campaign first: a real
 *    campaign's no more than the accounts' remaining capacity, a rehearsal's without any;
 *  - real messages go to accounts by the rotation the claim uses (most remaining capacity,
 *    ties round-robin), one after another with the pause between them, each taking its
 *    account's measured time per message;
 *  - every send takes a slot of its account's rolling 24 hours, freed a day later; an account
 *    cooling down or at Gmail's own limit waits until its time; `sendAfter` holds a campaign
 *    back and `stopAfter` ends it (what is left then expires);
 *  - when nothing can be claimed, the run jumps to the first tick after the next slot frees,
 *    the next account comes back or the next campaign starts.
 *
 * Campaign ETAs, the status line's "all done" and the forecast before Queue all come from this
 * one model, so they agree. A long list is not walked message by message for months: after
 * two simulated days (or a budget of batches), the last day's sends repeat a day later each
 * day (the caps make sending periodic), which gives the rest at once.
 */
import { DAY } from '../core/clock';
import { planAssignments } from '../accounts/rotation';

export interface ForecastAccount {
  id: number;
  dailyCap: number;
  /** Times of the sends in its rolling 24 hours (made, or claimed by the batch in progress). */
  windowSends: readonly number[];
  /** When it may send (the end of a cooling period or of Gmail's limit); now or earlier when it can. */
  availableFrom: number;
  /** Its measured time per message (ms); the model's default when it has not sent yet. */
  paceMs: number | null;
  /** The rotation's tie-break: the least recently picked goes first. */
  lastPickedAt: number;
}

export interface ForecastCampaign {
  id: number;
  /** Messages still to be claimed: queued, and waiting to be retried. */
  left: number;
  /** Its messages in the batch in progress (status `sending`). */
  inFlight: number;
  rehearsal: boolean;
  sendAfter: number | null;
  stopAfter: number | null;
}

export interface ForecastCadence {
  batchSize: number;
  batchIntervalMs: number;
  messageDelayMs: number;
}

export interface ForecastInput {
  now: number;
  /** The scheduler's next tick (its grid); absent when it is not running: now. */
  nextTickAt?: number | undefined;
  accounts: readonly ForecastAccount[];
  /** In the order they send: oldest queued first. Paused campaigns are not in it. */
  campaigns: readonly ForecastCampaign[];
  cadence: ForecastCadence;
  /** Sends made before this moment are counted apart (the end of the user's day). */
  countBefore?: number | undefined;
  /** Walk every batch to the end, never jump by days (slow for long lists: to check the jump). */
  walkAll?: boolean;
}

export interface CampaignForecast {
  /** When its first message still to go goes (undefined: never). */
  firstAt?: number;
  /** When its last message goes (undefined: no account can ever send it). */
  finishAt?: number;
  /** How many of its messages go before `countBefore`. */
  before: number;
  /** Messages its stop time will expire unsent. */
  expiring: number;
}

export interface ForecastResult {
  campaigns: Map<number, CampaignForecast>;
  /** When the last of all of them goes; undefined when one of them never can. */
  allDoneAt?: number;
}

/**
 * The time per message assumed when no account has sent yet: nothing measured, the cadence
 * alone (an account that has not sent while others have is assumed to take their average).
 */
export const DEFAULT_PACE_MS = 0;
/** Simulated batches before the rest is extrapolated by days, whatever the span simulated. */
const BATCH_BUDGET = 50_000;

interface AccountState {
  id: number;
  dailyCap: number;
  /** Sorted send times; entries before `head` have left the window. */
  window: number[];
  head: number;
  availableFrom: number;
  paceMs: number;
  lastPickedAt: number;
}

interface CampaignState {
  input: ForecastCampaign;
  left: number;
  result: CampaignForecast;
}

export function forecastRun(input: ForecastInput): ForecastResult {
  const { now, cadence } = input;
  const interval = Math.max(1, cadence.batchIntervalMs);
  const known = input.accounts.map((a) => a.paceMs).filter((p): p is number => p !== null);
  const defaultPace = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : DEFAULT_PACE_MS;
  const accounts: AccountState[] = input.accounts.map((a) => ({
    id: a.id,
    dailyCap: a.dailyCap,
    window: [...a.windowSends].sort((x, y) => x - y),
    head: 0,
    availableFrom: a.availableFrom,
    paceMs: a.paceMs ?? defaultPace,
    lastPickedAt: a.lastPickedAt,
  }));
  const campaigns: CampaignState[] = input.campaigns.map((c) => ({ input: c, left: c.left, result: { before: 0, expiring: 0 } }));
  const countBefore = input.countBefore ?? Number.NEGATIVE_INFINITY;
  /** Every real send simulated, in time order (for the extrapolation). */
  const sends: number[] = [];

  const sent = (campaign: CampaignState, at: number) => {
    campaign.result.firstAt ??= at;
    campaign.result.finishAt = at;
    if (at < countBefore) campaign.result.before++;
  };

  // The batch in progress: its messages go one after another from now.
  let time = now;
  let any = false;
  for (const campaign of campaigns) {
    for (let i = 0; i < campaign.input.inFlight; i++) {
      if (any) time += cadence.messageDelayMs;
      time += campaign.input.rehearsal ? 0 : defaultPace;
      any = true;
      sent(campaign, time);
    }
  }
  const grid = input.nextTickAt ?? now;
  const tickAtOrAfter = (t: number) => (t <= grid ? grid : grid + Math.ceil((t - grid) / interval) * interval);
  let tick = tickAtOrAfter(time);

  const remaining = (a: AccountState, t: number) => {
    while (a.head < a.window.length && a.window[a.head]! <= t - DAY) a.head++;
    return a.dailyCap - (a.window.length - a.head);
  };
  const open = () => campaigns.filter((c) => c.left > 0);

  let batches = 0;
  const start = tick;
  while (open().length > 0) {
    // Stop times pass: what is left expires (the next batch marks it), the campaign ends then.
    for (const c of open()) {
      if (c.input.stopAfter !== null && c.input.stopAfter <= tick) {
        c.result.expiring += c.left;
        c.left = 0;
        c.result.finishAt = Math.max(c.result.finishAt ?? 0, c.input.stopAfter);
      }
    }
    const due = open().filter((c) => c.input.sendAfter === null || c.input.sendAfter <= tick);

    const usable = accounts.filter((a) => a.availableFrom <= tick).map((a) => ({ state: a, remaining: remaining(a, tick) }));
    let capacity = usable.reduce((sum, a) => sum + Math.max(0, a.remaining), 0);
    const claimed: CampaignState[] = [];
    for (const c of due) {
      const room = cadence.batchSize - claimed.length;
      if (room <= 0) break;
      const take = Math.min(c.left, c.input.rehearsal ? room : Math.min(room, capacity));
      if (take <= 0) continue;
      if (!c.input.rehearsal) capacity -= take;
      c.left -= take;
      for (let i = 0; i < take; i++) claimed.push(c);
    }

    if (claimed.length === 0) {
      const next = nextEvent(tick, due.length > 0, open(), accounts);
      if (next === undefined) break;
      tick = tickAtOrAfter(Math.max(next, tick + 1));
      continue;
    }

    // The rotation, as the claim plans it.
    let stamp = tick;
    const candidates = usable
      .filter((a) => a.remaining > 0)
      .map((a) => ({ id: a.state.id, remaining: a.remaining, lastPickedAt: a.state.lastPickedAt, state: a.state }));
    const plan = planAssignments(candidates, claimed.filter((c) => !c.input.rehearsal).length, () => ++stamp);
    for (const [i, pick] of plan.entries()) if (plan.lastIndexOf(pick) === i) pick.state.lastPickedAt = tick + i + 1;

    let t = tick;
    let next = 0;
    for (const [i, campaign] of claimed.entries()) {
      if (i > 0) t += cadence.messageDelayMs;
      if (campaign.input.rehearsal) {
        sent(campaign, t);
        continue;
      }
      const account = plan[next++]!.state;
      t += account.paceMs;
      account.window.push(t);
      sends.push(t);
      sent(campaign, t);
    }
    tick = tickAtOrAfter(Math.max(t, tick + 1));
    batches++;

    // A long list: the caps make sending periodic. Once a whole round of the caps went out
    // (C sends, C the caps together), each later send follows the one C before it by what the
    // last round took (a day, or more when the cadence is slower than the caps).
    const rest = open();
    const caps = accounts.reduce((n, a) => n + a.dailyCap, 0);
    if (
      !input.walkAll &&
      rest.length > 0 &&
      (tick - start >= 2 * DAY || batches >= BATCH_BUDGET) &&
      sends.length > caps &&
      rest.every((c) => !c.input.rehearsal && c.input.stopAfter === null && (c.input.sendAfter === null || c.input.sendAfter <= tick)) &&
      accounts.every((a) => a.availableFrom <= tick)
    ) {
      const n = sends.length;
      const round = sends[n - 1]! - sends[n - 1 - caps]!;
      let k = 0;
      for (const c of rest) {
        k += c.left;
        const at = (j: number) => sends[n - caps + (j % caps)]! + round * (Math.floor(j / caps) + 1);
        c.result.firstAt ??= at(k - c.left);
        c.result.finishAt = at(k - 1);
        c.left = 0;
      }
      break;
    }
  }

  const result = new Map<number, CampaignForecast>();
  let allDoneAt: number | undefined = now;
  for (const c of campaigns) {
    if (c.left > 0) delete c.result.finishAt;
    result.set(c.input.id, c.result);
    if (c.result.finishAt === undefined) {
      if (c.input.left + c.input.inFlight > 0) allDoneAt = undefined;
    } else if (allDoneAt !== undefined) allDoneAt = Math.max(allDoneAt, c.result.finishAt);
  }
  return { campaigns: result, ...(allDoneAt !== undefined ? { allDoneAt } : {}) };
}

/**
 * When something that lets a batch claim again happens, after `tick`: a slot frees or an account
 * comes back (if a due real campaign waits for capacity), a campaign's start time comes, or a
 * stop time passes. Undefined when nothing ever will (no account can ever send).
 */
function nextEvent(tick: number, dueWaiting: boolean, open: CampaignState[], accounts: AccountState[]): number | undefined {
  let next: number | undefined;
  const consider = (t: number) => {
    if (t > tick && (next === undefined || t < next)) next = t;
  };
  for (const c of open) {
    if (c.input.sendAfter !== null) consider(c.input.sendAfter);
    if (c.input.stopAfter !== null) consider(c.input.stopAfter);
  }
  if (dueWaiting) {
    for (const a of accounts) {
      if (a.availableFrom > tick) consider(a.availableFrom);
      const inWindow = a.window.length - a.head;
      if (inWindow >= a.dailyCap && inWindow > 0) consider(a.window[a.window.length - a.dailyCap]! + DAY);
    }
  }
  return next;
}
