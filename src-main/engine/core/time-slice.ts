import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Long work (a million-row import) runs in slices so the event loop — the window's IPC,
 * the headless API, the scheduler's timers — gets a turn at least every `budgetMs`.
 * Measured in real CPU time, not the engine's clock: it paces work, not schedules.
 */
export const SLICE_BUDGET_MS = 12;

export class TimeSlicer {
  private sliceStartedAt = performance.now();

  constructor(private readonly budgetMs = SLICE_BUDGET_MS) {}

  /** True once this slice has run for its budget: time to commit what is done and yield. */
  get used(): boolean {
    return performance.now() - this.sliceStartedAt >= this.budgetMs;
  }

  /** Lets the event loop run if this slice has used its budget; otherwise returns at once. */
  async maybeYield(): Promise<void> {
    if (!this.used) return;
    await nextTurn();
    this.sliceStartedAt = performance.now();
  }

  /** Runs work written as a generator that yields between small steps. */
  async run<T>(work: Generator<unknown, T>): Promise<T> {
    for (;;) {
      const step = work.next();
      if (step.done) return step.value;
      await this.maybeYield();
    }
  }
}

/** Runs the same generator without pausing, for callers that want the result now. */
export function runToEnd<T>(work: Generator<unknown, T>): T {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
}
