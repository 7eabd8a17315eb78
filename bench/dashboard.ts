// 5. The dashboard's reads on a big campaign.
import { performance } from 'node:perf_hooks';
import { campaignEta } from '../src-main/engine/campaigns/eta';
import { countMessages } from '../src-main/engine/db/message-counts';
import { SIZES, internals, stats } from './support';
import { type Fixture, explain } from './fixtures';

export async function dashboardMeasure(f: Fixture) {
  const { ctx } = internals(f.engine);
  const get: number[] = [];
  const counts: number[] = [];
  const eta: number[] = [];
  for (let i = 0; i < SIZES.dashboardRuns + 2; i++) {
    let t = performance.now();
    const c = await f.engine.campaigns.get({ id: f.campaignId });
    const g = performance.now() - t;
    t = performance.now();
    await countMessages(ctx.db, f.campaignId);
    const cm = performance.now() - t;
    t = performance.now();
    await campaignEta(ctx, f.campaignId);
    const e = performance.now() - t;
    if (i >= 2) {
      get.push(g);
      counts.push(cm);
      eta.push(e);
    }
    if (!c.eta || c.counts.queued === 0) throw new Error('dashboard: no ETA or no queued count');
  }
  // Diagnostic (not in the table): the dashboard's first page of the message list.
  const page: number[] = [];
  for (let i = 0; i < Math.min(5, SIZES.dashboardRuns); i++) {
    const t = performance.now();
    await f.engine.campaigns.messages({ id: f.campaignId, limit: 100 });
    page.push(performance.now() - t);
  }
  const { sqlite } = internals(f.engine);
  const pagePlan = explain(sqlite, {
    sql: 'select * from messages where campaign_id = ? order by id limit 100 offset 0',
    parameters: [f.campaignId],
  });
  return { get: stats(get), countMessages: stats(counts), campaignEta: stats(eta), messagesPage: { ...stats(page), plan: pagePlan } };
}
