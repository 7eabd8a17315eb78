import type { Db } from '../db/schema';

/** How much each new message moves an account's measured pace (a moving average of recent sends). */
const WEIGHT = 0.2;

/**
 * The time one message takes on each account, measured on the engine's clock from the moment
 * the batch turns to it until its outcome is known (the pause between messages excluded): what
 * the finish-time forecast assumes for the account's next sends. Noted during a batch and saved
 * at its end, one write per account, together with the fact that the account's login worked.
 */
export class PaceMeter {
  private readonly samples = new Map<number, number[]>();

  note(accountId: number, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const list = this.samples.get(accountId);
    if (list) list.push(ms);
    else this.samples.set(accountId, [ms]);
  }

  async save(db: Db, now: number): Promise<void> {
    for (const [id, samples] of this.samples) {
      const row = await db.selectFrom('accounts').select('pace_ms').where('id', '=', id).executeTakeFirst();
      if (!row) continue;
      await db
        .updateTable('accounts')
        .set({ pace_ms: movingPace(row.pace_ms, samples), verified_at: now })
        .where('id', '=', id)
        .execute();
    }
    this.samples.clear();
  }
}

/** The stored pace moved by each new sample in turn; the first sample stands alone. */
export function movingPace(previous: number | null, samples: readonly number[]): number {
  let pace = previous;
  for (const ms of samples) pace = pace === null ? ms : pace + WEIGHT * (ms - pace);
  return pace ?? 0;
}
