import { describe, expect, it } from 'vitest';
import { DAY } from '../core/clock';
import { type ForecastAccount, type ForecastCampaign, forecastRun } from './forecast';

const NOW = Date.parse('2026-11-23T09:00:00Z');
const cadence = { batchSize: 10, batchIntervalMs: 30_000, messageDelayMs: 2000 };
let nextId = 1;
const fresh = (dailyCap: number, extra: Partial<ForecastAccount> = {}): ForecastAccount => ({
  id: nextId++,
  dailyCap,
  windowSends: [],
  availableFrom: NOW,
  paceMs: 0,
  lastPickedAt: 0,
  ...extra,
});
const campaign = (id: number, left: number, extra: Partial<ForecastCampaign> = {}): ForecastCampaign => ({
  id,
  left,
  inFlight: 0,
  rehearsal: false,
  sendAfter: null,
  stopAfter: null,
  ...extra,
});
const finish = (accounts: ForecastAccount[], campaigns: ForecastCampaign[], c = cadence, nextTickAt?: number) =>
  forecastRun({ now: NOW, nextTickAt, accounts, campaigns, cadence: c });

describe('the forecast: a simulated run of the scheduler', () => {
  it('within capacity, the batch cadence decides: 25 messages take three batches', () => {
    // Batches at 0 s, 30 s, 60 s; the 25th message is the 5th of the third batch: 60 s + 4 × 2 s.
    expect(finish([fresh(100), fresh(100)], [campaign(1, 25)]).allDoneAt).toBe(NOW + 68_000);
  });

  it('each account’s measured time per message adds to the pause, and a long batch delays the next tick', () => {
    // One account, 1.5 s per message: a batch of 10 takes 10 × 1.5 + 9 × 2 = 33 s, so the tick at
    // 30 s is skipped and the next batch starts at 60 s; the 15th message ends 5 × 1.5 + 4 × 2 later.
    expect(finish([fresh(100, { paceMs: 1500 })], [campaign(1, 15)]).allDoneAt).toBe(NOW + 60_000 + 15_500);
  });

  it('starts on the scheduler’s next tick', () => {
    expect(finish([fresh(100)], [campaign(1, 1)], cadence, NOW + 12_000).allDoneAt).toBe(NOW + 12_000);
  });

  it('beyond the caps, the rest waits for slots to free a day later, on a tick', () => {
    const run = finish([fresh(10)], [campaign(1, 15)]);
    // 10 go today, 2 s apart; a day later the tick at 24 h finds one slot free (the first send's),
    // the tick 30 s later four more: the 15th goes at 24 h 30 s + 3 × 2 s.
    expect(run.allDoneAt).toBe(NOW + DAY + 30_000 + 3 * 2000);
  });

  it('counts sends already in the rolling window', () => {
    const full = fresh(2, { windowSends: [NOW - 23 * 3_600_000, NOW - 3_600_000] });
    expect(finish([full], [campaign(1, 1)]).allDoneAt).toBe(NOW + 3_600_000);
  });

  it('waits for an account to come back from cooling down', () => {
    expect(finish([fresh(5, { availableFrom: NOW + 15 * 60_000 })], [campaign(1, 1)]).allDoneAt).toBe(NOW + 15 * 60_000);
  });

  it('a list several times the caps takes that many days', () => {
    const run = finish([fresh(50), fresh(50)], [campaign(1, 300)], { ...cadence, messageDelayMs: 0 });
    expect(Math.floor((run.allDoneAt! - NOW) / DAY)).toBe(2);
  });

  it('has no answer when no account can send', () => {
    const run = finish([], [campaign(1, 5)]);
    expect(run.allDoneAt).toBeUndefined();
    expect(run.campaigns.get(1)!.finishAt).toBeUndefined();
  });

  it('campaigns send in order: the second starts when the first is done; a rehearsal needs no capacity', () => {
    const run = finish([fresh(12)], [campaign(1, 12), campaign(2, 5, { rehearsal: true }), campaign(3, 3)], {
      ...cadence,
      messageDelayMs: 0,
    });
    // Batch 1: 10 of the first; batch 2 (30 s): its last 2 and the rehearsal's 5; the third waits a day for slots.
    expect(run.campaigns.get(1)!.finishAt).toBe(NOW + 30_000);
    expect(run.campaigns.get(2)!.finishAt).toBe(NOW + 30_000);
    expect(run.campaigns.get(3)!.finishAt).toBeGreaterThanOrEqual(NOW + DAY);
  });

  it('a start time holds a campaign back; a stop time expires what is left', () => {
    const later = finish([fresh(100)], [campaign(1, 2, { sendAfter: NOW + 3_600_000 })]);
    expect(later.campaigns.get(1)!.firstAt).toBe(NOW + 3_600_000);
    const stopped = finish([fresh(5)], [campaign(1, 8, { stopAfter: NOW + 3_600_000 })]);
    expect(stopped.campaigns.get(1)).toMatchObject({ expiring: 3, finishAt: NOW + 3_600_000 });
  });

  it('the batch in progress goes first', () => {
    const run = finish([fresh(100, { paceMs: 1000 })], [campaign(1, 1, { inFlight: 3 })], { ...cadence, batchIntervalMs: 1000 });
    // In flight: 3 × (1 s) with 2 s pauses = 7 s; the next batch starts on the tick at 7 s.
    expect(run.campaigns.get(1)!.finishAt).toBe(NOW + 7000 + 1000);
  });

  it('answers for a million messages without walking them all, agreeing with the caps', () => {
    const t = performance.now();
    const run = finish([fresh(500), fresh(500)], [campaign(1, 1_000_000)]);
    expect(Math.floor((run.allDoneAt! - NOW) / DAY)).toBe(999);
    expect(performance.now() - t).toBeLessThan(5000); // a sanity bound, not a performance assertion
  });

  it('the jump by days agrees with walking every batch', () => {
    let seed = 11;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 100; trial++) {
      const accounts = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        fresh(1 + Math.floor(random() * 30), { paceMs: Math.floor(random() * 3000) }),
      );
      const c = {
        batchSize: 1 + Math.floor(random() * 10),
        batchIntervalMs: [1000, 30_000, 300_000][Math.floor(random() * 3)]!,
        messageDelayMs: [0, 2000][Math.floor(random() * 2)]!,
      };
      const count = Math.ceil(accounts.reduce((n, a) => n + a.dailyCap, 0) * (3 + random() * 3));
      // The same run, once allowed to jump after two days, once walked to the end (a huge horizon).
      const jumped = forecastRun({ now: NOW, accounts: accounts.map((a) => ({ ...a })), campaigns: [campaign(1, count)], cadence: c });
      const walked = forecastRun({
        now: NOW,
        accounts: accounts.map((a) => ({ ...a })),
        campaigns: [campaign(1, count)],
        cadence: c,
        walkAll: true,
      });
      // Exact when one account or equal paces; within a batch interval or 0.01 % of the run otherwise.
      const tolerance = Math.max(c.batchIntervalMs, (walked.allDoneAt! - NOW) * 1e-4);
      expect(Math.abs(jumped.allDoneAt! - walked.allDoneAt!), `trial ${trial}`).toBeLessThanOrEqual(tolerance);
    }
  });
});
