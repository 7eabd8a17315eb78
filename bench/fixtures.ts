// Inputs: an engine data folder with one queued campaign of N messages inserted raw, a CSV of N rows.
import type BetterSqlite3 from 'better-sqlite3';
import { type Engine, createEngine } from '../src-main/engine/engine';
import { FakeClock } from '../test/support/fake-clock';
import { internals, tempDir } from './support';

export interface Fixture {
  dataDir: string;
  engine: Engine;
  clock: FakeClock;
  campaignId: number;
}

export async function queuedFixture(n: number): Promise<Fixture> {
  const dataDir = tempDir(`q${n}`);
  const clock = new FakeClock();
  const engine = await createEngine({ dataDir, clock });
  // An account with room for the claims (never contacted: claimBatch does not send).
  await engine.accounts.add({
    email: 'bench@gmail.test',
    appPassword: 'aaaabbbbccccdddd',
    host: '127.0.0.1',
    port: 9,
    security: 'none',
    dailyCap: 2000,
    verify: false,
  });
  const { sqlite } = internals(engine);
  const now = clock.now();
  const campaignId = Number(
    sqlite
      .prepare(
        `insert into campaigns (name, subject, text, fields, status, queue_seq, created_at, updated_at, queued_at)
         values ('bench', 'Hello {{first_name}}', 'Hi {{first_name}}', '["email","first_name"]', 'queued', 1, ?, ?, ?)`,
      )
      .run(now, now, now).lastInsertRowid,
  );
  const insert = sqlite.prepare(
    `insert into messages (campaign_id, row, email, email_norm, name, fields, status, queued_at, updated_at, message_id)
     values (?, ?, ?, ?, null, ?, 'queued', ?, ?, ?)`,
  );
  sqlite.transaction(() => {
    for (let i = 1; i <= n; i++) {
      const email = `r${i}@example.com`;
      insert.run(campaignId, i, email, email, `{"first_name":"Reader${i}"}`, now, now, `<bench.${i}@trickle.test>`);
    }
  })();
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  return { dataDir, engine, clock, campaignId };
}

export function explain(sqlite: BetterSqlite3.Database, compiled: { sql: string; parameters: readonly unknown[] }): string[] {
  return (sqlite.prepare(`explain query plan ${compiled.sql}`).all(...(compiled.parameters as unknown[])) as { detail: string }[]).map(
    (r) => r.detail,
  );
}

export function csvOf(n: number): string {
  const lines = ['email,first_name'];
  for (let i = 1; i <= n; i++) lines.push(`r${i}@example.com,Reader${i}`);
  return lines.join('\n');
}
