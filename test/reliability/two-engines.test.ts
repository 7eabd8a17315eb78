/**
 * One engine per database, whatever happens to the files beside it (issue #11, point 1).
 *
 * Real engines in their own processes — headless servers (`out/headless/serve.js`) as a user runs
 * them, and the crash test's child program — share one data folder; the test Gmail in this
 * process is the witness, counting deliveries per Message-ID and per account. While the first
 * engine sends, every file of the folder but the database is deleted (the lock file
 * `trickle.sqlite.owner`, the key file, the token, the backups: what a user clearing a "stale
 * lock" or a sync tool may remove). The database's own -wal and -shm are not: they are part of
 * the database (its latest commits and their index); removing them under a running SQLite
 * loses or corrupts committed data whatever the locking, as SQLite's documentation warns.
 *
 * Then a second engine starts. It must not send anything the first sends: no Message-ID twice,
 * no account over its daily cap.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { build } from 'vite';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src-main/engine/engine';
import { KeyFileSecretStore } from '../../src-main/engine/core/secrets';
import { deliveredCounts } from '../chaos/invariants';
import { TEST_ACCOUNTS, recipientsCsv } from '../support/test-engine';
import { type TestGmail, startTestGmail } from '../support/test-gmail';

const ROOT = join(import.meta.dirname, '../..');
const SERVE = join(ROOT, 'out/headless/serve.js');
const CHAOS_CONFIG = fileURLToPath(new URL('../chaos/vite.config.ts', import.meta.url));
// Its own build of the crash test's child (git-ignored): the crash test empties test/chaos/out when it builds.
const CHILD_OUT = join(import.meta.dirname, 'out');
const CHILD = join(CHILD_OUT, 'chaos-child.js');
const [ALICE, BOB] = [TEST_ACCOUNTS[0]!, TEST_ACCOUNTS[1]!];
/** What a user or a sync tool may delete: everything but the database's own three files. */
const DATABASE_FILES = new Set(['trickle.sqlite', 'trickle.sqlite-wal', 'trickle.sqlite-shm']);

beforeAll(async () => {
  if (!existsSync(SERVE)) throw new Error('out/headless/serve.js is missing: run `npm run build` first (npm test does).');
  await build({ configFile: CHAOS_CONFIG, logLevel: 'warn', build: { outDir: CHILD_OUT, emptyOutDir: true } });
}, 60_000);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Running {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function runNode(args: string[], env: NodeJS.ProcessEnv = process.env): Running {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, output: () => output, exited };
}

const serve = (dataDir: string) => runNode([SERVE, '--port', '0', '--data-dir', dataDir]);
/**
 * The crash test's engine program. Its key comes from TRICKLE_SECRET_KEY, as headless mode
 * allows: deleting the folder's files then loses no key, so an engine that may take over can send.
 * (With a key file, deleting it stops any newcomer from sending at all: secrets.test.ts.)
 */
const engineChild = (dataDir: string, ...flags: string[]) =>
  runNode([CHILD, dataDir, ...flags], { ...process.env, TRICKLE_SECRET_KEY: KEY });
const KEY = randomBytes(32).toString('hex');

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits for the process to exit, or to say it runs (a second engine that was not refused). */
async function refusedOrRunning(app: Running, runningSign: RegExp): Promise<'exited' | 'running'> {
  let exited = false;
  void app.exited.then(() => (exited = true));
  await until(() => exited || runningSign.test(app.output()), 'the second engine to be refused or to start');
  return exited ? 'exited' : 'running';
}

function deleteAllButTheDatabase(dataDir: string): string[] {
  const removed = readdirSync(dataDir).filter((name) => !DATABASE_FILES.has(name));
  for (const name of removed) rmSync(join(dataDir, name), { recursive: true, force: true });
  return removed;
}

interface Prepared {
  dataDir: string;
  gmail: TestGmail;
  caps: Record<string, number>;
  recipients: number;
}

