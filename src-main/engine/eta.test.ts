import { describe, expect, it } from 'vitest';
import { DAY } from './clock';
import { estimateFinish } from './eta';

const NOW = Date.parse('2026-11-23T09:00:00Z');
const cadence = { batchSize: 10, batchIntervalMs: 30_000, messageDelayMs: 2000 };
const fresh = (dailyCap: number) => ({ dailyCap, windowSends: [], availableFrom: NOW });

describe('estimateFinish', () => {
  it('within capacity, the batch cadence decides: 25 messages take three batches', () => {
    // Batches at 0 s, 30 s, 60 s; the 25th message is the 5th of the third batch: 60 s + 4 × 2 s.
    expect(estimateFinish(25, NOW, [fresh(100), fresh(100)], cadence)).toBe(NOW + 68_000);
  });

  it('beyond the caps, the rest waits for slots to free a day later', () => {
    const finish = estimateFinish(15, NOW, [fresh(10)], cadence)!;
    // 10 go today; the 11th to 15th go when the first sends turn a day old.
    expect(finish).toBeGreaterThanOrEqual(NOW + DAY);
    expect(finish).toBeLessThan(NOW + DAY + 60_000);
  });

  it('counts sends already in the rolling window', () => {
    const full = { dailyCap: 2, windowSends: [NOW - 23 * 3_600_000, NOW - 3_600_000], availableFrom: NOW };
    expect(estimateFinish(1, NOW, [full], cadence)).toBe(NOW + 3_600_000);
  });

  it('a list several times the caps takes that many days', () => {
    const finish = estimateFinish(300, NOW, [fresh(50), fresh(50)], { ...cadence, messageDelayMs: 0 })!;
    expect(Math.floor((finish - NOW) / DAY)).toBe(2);
  });

  it('has no answer when no account can send', () => {
    expect(estimateFinish(5, NOW, [], cadence)).toBeUndefined();
  });
});
