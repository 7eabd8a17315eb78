// 3. The send path: the engine's drain vs bare pooled nodemailer to the same server.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import nodemailer from 'nodemailer';
import { createEngine } from '../src-main/engine/engine';
import { countMessages } from '../src-main/engine/db/message-counts';
import { WalSync } from '../src-main/engine/db/wal-sync';
import { FakeClock } from '../test/support/fake-clock';
import { type TestGmail, startTestGmail } from '../test/support/test-gmail';
import { SIZES, internals, round, tempDir } from './support';
import { csvOf } from './fixtures';

export const SEND_ACCOUNTS = [
  { email: 'alice@gmail.test', appPassword: 'aaaabbbbccccdddd' },
  { email: 'bob@gmail.test', appPassword: 'eeeeffffgggghhhh' },
  { email: 'carol@gmail.test', appPassword: 'iiiijjjjkkkkllll' },
];

/** A fresh engine with a queued campaign of `n`, drained by runBatchNow until nothing is claimed. */
export async function engineDrain(gmail: TestGmail, n: number, flushes: 'wait for the disk' | 'skip the disk flushes' = 'wait for the disk') {
  const accounts = SEND_ACCOUNTS;
  const dataDir = tempDir('send');
  const clock = new FakeClock();
  const engine = await createEngine({ dataDir, clock, smtpTimeouts: { connectionMs: 5000, socketMs: 5000, idleMs: 60_000 } });
  // Diagnostic: the send path's commits are made and its flushes requested, but never done.
  if (flushes === 'skip the disk flushes') internals(engine).ctx.walSync.durable = () => Promise.resolve();
  await engine.settings.update({ batchSize: 100, messageDelayMs: 0, batchIntervalSeconds: 1 });
  for (const a of accounts) {
    await engine.accounts.add({ ...a, host: gmail.host, port: gmail.port, security: 'none', dailyCap: 2000 });
  }
  const created = await engine.campaigns.create({
    name: 'bench send',
    subject: 'Hello {{first_name}}',
    text: 'Hi {{first_name}},\n\nA short note from the benchmark.\n',
    csv: csvOf(n),
  });
  await engine.campaigns.queue({ id: created.campaign.id });

  // Counts the SQL statements the drain runs (every run of a statement, cached or not) and
  // the commits: transactions, plus writes run outside one (each autocommits).
  const { sqlite } = internals(engine);
  const sqlCount = { statements: 0, transactions: 0, autocommitWrites: 0 };
  const statementProto = Object.getPrototypeOf(sqlite.prepare('select 1')) as Record<'run' | 'all', (...args: unknown[]) => unknown>;
  const original = { run: statementProto.run, all: statementProto.all };
  for (const method of ['run', 'all'] as const) {
    statementProto[method] = function (this: BetterSqlite3.Statement, ...args: unknown[]) {
      sqlCount.statements++;
      const verb = this.source.trimStart().slice(0, 7).toLowerCase();
      if (verb.startsWith('begin')) sqlCount.transactions++;
      else if (!sqlite.inTransaction && /^(insert|update|delete)/.test(verb)) sqlCount.autocommitWrites++;
      return original[method].apply(this, args);
    };
  }
  const acceptedBefore = gmail.accepted.length;
  const loginsBefore = gmail.logins.length;
  const t0 = performance.now();
  let batches = 0;
  while (await engine.runBatchNow()) batches++;
  const engineMs = performance.now() - t0;
  Object.assign(statementProto, original);
  const engineSent = gmail.accepted.length - acceptedBefore;
  const engineLogins = gmail.logins.length - loginsBefore;
  const counts = await countMessages(internals(engine).ctx.db, created.campaign.id);
  await engine.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (engineSent !== n || counts.sent !== n) throw new Error(`send path: engine sent ${engineSent} (stored sent ${counts.sent}), expected ${n}`);
  const perMessage = {
    statements: round(sqlCount.statements / n, 2),
    commits: round((sqlCount.transactions + sqlCount.autocommitWrites) / n, 2),
  };
  return { engineMs, batches, engineLogins, perMessage };
}

