// 2. Import + queue from CSV vs a bare prepared-insert loop.
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createEngine } from '../src-main/engine/engine';
import { FakeClock } from '../test/support/fake-clock';
import { gc, internals, round, tempDir, watchEventLoop } from './support';
import { csvOf } from './fixtures';


export async function importMeasure(n: number) {
  const csv = csvOf(n);
  gc();

  // Engine: create (parse + validate + insert) and queue, with the event loop watched.
  const dataDir = tempDir(`imp${n}`);
  const engine = await createEngine({ dataDir, clock: new FakeClock() });
  const watch = watchEventLoop();
  const t0 = performance.now();
  const created = await engine.campaigns.create({ name: 'bench', subject: 'Hello', text: 'Hi {{first_name}}', csv });
  const t1 = performance.now();
  const queued = await engine.campaigns.queue({ id: created.campaign.id });
  const t2 = performance.now();
  const loop = await watch();
  if (queued.queued !== n) throw new Error(`import of ${n}: queued ${queued.queued}`);
  await engine.stop();
  rmSync(dataDir, { recursive: true, force: true });

  // Baseline: the same rows, split from the same CSV text, through one prepared insert in
  // one transaction, into the same schema (a fresh engine database).
  gc();
  const baseDir = tempDir(`impbase${n}`);
  const base = await createEngine({ dataDir: baseDir, clock: new FakeClock() });
  const { sqlite } = internals(base);
  const watchBase = watchEventLoop();
  const b0 = performance.now();
  const campaignId = Number(
    sqlite.prepare(`insert into campaigns (name, subject, text, created_at, updated_at) values ('base', 'Hello', 'Hi', 0, 0)`).run()
      .lastInsertRowid,
  );
  const insert = sqlite.prepare(
    `insert into messages (campaign_id, row, email, email_norm, name, fields, status, queued_at, updated_at, message_id)
     values (?, ?, ?, ?, null, ?, 'queued', 0, 0, ?)`,
  );
  sqlite.transaction(() => {
    const lines = csv.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const comma = line.indexOf(',');
      const email = line.slice(0, comma);
      insert.run(campaignId, i + 1, email, email.toLowerCase(), JSON.stringify({ first_name: line.slice(comma + 1) }), `<${i}@bench>`);
    }
  })();
  const b1 = performance.now();
  const loopBase = await watchBase();
  await base.stop();
  rmSync(baseDir, { recursive: true, force: true });

  return {
    recipients: n,
    createMs: round(t1 - t0, 1),
    queueMs: round(t2 - t1, 1),
    totalMs: round(t2 - t0, 1),
    eventLoopMaxMs: loop.maxMs,
    eventLoop: loop,
    baselineMs: round(b1 - b0, 1),
    baselineEventLoopMaxMs: loopBase.maxMs,
  };
}
