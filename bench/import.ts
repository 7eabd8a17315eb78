// 2. Import + queue from CSV vs SQLite's own limit: a bare prepared insert of the same rows.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { performance } from 'node:perf_hooks';
import { createEngine } from '../src-main/engine/engine';
import { FakeClock } from '../test/support/fake-clock';
import { gc, round, tempDir, watchEventLoop } from './support';
import { csvOf } from './fixtures';

const cpuMs = (to: NodeJS.CpuUsage, from: NodeJS.CpuUsage) => round((to.user - from.user + to.system - from.system) / 1000, 1);

export async function importMeasure(n: number) {
  const csv = csvOf(n);
  gc();

  // Engine: create (parse + validate + insert) and queue, with the event loop watched.
  const dataDir = tempDir(`imp${n}`);
  const engine = await createEngine({ dataDir, clock: new FakeClock() });
  const watch = watchEventLoop();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const created = await engine.campaigns.create({ name: 'bench', subject: 'Hello', text: 'Hi {{first_name}}', csv });
  const t1 = performance.now();
  const cpu1 = process.cpuUsage();
  const queued = await engine.campaigns.queue({ id: created.campaign.id });
  const t2 = performance.now();
  const cpu2 = process.cpuUsage();
  const loop = await watch();
  if (queued.queued !== n) throw new Error(`import of ${n}: queued ${queued.queued}`);
  await engine.stop();
  rmSync(dataDir, { recursive: true, force: true });

  // Baseline: the most SQLite can do with the same rows. Split from the same CSV text, each
  // stored as it is after import + queue (queued, with its Message-ID), through one prepared
  // insert in one transaction, into a table with the same columns and no index but the
  // primary key, no trigger, no foreign key; the engine's pragmas (WAL, synchronous = FULL).
  gc();
  const baseDir = tempDir(`impbase${n}`);
  const sqlite = new BetterSqlite3(join(baseDir, 'baseline.sqlite'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.exec(`create table messages (
    id integer primary key, campaign_id integer not null, row integer not null, email text not null,
    email_norm text not null, name text, fields text not null, status text not null, skip_reason text,
    queued_at integer, updated_at integer not null, message_id text)`);
  const watchBase = watchEventLoop();
  const cpuB0 = process.cpuUsage();
  const b0 = performance.now();
  const insert = sqlite.prepare(
    `insert into messages (campaign_id, row, email, email_norm, name, fields, status, skip_reason, queued_at, updated_at, message_id)
     values (1, ?, ?, ?, null, ?, 'queued', null, 0, 0, ?)`,
  );
  sqlite.transaction(() => {
    const lines = csv.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const comma = line.indexOf(',');
      const email = line.slice(0, comma);
      insert.run(
        i + 1,
        email,
        email.toLowerCase(),
        JSON.stringify({ first_name: line.slice(comma + 1) }),
        `<${i}.0123456789abcdef01234567@bench.trickle>`,
      );
    }
  })();
  const b1 = performance.now();
  const cpuB1 = process.cpuUsage(cpuB0);
  const loopBase = await watchBase();
  sqlite.close();
  rmSync(baseDir, { recursive: true, force: true });

  return {
    recipients: n,
    createMs: round(t1 - t0, 1),
    queueMs: round(t2 - t1, 1),
    totalMs: round(t2 - t0, 1),
    eventLoopMaxMs: loop.maxMs,
    eventLoopP99Ms: loop.p99Ms,
    eventLoop: loop,
    baselineMs: round(b1 - b0, 1),
    // CPU time of this process (all threads): less sensitive than wall time to other programs on the machine.
    cpuMs: { create: cpuMs(cpu1, cpu0), queue: cpuMs(cpu2, cpu1), baseline: round((cpuB1.user + cpuB1.system) / 1000, 1) },
    baselineEventLoopMaxMs: loopBase.maxMs,
  };
}