export async function sendMeasure(n: number) {
  const gmail = await startTestGmail();
  const accounts = SEND_ACCOUNTS;
  for (const a of accounts) gmail.addAccount(a);
  // Both paths run once before they are timed, so neither pays for compiling its code (JIT) in
  // the measured run; the one that ran first used to.
  const warmUp = Math.min(n, SIZES.sendWarmUp);
  await engineDrain(gmail, warmUp);
  await bareSend(gmail, warmUp);
  const warmedUp = gmail.accepted.length;
  const { engineMs, batches, engineLogins, perMessage } = await engineDrain(gmail, n);

  const bareMs = await bareSend(gmail, n);
  if (gmail.accepted.length !== warmedUp + 2 * n) throw new Error(`send path: bare sent ${gmail.accepted.length - warmedUp - n}, expected ${n}`);
  // Diagnostic only: the same drain with the send path's disk flushes skipped, to show how much
  // of the gap is waiting for the disk.
  const noFlush = await engineDrain(gmail, n, 'skip the disk flushes');
  // Diagnostic only: the bare loop plus the least bookkeeping §8 asks for (minimalJournal).
  await bareSend(gmail, warmUp, minimalJournal('marks ahead', warmUp));
  const ceilingOneFsyncMs = await bareSend(gmail, n, minimalJournal('one fsync per message', n));
  const ceilingMarksAheadMs = await bareSend(gmail, n, minimalJournal('marks ahead', n));
  await gmail.close();

  // Diagnostic only: both again against a server that answers MAIL, RCPT and the end of the
  // data a few ms late, as one a few network hops away would (Gmail is further still).
  const far = await startTestGmail({ replyDelayMs: SIZES.sendFarDelayMs });
  for (const a of accounts) far.addAccount(a);
  const nFar = SIZES.sendFar;
  const farEngine = await engineDrain(far, nFar);
  const farBareMs = await bareSend(far, nFar);
  await far.close();

  // Diagnostic only: both again with smtp-server's own 100 ms wait before each greeting (the
  // test Gmail skips it by default). Runs before 2026-11-23 23:50 measured with it: one such
  // wait per 100 messages (each connection's login) is about 1 ms of idle per message.
  const greeting = await startTestGmail({ quickGreeting: false });
  for (const a of accounts) greeting.addAccount(a);
  const greetingEngine = await engineDrain(greeting, n);
  const greetingBareMs = await bareSend(greeting, n);
  await greeting.close();

  const engineRate = (n / engineMs) * 1000;
  const bareRate = (n / bareMs) * 1000;
  const farEngineRate = (nFar / farEngine.engineMs) * 1000;
  const farBareRate = (nFar / farBareMs) * 1000;
  return {
    messages: n,
    batches,
    engineMs: round(engineMs, 1),
    engineMsgPerS: round(engineRate, 1),
    engineLogins,
    perMessage,
    bareMs: round(bareMs, 1),
    bareMsgPerS: round(bareRate, 1),
    ratio: round(engineRate / bareRate),
    diagCeilingOneFsync: { msgPerS: round((n / ceilingOneFsyncMs) * 1000, 1), ratio: round(bareMs / ceilingOneFsyncMs) },
    diagCeilingMarksAhead: { msgPerS: round((n / ceilingMarksAheadMs) * 1000, 1), ratio: round(bareMs / ceilingMarksAheadMs) },
    diagNoDiskFlush: { engineMs: round(noFlush.engineMs, 1), engineMsgPerS: round((n / noFlush.engineMs) * 1000, 1), ratio: round(((n / noFlush.engineMs) * 1000) / bareRate) },
    diagGreetingWait: {
      engineMsgPerS: round((n / greetingEngine.engineMs) * 1000, 1),
      bareMsgPerS: round((n / greetingBareMs) * 1000, 1),
      ratio: round(n / greetingEngine.engineMs / (n / greetingBareMs)),
    },
    diagFarServer: {
      replyDelayMs: SIZES.sendFarDelayMs,
      messages: nFar,
      engineMsgPerS: round(farEngineRate, 1),
      bareMsgPerS: round(farBareRate, 1),
      ratio: round(farEngineRate / farBareRate),
    },
  };
}

/** What a send loop records around each message: the ceilings below plug in here; the baseline records nothing. */
export interface SendJournalHooks {
  beforeHandover(i: number): Promise<void> | void;
  afterSent(i: number): void;
  finish(): Promise<void> | void;
}

