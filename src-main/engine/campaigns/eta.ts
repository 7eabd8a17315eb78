// When a campaign will be done: its ETA once queued, and the forecast the Queue dialog shows
// before. Both are the one simulated run of the scheduler (forecast.ts), from the state
// read in one transaction, so they agree with each other and with the status line.
import { z } from 'zod';
import { DAY, iso } from '../core/clock';
import type { EngineContext } from '../context';
import type { Db } from '../db/schema';
import { readTransaction } from '../db/read-transaction';
import { parseInput } from '../core/validation';
import { readSettings } from '../settings/settings';
import { type ForecastCampaign, forecastRun } from './forecast';
import { type StoredState, forecastInput, readSendingState, sendingOrder } from './forecast-inputs';
import type { Forecast } from '../../../src-shared/views/sending';
import { campaignRow } from './campaign-state';

export const forecastSchema = z.object({ id: z.int().positive() }).strict();

/**
 * Every queued or sending campaign's ETA, by id, from one simulated run. Empty while sending is
 * paused (nothing goes until it is resumed); a campaign no account can ever send has none.
 */
export async function campaignEtas(ctx: EngineContext): Promise<Map<number, number>> {
  const now = ctx.clock.now();
  const etas = new Map<number, number>();
  if (ctx.sending.paused()) return etas;
  const state = await readState(ctx.db, now);
  if (!sendingOrder(state).some((c) => hasWork(state, c.id))) return etas;
  const run = forecastRun(forecastInput(state, now, await readSettings(ctx.db), { nextTickAt: ctx.sending.nextTickAt() }));
  for (const [id, f] of run.campaigns) if (f.finishAt !== undefined && hasWork(state, id)) etas.set(id, f.finishAt);
  return etas;
}

/** One campaign's ETA (see campaignEtas). */
export async function campaignEta(ctx: EngineContext, campaignId: number): Promise<number | undefined> {
  return (await campaignEtas(ctx)).get(campaignId);
}

/**
 * What the Queue dialog says: when the campaign would finish at the accounts' capacity if it
 * were queued (resumed, for a paused one) now, behind the campaigns already queued; whether that
 * is past today; how many of its messages go today, and how many sends the accounts have left
 * today; what it waits behind. Times assume sending is not paused (the answer says if it is).
 */
export async function forecastCampaign(ctx: EngineContext, input: unknown): Promise<Forecast> {
  const { id } = parseInput(forecastSchema, input);
  const now = ctx.clock.now();
  const campaign = await campaignRow(ctx.db, id);
  const state = await readState(ctx.db, now);
  const counts = state.counts.get(id)!;
  const endOfToday = endOfDay(now);
  const settings = await readSettings(ctx.db);

  const order = sendingOrder(state);
  const self: ForecastCampaign = {
    id,
    // A draft's recipients are stored queued (campaign-recipients.ts): all of them are left.
    left: campaign.status === 'draft' ? counts.pending + counts.queued : counts.queued + counts.retry_wait,
    inFlight: campaign.status === 'draft' ? 0 : counts.sending,
    rehearsal: campaign.rehearsal === 1,
    sendAfter: campaign.send_after,
    stopAfter: campaign.stop_after,
  };
  const input_ = forecastInput(state, now, settings, { nextTickAt: ctx.sending.nextTickAt(), countBefore: endOfToday });
  // A draft goes last; a paused campaign resumes in its place; a queued one is there already.
  let ahead: typeof order;
  if (campaign.status === 'queued' || campaign.status === 'sending') {
    ahead = order.slice(
      0,
      order.findIndex((c) => c.id === id),
    );
  } else if (campaign.status === 'paused' && campaign.queue_seq !== null) {
    ahead = order.filter((c) => c.queue_seq! < campaign.queue_seq!);
    input_.campaigns = [...input_.campaigns.slice(0, ahead.length), self, ...input_.campaigns.slice(ahead.length)];
  } else {
    ahead = order;
    if (campaign.status === 'draft') input_.campaigns = [...input_.campaigns, self];
  }
  const messages = self.left + self.inFlight;
  const run = messages > 0 && campaign.status !== 'completed' && campaign.status !== 'cancelled' ? forecastRun(input_) : undefined;
  const mine = run?.campaigns.get(id);
  const finishAt = mine?.finishAt;
  const canEverSend = input_.accounts.length > 0 || self.rehearsal;

  return {
    campaignId: id,
    at: iso(now)!,
    rehearsal: self.rehearsal,
    messages,
    ...(mine?.firstAt !== undefined ? { startsAt: iso(mine.firstAt)! } : {}),
    ...(finishAt !== undefined ? { finishAt: iso(finishAt)! } : {}),
    endOfToday: iso(endOfToday)!,
    pastToday: finishAt !== undefined && finishAt >= endOfToday,
    today: mine?.before ?? 0,
    sendsLeftToday: sendsLeftBefore(input_.accounts, endOfToday),
    ahead: ahead.filter((c) => hasWork(state, c.id)).map((c) => ({ id: c.id, name: c.name, left: leftOf(state, c.id) })),
    expiring: mine?.expiring ?? 0,
    paused: ctx.sending.paused(),
    ...(finishAt === undefined
      ? {
          reason:
            messages === 0
              ? campaign.status === 'draft'
                ? 'This campaign has nobody to send to yet: import recipients first.'
                : 'This campaign has nothing left to send.'
              : canEverSend
                ? 'No account can send it until one is enabled or given a new app password.'
                : 'No Gmail account yet: add one to send it.',
        }
      : {}),
  };
}

/**
 * Sends the accounts can still make before `end`: at that moment an account's window holds
 * the sends from before that are still under 24 hours old plus everything sent meanwhile, and
 * must stay within its cap.
 */
function sendsLeftBefore(
  accounts: readonly { dailyCap: number; windowSends: readonly number[]; availableFrom: number }[],
  end: number,
): number {
  let total = 0;
  for (const a of accounts) {
    if (a.availableFrom >= end) continue;
    const stillIn = a.windowSends.filter((t) => t > end - DAY).length;
    total += Math.max(0, a.dailyCap - stillIn);
  }
  return total;
}

/** Midnight at the end of the day `now` is in, in the local time of the machine Trickle runs on. */
export function endOfDay(now: number): number {
  const d = new Date(now);
  d.setHours(24, 0, 0, 0);
  return d.getTime();
}

function readState(db: Db, now: number): Promise<StoredState> {
  return readTransaction(db, (trx) => readSendingState(trx, now));
}

function leftOf(state: StoredState, id: number): number {
  const c = state.counts.get(id)!;
  return c.queued + c.sending + c.retry_wait;
}

function hasWork(state: StoredState, id: number): boolean {
  return leftOf(state, id) > 0;
}
