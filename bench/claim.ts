// 1. Claim a 10-message batch.
import { performance } from 'node:perf_hooks';
import { capacityQuery } from '../src-main/engine/accounts/capacity';
import { claimBatch, dueCampaignsQuery, dueMessagesQuery } from '../src-main/engine/sending/claim';
import { SIZES, internals, stats } from './support';
import { type Fixture, explain } from './fixtures';

/** One claim, timed, then the state put back (the same 10 messages are claimed each time). */
export function claimer(f: Fixture, n: number) {
  const { sqlite, ctx } = internals(f.engine);
  const reset = sqlite.prepare(
    `update messages set status = 'queued', batch_id = null, account_id = null, send_started_at = null where status = 'sending'`,
  );
  const clearLog = sqlite.prepare(`delete from send_log`);
  return async (): Promise<number> => {
    const t = performance.now();
    const claimed = await claimBatch(ctx, 1, 10);
    const elapsed = performance.now() - t;
    if (claimed.length !== 10) throw new Error(`claim of ${n}: got ${claimed.length} messages, expected 10`);
    reset.run();
    clearLog.run();
    return elapsed;
  };
}

/**
 * Claims from both outboxes interleaved (small, large, large, small, …) so disk and CPU
 * drift on a shared machine hits both sides alike; the first 10 of each warm up.
 */
export async function claimMeasure(fixtures: [Fixture, number][]) {
  const claims = fixtures.map(([f, n]) => claimer(f, n));
  const samples: number[][] = fixtures.map(() => []);
  for (let i = 0; i < SIZES.claimRuns + 10; i++) {
    const order = i % 2 === 0 ? claims.map((_, k) => k) : claims.map((_, k) => claims.length - 1 - k);
    for (const k of order) {
      const elapsed = await claims[k]!();
      if (i >= 10) samples[k]!.push(elapsed);
    }
  }
  return fixtures.map(([f], k) => {
    const { sqlite, ctx } = internals(f.engine);
    const plans = {
      dueMessages: explain(sqlite, dueMessagesQuery(ctx.db, f.campaignId, 10).compile()),
      dueCampaigns: explain(sqlite, dueCampaignsQuery(ctx.db, ctx.clock.now()).compile()),
      capacity: explain(sqlite, capacityQuery(ctx.db, 'bench@gmail.test', ctx.clock.now()).compile()),
    };
    return { ...stats(samples[k]!), plans };
  });
}