/**
 * Baseline: one pooled nodemailer transport (one connection, as the engine uses one per
 * account and sends one message at a time), the same number of messages, awaited in turn.
 * With `journal`, the same loop also keeps the least bookkeeping PRODUCT.md §8 asks for.
 */
export async function bareSend(gmail: TestGmail, n: number, journal?: SendJournalHooks): Promise<number> {
  const accounts = SEND_ACCOUNTS;
  const transport = nodemailer.createTransport({
    host: gmail.host,
    port: gmail.port,
    secure: false,
    ignoreTLS: true,
    auth: { user: accounts[0]!.email, pass: accounts[0]!.appPassword },
    pool: true,
    maxConnections: 1,
    maxMessages: 100,
  });
  const b0 = performance.now();
  for (let i = 1; i <= n; i++) {
    await journal?.beforeHandover(i);
    await transport.sendMail({
      from: accounts[0]!.email,
      to: `r${i}@example.com`,
      subject: `Hello Reader${i}`,
      text: `Hi Reader${i},\n\nA short note from the benchmark.\n`,
    });
    journal?.afterSent(i);
  }
  await journal?.finish();
  const bareMs = performance.now() - b0;
  transport.close();
  return bareMs;
}

/**
 * The least any engine keeping §8 must add to the bare loop, with nothing else (no rendering,
 * no re-checks, no rotation, no counters, a one-table outbox of n rows): a start mark on disk
 * before each handover, and each outcome recorded. Two ways:
 * - 'one fsync per message': the mark, with the previous outcome, committed with FULL sync
 *   before each handover (what the engine did before the send path's journal);
 * - 'marks ahead': the engine's journal (batch.ts): four marks per commit without waiting for
 *   the disk, the WAL flushed in the thread pool (WalSync), a message handed over only once
 *   its mark's flush is done.
 */
export function minimalJournal(kind: 'one fsync per message' | 'marks ahead', n: number) {
  const dir = tempDir('ceiling');
  const file = join(dir, 'outbox.sqlite');
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.exec('create table outbox (id integer primary key, status text not null, started_at integer, sent_at integer)');
  const insert = sqlite.prepare(`insert into outbox (id, status) values (?, 'sending')`);
  sqlite.transaction(() => {
    for (let i = 1; i <= n; i++) insert.run(i);
  })();
  const mark = sqlite.prepare('update outbox set started_at = ? where id = ?');
  const sent = sqlite.prepare(`update outbox set status = 'sent', sent_at = ? where id = ?`);
  const walSync = new WalSync(`${file}-wal`);
  let held: number[] = [];
  const recordHeld = () => {
    for (const id of held) sent.run(Date.now(), id);
    held = [];
  };
  const unsynced = (work: () => void) => {
    sqlite.pragma('synchronous = NORMAL');
    try {
      sqlite.transaction(work)();
    } finally {
      sqlite.pragma('synchronous = FULL');
    }
  };
  let markedThrough = 1; // ids [1, markedThrough) are marked
  const onDisk: Promise<void>[] = [];
  const hooks: SendJournalHooks = {
    async beforeHandover(i) {
      if (kind === 'one fsync per message') {
        sqlite.transaction(() => {
          recordHeld();
          mark.run(Date.now(), i);
        })();
        return;
      }
      if (i >= markedThrough || markedThrough - i <= 2) {
        const from = Math.max(i, markedThrough);
        const to = Math.min(n + 1, from + 4);
        unsynced(() => {
          recordHeld();
          for (let id = from; id < to; id++) mark.run(Date.now(), id);
        });
        const flushed = walSync.durable();
        flushed.catch(() => undefined);
        for (let id = from; id < to; id++) onDisk[id] = flushed;
        markedThrough = to;
      }
      await onDisk[i];
    },
    afterSent(i) {
      held.push(i);
    },
    async finish() {
      sqlite.transaction(recordHeld)();
      await walSync.close();
      const notSent = (sqlite.prepare(`select count(*) as n from outbox where status <> 'sent' or started_at is null`).get() as { n: number }).n;
      sqlite.close();
      rmSync(dir, { recursive: true, force: true });
      if (notSent !== 0) throw new Error(`send ceiling (${kind}): ${notSent} messages not recorded`);
    },
  };
  return hooks;
}
