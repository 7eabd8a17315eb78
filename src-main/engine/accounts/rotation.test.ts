import { describe, expect, it } from 'vitest';
import { pickAccount, planAssignments } from './rotation';

function plan(accounts: { id: number; remaining: number }[], count: number): number[] {
  let t = 1000;
  return planAssignments(
    accounts.map((a) => ({ ...a, lastPickedAt: 0 })),
    count,
    () => ++t,
  ).map((a) => a.id);
}

describe('rotation', () => {
  it('spreads sends evenly across accounts with equal capacity, round-robin', () => {
    expect(
      plan(
        [
          { id: 1, remaining: 100 },
          { id: 2, remaining: 100 },
          { id: 3, remaining: 100 },
        ],
        9,
      ),
    ).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3]);
  });

  it('uses the account with the most remaining capacity first, then alternates once they are level', () => {
    expect(
      plan(
        [
          { id: 1, remaining: 3 },
          { id: 2, remaining: 6 },
        ],
        6,
      ),
    ).toEqual([2, 2, 2, 1, 2, 1]);
  });

  it('never assigns past an account’s remaining capacity', () => {
    const ids = plan(
      [
        { id: 1, remaining: 2 },
        { id: 2, remaining: 1 },
      ],
      10,
    );
    expect(ids).toHaveLength(3);
    expect(ids.filter((id) => id === 1)).toHaveLength(2);
  });

  it('returns nothing when every account is at its cap', () => {
    expect(pickAccount([{ id: 1, remaining: 0, lastPickedAt: 0 }])).toBeUndefined();
  });

  it('continues the round-robin from where the last batch stopped', () => {
    const picked = pickAccount([
      { id: 1, remaining: 5, lastPickedAt: 30 },
      { id: 2, remaining: 5, lastPickedAt: 10 },
      { id: 3, remaining: 5, lastPickedAt: 20 },
    ]);
    expect(picked?.id).toBe(2);
  });
});
