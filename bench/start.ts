// 6 + 7. Engine start and RSS, in a fresh child process per database.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createEngine } from '../src-main/engine/engine';
import { claimBatch } from '../src-main/engine/sending/claim';
import { FakeClock } from '../test/support/fake-clock';
import { gc, internals, round } from './support';

export async function childMain(dataDir: string): Promise<void> {
  const clock = new FakeClock();
  const t0 = performance.now();
  const engine = await createEngine({ dataDir, clock });
  const opened = performance.now();
  const recovered = await engine.start();
  const started = performance.now();
  // Use the app as the dashboard and the scheduler would: status, the campaign, claims.
  const { ctx, sqlite } = internals(engine);
  const id = Number((sqlite.prepare('select id from campaigns order by id limit 1').get() as { id: number }).id);
  for (let i = 0; i < 5; i++) {
    await engine.sending.status();
    await engine.campaigns.get({ id });
    await engine.campaigns.list();
    await engine.campaigns.messages({ id, limit: 100 });
    await claimBatch(ctx, 1, 10);
  }
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const mem = process.memoryUsage();
  await engine.stop();
  process.stdout.write(
    `${JSON.stringify({
      openMs: round(opened - t0, 1),
      startMs: round(started - t0, 1),
      recovered,
      rssMB: round(mem.rss / 2 ** 20, 1),
      heapUsedMB: round(mem.heapUsed / 2 ** 20, 1),
    })}\n`,
  );
}

export function runChild(dataDir: string) {
  const self = fileURLToPath(import.meta.url);
  const out = spawnSync(process.execPath, ['--expose-gc', self, '--child', dataDir], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`child failed (${out.status}): ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as {
    openMs: number;
    startMs: number;
    recovered: { inDoubt: number; requeued: number };
    rssMB: number;
    heapUsedMB: number;
  };
}
