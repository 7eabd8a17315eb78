import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src-main/engine/core/clock';
import type { EngineLogger } from '../../src-main/engine/context';
import { type Engine, createEngine } from '../../src-main/engine/engine';
import type { SettingsUpdate } from '../../src-main/engine/settings/settings';
import type { Dovecot } from './dovecot';
import { FakeClock } from './fake-clock';
import { type TestGmail, type TestGmailAccount, startTestGmail } from './test-gmail';

export const TEST_ACCOUNTS: TestGmailAccount[] = [
  { email: 'alice@gmail.test', appPassword: 'aaaabbbbccccdddd' },
  { email: 'bob@gmail.test', appPassword: 'eeeeffffgggghhhh' },
  { email: 'carol@gmail.test', appPassword: 'iiiijjjjkkkkllll' },
];

export interface TestSetup {
  engine: Engine;
  gmail: TestGmail;
  clock: FakeClock;
  dataDir: string;
  /** The engine's SQLite file, for tests that inspect what is stored. */
  databaseFile: string;
  /** Opens a second engine on the same data directory, as after a restart. */
  reopen(): Promise<Engine>;
  /** Adds a test Gmail account to the engine (login verified). */
  addAccount(account: TestGmailAccount, extra?: Record<string, unknown>): Promise<number>;
  close(): Promise<void>;
}

const FAST_SMTP = { connectionMs: 3000, socketMs: 3000, idleMs: 60_000 };
const FAST_IMAP = { connectionMs: 3000, greetingMs: 3000, socketMs: 3000 };

/**
 * A real engine on a real SQLite file in a temp directory, a fake clock, and the test Gmail
 * on loopback. Sending settings default to no pause between messages (the fake clock would
 * skip it anyway) so a batch's real duration is only the SMTP round trips.
 */
export async function createTestEngine(
  options: {
    accounts?: (TestGmailAccount & { dailyCap?: number })[];
    settings?: SettingsUpdate;
    gmail?: TestGmail;
    /** Another clock than the FakeClock, e.g. the system clock under vi.useFakeTimers. */
    clock?: Clock;
    smtpTimeouts?: typeof FAST_SMTP;
    /** Where the engine logs (silent when absent), e.g. to assert that a failed job was reported. */
    logger?: EngineLogger;
    /** The engine's quickSendMs: how quick a send must be for start marks to run ahead. */
    quickSendMs?: number;
    /** Where the data folder is made (a temp folder of its own inside it); the system's temp folder by default. */
    under?: string;
    /**
     * Gives the test Gmail's accounts a mailbox on this IMAP server (one per test file), and the
     * engine's accounts watch it: Gmail's real behaviour (Sent Mail copies, notices later).
     */
    mailbox?: Dovecot;
  } = {},
): Promise<TestSetup> {
  const dataDir = mkdtempSync(join(options.under ?? tmpdir(), 'trickle-test-'));
  const gmail = options.gmail ?? (await startTestGmail(options.mailbox ? { mailbox: options.mailbox } : {}));
  const clock = new FakeClock();
  // Mailbox dates (Sent Mail copies, notices) are on the engine's clock, as they would be on Gmail's.
  if (!options.clock) gmail.setClock(() => clock.now());
  const engines: Engine[] = [];
  const open = async () => {
    const engine = await createEngine({
      dataDir,
      clock: options.clock ?? clock,
      smtpTimeouts: options.smtpTimeouts ?? FAST_SMTP,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.quickSendMs !== undefined ? { quickSendMs: options.quickSendMs } : {}),
      imapTimeouts: FAST_IMAP,
    });
    engines.push(engine);
    return engine;
  };
  const engine = await open();
  if (options.settings) await engine.settings.update(options.settings);

  const addAccount = async (account: TestGmailAccount & { dailyCap?: number }, extra: Record<string, unknown> = {}) => {
    gmail.addAccount(account);
    if (gmail.mailbox) await gmail.mailboxIdle(); // its mailbox exists before the engine looks at it
    const added = await engines.at(-1)!.accounts.add({
      email: account.email,
      appPassword: account.appPassword,
      host: gmail.host,
      port: gmail.port,
      security: 'none',
      ...(account.dailyCap ? { dailyCap: account.dailyCap } : {}),
      // Its mailbox on the test IMAP server; none (not watched) without one.
      ...(gmail.mailbox ? { imapHost: gmail.mailbox.host, imapPort: gmail.mailbox.port, imapSecurity: 'none' } : {}),
      ...extra,
    });
    return added.id;
  };
  for (const account of options.accounts ?? []) await addAccount(account);

  return {
    engine,
    gmail,
    clock,
    dataDir,
    databaseFile: join(dataDir, 'trickle.sqlite'),
    reopen: open,
    addAccount,
    async close() {
      for (const e of engines) await e.stop().catch(() => undefined);
      if (!options.gmail) await gmail.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `n` recipients as CSV text with a first_name column: r1@example.com … */
export function recipientsCsv(n: number, domain = 'example.com'): string {
  const lines = ['email,first_name'];
  for (let i = 1; i <= n; i++) lines.push(`r${i}@${domain},Reader${i}`);
  return lines.join('\n');
}

/** Runs batches until nothing is claimed (or `max` batches), returning how many ran. */
export async function drain(engine: Engine, max = 1000): Promise<number> {
  let batches = 0;
  while (batches < max && (await engine.runBatchNow())) batches++;
  return batches;
}

/**
 * Resolves once the engine's pending disk flushes (the send path's, see WalSync) are done:
 * they run in the thread pool on real time, which fake timers do not advance.
 */
export async function diskFlushed(engine: Engine): Promise<void> {
  await engine.internals.ctx.walSync.durable();
}

/**
 * Kills an engine the way a crash does, as far as one process can: its database connection
 * goes away mid-batch, so nothing it does afterwards is recorded. (What it already committed
 * stays; a real SIGKILL test lives in test/chaos.)
 */
export function crash(engine: Engine): void {
  engine.internals.sqlite.close();
}

/** Polls `condition` every 5 ms (real time) until it holds; throws after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
