/** An account that may send now, with what it has left in its rolling 24 hours. */
export interface RotationCandidate {
  id: number;
  remaining: number;
  /** When it was last given a message; the least recent goes first among equals. */
  lastPickedAt: number;
}

/**
 * Of the usable accounts, the one with the most remaining capacity; ties broken round-robin
 * (least recently picked, then lowest id). Returns undefined when none has capacity left.
 */
export function pickAccount<T extends RotationCandidate>(candidates: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of candidates) {
    if (c.remaining <= 0) continue;
    if (
      !best ||
      c.remaining > best.remaining ||
      (c.remaining === best.remaining && (c.lastPickedAt < best.lastPickedAt || (c.lastPickedAt === best.lastPickedAt && c.id < best.id)))
    ) {
      best = c;
    }
  }
  return best;
}

/**
 * Assigns `count` sends one after another, each to the account pickAccount chooses given the
 * sends already assigned. `tick` stamps lastPickedAt so later picks see the round-robin order.
 */
export function planAssignments<T extends RotationCandidate>(candidates: readonly T[], count: number, tick: () => number): T[] {
  const pool = candidates.map((c) => ({ ...c }));
  const plan: T[] = [];
  for (let i = 0; i < count; i++) {
    const chosen = pickAccount(pool);
    if (!chosen) break;
    chosen.remaining -= 1;
    chosen.lastPickedAt = tick();
    plan.push(candidates.find((c) => c.id === chosen.id)!);
  }
  return plan;
}