/** A data folder with two capped accounts on the test Gmail and a queued campaign, set up by an engine that then closes. */
async function prepare(options: {
  recipients: number;
  cap: number;
  batchSize: number;
  messageDelayMs: number;
  batchIntervalSeconds: number;
  /** Passwords under TRICKLE_SECRET_KEY (the engine children), or the folder's key file (headless). */
  envKey?: boolean;
}): Promise<Prepared> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trickle-two-engines-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const gmail = await startTestGmail();
  cleanups.push(() => gmail.close());
  const engine = await createEngine({ dataDir, ...(options.envKey ? { secrets: new KeyFileSecretStore({ dataDir, envKey: KEY }) } : {}) });
  try {
    await engine.settings.update({
      batchSize: options.batchSize,
      messageDelayMs: options.messageDelayMs,
      batchIntervalSeconds: options.batchIntervalSeconds,
      retryIntervalSeconds: 86_400,
    });
    for (const account of [ALICE, BOB]) {
      gmail.addAccount(account);
      await engine.accounts.add({ ...account, dailyCap: options.cap, host: gmail.host, port: gmail.port, security: 'none', verify: false });
    }
    const { campaign } = await engine.campaigns.create({
      name: 'Newsletter',
      subject: 'News',
      text: 'Hello {{first_name}}',
      csv: recipientsCsv(options.recipients),
    });
    await engine.campaigns.queue({ id: campaign.id });
  } finally {
    await engine.stop();
  }
  return { dataDir, gmail, caps: { [ALICE.email]: options.cap, [BOB.email]: options.cap }, recipients: options.recipients };
}

/** The witness: no Message-ID delivered twice, no account over its cap. */
function expectNothingTwiceNoCapPassed({ gmail, caps }: Prepared): void {
  const counts = deliveredCounts({ accepted: gmail.accepted, unacknowledged: gmail.receivedButUnacknowledged });
  expect(
    [...counts].filter(([, n]) => n > 1),
    'Message-IDs delivered more than once',
  ).toEqual([]);
  for (const [account, cap] of Object.entries(caps)) {
    expect(gmail.acceptedBy(account).length, `${account}'s deliveries (cap ${cap})`).toBeLessThanOrEqual(cap);
  }
}

function statusCounts(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, 'trickle.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('select status, count(*) as n from messages group by status').all() as { status: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } finally {
    db.close();
  }
}

