import { describe, expect, it } from 'vitest';
import { rowWindow } from './virtual-rows';

describe('rowWindow', () => {
  it('renders the rows in view and a few around them; the rest is room of the same height', () => {
    // 20,000 rows of 32 px in a 320 px box scrolled to row 5,000.
    const w = rowWindow(20_000, 5_000 * 32, 320, 32, 10);
    expect(w).toEqual({ first: 4_990, end: 5_020, above: 4_990 * 32, below: (20_000 - 5_020) * 32 });
    expect(w.above + (w.end - w.first) * 32 + w.below).toBe(20_000 * 32);
  });

  it('stays within the list at its top, at its end, and for short lists', () => {
    expect(rowWindow(20_000, 0, 320, 32, 10)).toEqual({ first: 0, end: 20, above: 0, below: 19_980 * 32 });
    expect(rowWindow(20_000, 20_000 * 32, 320, 32, 10)).toMatchObject({ first: 19_990, end: 20_000, below: 0 });
    expect(rowWindow(5, 0, 320, 32, 10)).toEqual({ first: 0, end: 5, above: 0, below: 0 });
    expect(rowWindow(0, 0, 320, 32, 10)).toEqual({ first: 0, end: 0, above: 0, below: 0 });
  });
});
