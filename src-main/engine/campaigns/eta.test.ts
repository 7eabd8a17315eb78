import { describe, expect, it } from 'vitest';
import { DAY } from '../core/clock';
import { estimateFinish } from './eta';

/** The plain walk, message by message, that estimateFinish's shortcut must agree with. */
function walk(count: number, now: number, slotsIn: number[], cadence: { batchSize: number; batchIntervalMs: number; messageDelayMs: number }): number {
  const slots = [...slotsIn].sort((a, b) => a - b);
  const span = Math.max(cadence.batchIntervalMs, (cadence.batchSize - 1) * cadence.messageDelayMs);
  const sends: number[] = [];
  let last = now;
  for (let k = 0; k < count; k++) {
    const slot = k < slots.length ? slots[k]! : sends[k - slots.length]! + DAY;
    last = Math.max(slot, now + Math.floor(k / cadence.batchSize) * span + (k % cadence.batchSize) * cadence.messageDelayMs, last);
    sends.push(last);
  }
  return last;
}

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

  it('jumps whole days for long lists and still agrees with the message-by-message walk', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const accounts = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
        const dailyCap = 1 + Math.floor(random() * 40);
        const windowSends = Array.from({ length: Math.floor(random() * dailyCap) }, () => NOW - Math.floor(random() * DAY));
        return { dailyCap, windowSends, availableFrom: random() < 0.2 ? NOW + Math.floor(random() * 3_600_000) : NOW };
      });
      const c = {
        batchSize: 1 + Math.floor(random() * 12),
        batchIntervalMs: [1000, 30_000, 600_000, 3_600_000][Math.floor(random() * 4)]!,
        messageDelayMs: [0, 2000][Math.floor(random() * 2)]!,
      };
      const count = 1 + Math.floor(random() * 600);
      const slots = accounts.flatMap((a) => {
        const sends = [...a.windowSends].sort((x, y) => x - y);
        return [
          ...Array.from({ length: a.dailyCap - sends.length }, () => Math.max(NOW, a.availableFrom)),
          ...sends.map((t) => Math.max(t + DAY, a.availableFrom)),
        ];
      });
      expect(estimateFinish(count, NOW, accounts, c), `trial ${trial}`).toBe(walk(count, NOW, slots, c));
    }
  });

  it('answers for a million messages without walking them all', () => {
    const finish = estimateFinish(1_000_000, NOW, [fresh(500), fresh(500)], cadence)!;
    expect(Math.floor((finish - NOW) / DAY)).toBe(999);
  });
});