describe('two engines on one data folder, every file but the database deleted', () => {
  it('headless, as in the issue: the second server is refused before and after the lock file is deleted; the first sends each message once, within the caps', async () => {
    const setup = await prepare({ recipients: 40, cap: 10, batchSize: 10, messageDelayMs: 150, batchIntervalSeconds: 1 });
    const { dataDir, gmail } = setup;

    const first = serve(dataDir);
    await until(() => first.output().includes('Trickle is running.'), 'the first server to start');
    await until(() => gmail.accepted.length >= 2, 'the first server to be sending');

    const second = serve(dataDir);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`Trickle is already running on this data folder (process ${first.child.pid}). Close it first.`);

    // As in the issue: a user clears the "stale lock". The next server is refused all the same.
    rmSync(join(dataDir, 'trickle.sqlite.owner'));
    const third = serve(dataDir);
    const thirdVerdict = await refusedOrRunning(third, /Trickle is running\./);
    // Then everything else goes too (the key file, the token, the backups): only the database is left.
    const removed = deleteAllButTheDatabase(dataDir);
    expect(removed).toEqual(expect.arrayContaining(['secret.key', 'headless-token']));
    const fourth = serve(dataDir);
    const fourthVerdict = await refusedOrRunning(fourth, /Trickle is running\./);

    // The first one carries on to the caps (2 × 10), then stops cleanly (as would the others, had they started).
    await until(() => gmail.accepted.length >= 20, 'the caps to be reached', 12_000).catch(() => undefined);
    for (const app of [first, third, fourth]) app.child.kill('SIGTERM');
    await Promise.all([first.exited, third.exited, fourth.exited]);
    // The witness first: what the server received.
    expectNothingTwiceNoCapPassed(setup);
    expect(gmail.accepted).toHaveLength(20);
    expect(statusCounts(dataDir)).toEqual({ sent: 20, queued: 20 });
    // The others were refused, in words, naming the first.
    for (const [verdict, app] of [
      [thirdVerdict, third],
      [fourthVerdict, fourth],
    ] as const) {
      expect(verdict).toBe('exited');
      expect(await app.exited).toBe(1);
      expect(app.output()).toContain(
        `Trickle could not start: Trickle is already running on this data folder (process ${first.child.pid}), although its lock file (trickle.sqlite.owner) was removed. Close it first.`,
      );
    }
    expect(await first.exited).toBe(0);
  }, 40_000);

  it('a newcomer that takes over from an owner it believes gone (stale lease) fences it off: the old one stops, nothing goes twice', async () => {
    const setup = await prepare({ recipients: 30, cap: 12, batchSize: 10, messageDelayMs: 50, batchIntervalSeconds: 86_400, envKey: true });
    const { dataDir, gmail } = setup;

    const first = engineChild(dataDir);
    await until(() => gmail.accepted.length >= 3, 'the first engine to be sending');
    deleteAllButTheDatabase(dataDir);
    // `--stale-ms 0`: the newcomer counts any heartbeat as too old, as if the first engine had
    // been frozen (stopped, starved) for longer than the lease allows. It takes over while the
    // first still runs: the worst case for recovery, which then settles a live engine's batch.
    const second = engineChild(dataDir, '--stale-ms', '0');

    const [firstExit, secondExit] = await Promise.all([first.exited, second.exited]);
    expectNothingTwiceNoCapPassed(setup);
    expect(secondExit).toBe(0);
    expect(second.output()).toContain('took over the data folder from a Trickle that gave no sign of life');
    expect(firstExit).toBe(1);
    expect(first.output()).toMatch(/Another Trickle \(process \d+\) took over this data folder.*stopped sending/);

    expect(gmail.accepted).toHaveLength(24); // both caps used up, by the two engines together
    const counts = statusCounts(dataDir);
    expect(counts.sending ?? 0).toBe(0);
    // Every delivery is on record as sent, or in doubt (a send the first had started when it was fenced off).
    expect((counts.sent ?? 0) + (counts.in_doubt ?? 0)).toBeGreaterThanOrEqual(24);
    expect((counts.sent ?? 0) + (counts.in_doubt ?? 0) + (counts.queued ?? 0)).toBe(30);
  }, 40_000);

  it('killed, and its lock file deleted: a restart is refused while the lease may be alive, then takes over, settles the send in flight as in doubt', async () => {
    const setup = await prepare({ recipients: 24, cap: 12, batchSize: 10, messageDelayMs: 50, batchIntervalSeconds: 86_400, envKey: true });
    const { dataDir, gmail } = setup;

    const first = engineChild(dataDir);
    // Killed as the server receives a message's data: that send was in flight.
    gmail.onReceived(() => {
      if (gmail.accepted.length >= 3) first.child.kill('SIGKILL');
    });
    await first.exited;
    gmail.onReceived(undefined);
    // Another program still has the old lock file open (a sync tool, a backup): its inode cannot be
    // reused by the next lock file, so the newcomer cannot tell from the lock that the first is dead.
    // (Were it reused, that would prove it: a live holder keeps its file's inode.)
    const held = openSync(join(dataDir, 'trickle.sqlite.owner'), 'r');
    cleanups.push(() => closeSync(held));
    deleteAllButTheDatabase(dataDir);

    const second = engineChild(dataDir);
    expect(await refusedOrRunning(second, /"t":"recovered"/)).toBe('exited');
    expect(second.output()).toMatch(/although its lock file \(trickle\.sqlite\.owner\) was removed.*start Trickle again in \d+ seconds/);
    const deliveredBefore = gmail.accepted.length;

    // Its heartbeat is old enough now (here: at once).
    const third = engineChild(dataDir, '--stale-ms', '0');
    expect(await third.exited).toBe(0);
    expect(third.output()).toMatch(/"t":"recovered","inDoubt":1/);
    expectNothingTwiceNoCapPassed(setup);
    expect(gmail.accepted.length).toBeGreaterThan(deliveredBefore);
    const delivered = deliveredCounts({ accepted: gmail.accepted, unacknowledged: gmail.receivedButUnacknowledged }).size;
    expect(delivered).toBe(24);
    expect(statusCounts(dataDir)).toEqual({ in_doubt: 1, sent: 23 });
  }, 40_000);

  it('frozen for real (SIGSTOP) mid-batch while a newcomer takes over and sends everything, then woken (SIGCONT): it sends nothing more', async () => {
    const setup = await prepare({ recipients: 24, cap: 12, batchSize: 10, messageDelayMs: 50, batchIntervalSeconds: 86_400, envKey: true });
    const { dataDir, gmail } = setup;

    const first = engineChild(dataDir);
    // Frozen as the server has a message's data and has not answered yet (review of #11, rev11).
    let frozen = false;
    gmail.onReceived(() => {
      if (gmail.accepted.length >= 3) {
        gmail.onReceived(undefined);
        first.child.kill('SIGSTOP');
        frozen = true;
      }
    });
    await until(() => frozen, 'the first engine to be frozen mid-send');
    deleteAllButTheDatabase(dataDir);
    const second = engineChild(dataDir, '--stale-ms', '0');
    expect(await second.exited).toBe(0);
    const deliveredBySecond = gmail.accepted.length;

    first.child.kill('SIGCONT');
    const firstExit = await first.exited;
    expectNothingTwiceNoCapPassed(setup);
    // Woken, the first reads the answer to the message it had in hand (already counted above),
    // and hands over nothing after it.
    expect(gmail.accepted.length).toBe(deliveredBySecond);
    expect(firstExit).toBe(1);
    expect(first.output()).toMatch(/Another Trickle \(process \d+\) took over this data folder/);
    const counts = statusCounts(dataDir);
    expect(counts.sending ?? 0).toBe(0);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(24);
  }, 40_000);
});
