/**
 * The crash test (reliability issue, point 2). A child process runs the real engine against the
 * test Gmail, which lives here in the parent so it survives every kill and witnesses what was
 * really delivered. The parent SIGKILLs the child at a chosen moment, checks the database the
 * dead process left and the server's witness (invariants.ts), restarts the child on the same data
 * directory, and repeats; each scenario ends with a clean run that drains what it can, and a
 * final check. Used by test/chaos/crash.test.ts (a handful of kills) and chaos-main.ts
 * (`npm run chaos`, 200 kills). See docs/RELIABILITY.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../../src-main/engine/engine';
import type { Dovecot } from '../support/dovecot';
import { TEST_ACCOUNTS } from '../support/test-engine';
import { GMAIL_REPLIES, type SessionEvent, type TestGmail, startTestGmail } from '../support/test-gmail';
import type { MessageStatus } from '../../src-main/engine/db/schema';
import type { ChildLine } from './chaos-child';
import { type DeathPoint, checkInvariants, deathPoint, deliveredCounts, readSnapshot, type Snapshot, type Witness } from './invariants';

/**
 * Where the kill lands. 'random': a random delay after the process starts (startup, recovery,
 * claims, sends, recording: wherever it falls). 'claim': as the child announces a batch, i.e. as
 * it starts claiming. The others are seen from the test Gmail: 'before-data' once a recipient is
 * accepted, before DATA; 'mid-transfer' at the first chunk of the message data; 'before-250'
 * when the whole message has arrived and the server has not answered; 'after-250' 0–2 ms after
 * the 250 was written, i.e. while the child reads it and records the message as sent.
 */
export const KILL_MOMENTS = ['random', 'claim', 'before-data', 'mid-transfer', 'before-250', 'after-250'] as const;
export type KillMoment = (typeof KILL_MOMENTS)[number];

export interface ChaosOptions {
  /** How many SIGKILLs in all. */
  kills: number;
  /** The built child (test/chaos/out/chaos-child.js). */
  childScript: string;
  seed?: number;
  /** Kill moments are taken in turn (every one covered) or drawn at random. */
  order?: 'round-robin' | 'random';
  /** Only these moments (default: all). */
  moments?: readonly KillMoment[];
  /** Recipients per scenario, drawn between these (default 20–40). */
  recipients?: [min: number, max: number];
  /** Progress lines, e.g. console.log. */
  progress?: (line: string) => void;
  /**
   * Give the accounts Gmail-shaped mailboxes there (a Sent Mail copy of each message Gmail
   * took): each scenario ends with a look at them, after which nothing may stay in doubt that
   * Sent Mail can settle (PRODUCT.md §5b, §8).
   */
  mailbox?: Dovecot;
}

export interface ChaosReport {
  seed: number;
  kills: number;
  killsByMoment: Record<KillMoment, number>;
  /** What the database showed about the batch in flight at each kill. */
  databaseAtDeath: Record<DeathPoint, number>;
  /** 'after-250' kills: the child had committed the message as sent, or had not yet. */
  after250: { committed: number; notCommitted: number };
  /** 'mid-transfer' kills: the message data was cut short, or had in fact all arrived already. */
  midTransfer: { cutShort: number; arrivedWhole: number };
  /** Kills that landed before the engine had finished starting (opening, migrating, recovering). */
  killedDuringStartup: number;
  /** Triggers that never fired because the child drained everything first (not counted as kills). */
  triggersNotReached: number;
  scenarios: number;
  scenariosWithBindingCaps: number;
  restarts: number;
  messages: number;
  /** Distinct messages the server received in full (250 or not). */
  delivered: number;
  /** Messages received more than once; all of them resent on purpose (the others are violations). */
  duplicates: { onPurpose: number; unexpected: number };
  /** In doubt at the end of their scenario, and how many of those had really arrived. */
  inDoubt: { total: number; arrived: number };
  /** In doubt before the final look at the mailboxes, then confirmed sent from Sent Mail. */
  settledFromSentMail: number;
  resentOnPurpose: number;
  final: Record<'sent' | 'in_doubt' | 'failed' | 'expired' | 'queued' | 'retry_wait' | 'other', number>;
  violations: string[];
  elapsedMs: number;
}

/** Seeded PRNG (mulberry32): a run's choices can be replayed, its timings cannot. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

interface Scenario {
  /** Each campaign's recipients, queued in this order. */
  campaigns: string[][];
  /** All of them. */
  recipients: string[];
  accounts: { email: string; appPassword: string; dailyCap: number }[];
  batchSize: number;
  messageDelayMs: number;
  /** The campaigns' stop time, this long after they are queued: what is unsent then expires. */
  stopAfterMs: number | undefined;
  /** At which restart (1-based) the user resends what is in doubt, if at all. */
  resendAtRestart: number | undefined;
  killsPlanned: number;
}

function makeScenario(rng: Rng, killsLeft: number, recipients: [number, number], number: number): Scenario {
  const size = rng.int(...recipients);
  const accountCount = rng.int(2, 3);
  const bindingCaps = rng.chance(0.35);
  const accounts = TEST_ACCOUNTS.slice(0, accountCount).map((a) => ({
    ...a,
    // A mailbox of its own per scenario: an earlier scenario's Sent Mail is not this one's.
    email: a.email.replace('@', `.s${number}@`),
    // Binding caps: together below the recipients, so some must wait for tomorrow.
    dailyCap: bindingCaps ? rng.int(2, Math.max(2, Math.floor(size / accountCount) - 2)) : 1000,
  }));
  const killsPlanned = Math.min(killsLeft, rng.int(1, 5));
  // Sometimes two campaigns, so claims cross from one to the next and each must complete.
  const split = rng.chance(0.3) ? rng.int(3, size - 3) : size;
  const campaigns = [
    Array.from({ length: split }, (_, i) => `r${i + 1}@example.com`),
    Array.from({ length: size - split }, (_, i) => `s${i + 1}@example.com`),
  ].filter((c) => c.length > 0);
  return {
    campaigns,
    recipients: campaigns.flat(),
    accounts,
    batchSize: rng.int(2, 10),
    stopAfterMs: rng.chance(0.2) ? rng.int(300, 1500) : undefined,
    messageDelayMs: rng.int(0, 3),
    // The first run starts from a fresh queue: nothing can be in doubt before the first kill.
    resendAtRestart: rng.chance(0.3) ? rng.int(2, killsPlanned + 1) : undefined,
    killsPlanned,
  };
}

/** Some temporary refusals, a dropped connection after the data, a bounce: faults the engine meets anyway. */
function scriptFaults(rng: Rng, gmail: TestGmail, scenario: Scenario): void {
  const pick = () => scenario.recipients[rng.int(0, scenario.recipients.length - 1)]!;
  for (let i = rng.int(0, 2); i > 0; i--)
    gmail.fail({ stage: 'data', rcpt: pick(), times: 1, fault: { reply: GMAIL_REPLIES.temporarilyRejected } });
  if (rng.chance(0.3)) gmail.fail({ stage: 'data', rcpt: pick(), times: 1, fault: { drop: 'after-data' } });
  if (rng.chance(0.3)) gmail.fail({ stage: 'rcpt', rcpt: pick(), fault: { reply: GMAIL_REPLIES.noSuchUser } });
}

/** A body of ~60 KB, so the message data crosses the socket in several chunks. */
const BODY = Array.from({ length: 800 }, (_, i) => `Line ${i + 1} of the club newsletter for {{first_name}}.`).join('\n');

/** The parent sets the data directory up with its own engine, then closes it: the child only sends. */
async function prepare(dataDir: string, gmail: TestGmail, scenario: Scenario): Promise<void> {
  const mailbox = gmail.mailbox ? { imapHost: gmail.mailbox.host, imapPort: gmail.mailbox.port, imapSecurity: 'none' as const } : {};
  const engine = await createEngine({ dataDir });
  try {
    // Long scheduler intervals: the child drives the batches itself, back to back.
    await engine.settings.update({
      batchSize: scenario.batchSize,
      messageDelayMs: scenario.messageDelayMs,
      batchIntervalSeconds: 86_400,
      retryIntervalSeconds: 86_400,
      maxRetries: 3,
    });
    for (const account of scenario.accounts) {
      gmail.addAccount(account);
      await engine.accounts.add({ ...account, host: gmail.host, port: gmail.port, security: 'none', verify: false, ...mailbox });
    }
    for (const [n, recipients] of scenario.campaigns.entries()) {
      const csv = ['email,first_name', ...recipients.map((r, i) => `${r},Reader${i + 1}`)].join('\n');
      const stopAfter = scenario.stopAfterMs === undefined ? {} : { stopAfter: new Date(Date.now() + scenario.stopAfterMs).toISOString() };
      const { campaign } = await engine.campaigns.create({
        name: `Chaos ${n + 1}`,
        subject: 'News for {{first_name}}',
        text: BODY,
        csv,
        ...stopAfter,
      });
      await engine.campaigns.queue({ id: campaign.id });
    }
  } finally {
    await engine.stop();
  }
}

interface ChildRun {
  killed: boolean;
  /** Neither killed nor idle within HUNG_MS: the test killed it, and that is a violation. */
  hung: boolean;
  exitCode: number | null;
  output: string[];
  startedUp: boolean;
  /** The message the server was handling when an 'after-250' kill struck. */
  target?: string;
  /** The recipient whose data was arriving when a 'mid-transfer' kill struck, and when. */
  cut?: { rcpt: string; at: number };
  lifeMs: number;
}

/** How long a child may live without being killed or going idle before the test calls it hung. */
const HUNG_MS = 60_000;

/**
 * Runs the child once. With a moment, arms the trigger for it and SIGKILLs the child when it
 * fires; without one (or if the child drains everything first) waits for it to go idle and exit.
 */
function runChild(
  script: string,
  dataDir: string,
  flags: string[],
  gmail: TestGmail,
  moment: KillMoment | undefined,
  rng: Rng,
  randomSpanMs: number,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child: ChildProcess = spawn(process.execPath, [script, dataDir, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { killed: false, hung: false, exitCode: null, output: [], startedUp: false, lifeMs: 0 };
    const timers: NodeJS.Timeout[] = [];
    const kill = () => {
      if (run.killed || child.exitCode !== null) return;
      run.killed = true;
      child.kill('SIGKILL');
    };
    // The n-th occurrence of the chosen point, so kills land at different places in a batch.
    let countdown = rng.int(1, 4);
    const fire = (then: () => void) => {
      if (--countdown === 0) then();
    };

    let firstChunk = true;
    const afterDelay = rng.int(0, 2);
    const observer = (event: SessionEvent) => {
      if (run.killed) return;
      if (moment === 'before-data' && event.point === 'rcpt') fire(kill);
      if (moment === 'mid-transfer' && event.point === 'rcpt') firstChunk = true;
      if (moment === 'mid-transfer' && event.point === 'data-chunk' && firstChunk) {
        firstChunk = false;
        fire(() => {
          run.cut = { rcpt: event.rcpts[0]!, at: Date.now() };
          kill();
        });
      }
      if (moment === 'before-250' && event.point === 'data-end') fire(kill);
      if (moment === 'after-250' && event.point === 'replied') {
        fire(() => {
          run.target = event.messageId;
          if (afterDelay === 0) kill();
          else timers.push(setTimeout(kill, afterDelay));
        });
      }
    };
    gmail.observe(moment ? observer : undefined);
    if (moment === 'random') timers.push(setTimeout(kill, rng.int(0, randomSpanMs)));
    timers.push(
      setTimeout(() => {
        run.hung = true;
        child.kill('SIGKILL');
      }, HUNG_MS),
    );

    let buffered = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        run.output.push(text);
        let line: ChildLine;
        try {
          line = JSON.parse(text) as ChildLine;
        } catch {
          continue;
        }
        if (line.t === 'recovered') run.startedUp = true;
        if (moment === 'claim' && line.t === 'batch' && !run.killed) fire(() => spinThenKill(kill, rng.int(0, 3000)));
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => run.output.push(`stderr: ${chunk.trimEnd()}`));
    child.on('error', reject);
    child.on('exit', (code) => {
      for (const t of timers) clearTimeout(t);
      gmail.observe(undefined);
      run.exitCode = code;
      run.lifeMs = Date.now() - started;
      resolve(run);
    });
  });
}

/**
 * The claim takes a millisecond or two after the child says `batch`: a timer is too coarse to
 * land in it, so the parent busy-waits up to 3 ms (its test Gmail has nothing to do meanwhile).
 */
function spinThenKill(kill: () => void, microseconds: number): void {
  const until = process.hrtime.bigint() + BigInt(microseconds) * 1000n;
  while (process.hrtime.bigint() < until);
  kill();
}

function emptyCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const began = Date.now();
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const rng = prng(seed);
  const say = options.progress ?? (() => {});
  const report: ChaosReport = {
    seed,
    kills: 0,
    killsByMoment: emptyCounts(KILL_MOMENTS),
    databaseAtDeath: emptyCounts(['between batches', 'claim not committed', 'claimed, none started', 'send started'] as const),
    after250: { committed: 0, notCommitted: 0 },
    midTransfer: { cutShort: 0, arrivedWhole: 0 },
    killedDuringStartup: 0,
    triggersNotReached: 0,
    scenarios: 0,
    scenariosWithBindingCaps: 0,
    restarts: 0,
    messages: 0,
    delivered: 0,
    duplicates: { onPurpose: 0, unexpected: 0 },
    inDoubt: { total: 0, arrived: 0 },
    settledFromSentMail: 0,
    resentOnPurpose: 0,
    final: { sent: 0, in_doubt: 0, failed: 0, expired: 0, queued: 0, retry_wait: 0, other: 0 },
    violations: [],
    elapsedMs: 0,
  };
  // A random kill falls anywhere in a typical child's life (start to exit), measured on the
  // runs that end cleanly: up to 1.5 times their mean, so some land in startup, some after the end.
  const lives: number[] = [];
  const randomSpan = () => (lives.length ? Math.round((1.5 * lives.reduce((a, b) => a + b, 0)) / lives.length) : 400);
  let momentIndex = 0;
  const moments = options.moments ?? KILL_MOMENTS;

  while (report.kills < options.kills) {
    const scenario = makeScenario(rng, options.kills - report.kills, options.recipients ?? [20, 40], report.scenarios + 1);
    const dataDir = mkdtempSync(join(tmpdir(), 'trickle-chaos-'));
    const gmail = await startTestGmail(options.mailbox ? { mailbox: options.mailbox } : {});
    const databaseFile = join(dataDir, 'trickle.sqlite');
    report.scenarios++;
    if (scenario.accounts.some((a) => a.dailyCap < 1000)) report.scenariosWithBindingCaps++;
    report.messages += scenario.recipients.length;
    const resentOnPurpose = new Map<string, number>();
    const inDoubtSince = new Map<string, number>();
    const settled = new Map<string, MessageStatus>();
    let startedAtLastKill = new Set<string>();
    const witness: Witness = { accepted: gmail.accepted, unacknowledged: gmail.receivedButUnacknowledged, mailboxLooked: false };
    const transcript: string[] = [];
    const check = (phase: 'after kill' | 'final', snapshot: Snapshot) => {
      const found = checkInvariants(snapshot, {
        phase,
        recipients: scenario.recipients,
        witness,
        resentOnPurpose,
        inDoubtSince,
        settled,
        startedAtLastKill,
        now: Date.now(),
      });
      for (const v of found) report.violations.push(`scenario ${report.scenarios} (seed ${seed}): ${v}`);
      if (found.length) say(`VIOLATION ${found.join(' | ')}\n  transcript:\n    ${transcript.slice(-80).join('\n    ')}`);
      return found.length === 0;
    };

    try {
      await prepare(dataDir, gmail, scenario);
      scriptFaults(rng, gmail, scenario);
      let restart = 0;
      let drained = false;
      for (let k = 0; k < scenario.killsPlanned && !drained; k++) {
        // Round-robin moves on only once a moment's kill has landed, so every moment gets its turn.
        const moment = options.order === 'random' ? moments[rng.int(0, moments.length - 1)]! : moments[momentIndex % moments.length]!;
        const flags = resendFlags(++restart, scenario, databaseFile, resentOnPurpose, [inDoubtSince, settled]);
        if (restart > 1) report.restarts++;
        const run = await runChild(options.childScript, dataDir, flags, gmail, moment, rng, randomSpan());
        transcript.push(`--- run ${restart}: kill at ${moment}${flags.length ? ` ${flags.join(' ')}` : ''}`, ...run.output);
        if (run.hung) {
          report.violations.push(
            `scenario ${report.scenarios}: the child hung for ${HUNG_MS / 1000} s: ${run.output.slice(-5).join(' / ')}`,
          );
          break;
        }
        if (!run.killed) {
          // The child drained everything before the trigger fired: that was the clean final run.
          report.triggersNotReached++;
          drained = true;
          if (run.exitCode !== 0) report.violations.push(`scenario ${report.scenarios}: child exited with ${run.exitCode}`);
          lives.push(run.lifeMs);
          break;
        }
        report.kills++;
        report.killsByMoment[moment]++;
        momentIndex++;
        if (!run.startedUp) report.killedDuringStartup++;
        const snapshot = readSnapshot(databaseFile);
        report.databaseAtDeath[deathPoint(snapshot)]++;
        if (moment === 'after-250' && run.target) {
          const status = snapshot.messages.find((m) => m.messageId === run.target)?.status;
          if (status === 'sent') report.after250.committed++;
          else report.after250.notCommitted++;
        }
        // Killed before its recovery had run, the child proves nothing yet about the previous kill's sends.
        const carried = run.startedUp ? [] : [...startedAtLastKill];
        if (!run.startedUp) startedAtLastKill = new Set();
        if (run.cut) {
          // Let the server finish reading whatever had reached it before the socket died.
          await new Promise((resolve) => setTimeout(resolve, 20));
          const { rcpt, at } = run.cut;
          const whole = [...gmail.accepted, ...gmail.receivedButUnacknowledged].some((m) => m.envelope.to.includes(rcpt) && m.at >= at);
          if (whole) report.midTransfer.arrivedWhole++;
          else report.midTransfer.cutShort++;
        }
        check('after kill', snapshot);
        const inFlight = snapshot.messages.filter((m) => m.status === 'sending' && m.sendStarted).map((m) => m.messageId);
        startedAtLastKill = new Set([...carried, ...inFlight]);
        say(`kill ${report.kills}/${options.kills}: ${moment} (${deathPoint(snapshot)}) after ${run.lifeMs} ms`);
      }

      if (!drained) {
        const flags = resendFlags(++restart, scenario, databaseFile, resentOnPurpose, [inDoubtSince, settled]);
        report.restarts++;
        const run = await runChild(options.childScript, dataDir, flags, gmail, undefined, rng, randomSpan());
        transcript.push(`--- run ${restart}: final${flags.length ? ` ${flags.join(' ')}` : ''}`, ...run.output);
        if (run.exitCode !== 0) {
          report.violations.push(
            `scenario ${report.scenarios}: final child ${run.hung ? 'hung' : `exited with ${run.exitCode}`}: ${run.output.slice(-5).join(' / ')}`,
          );
        }
        lives.push(run.lifeMs);
      }
      if (options.mailbox) {
        // Every copy Gmail keeps is in Sent Mail, then one look at the mailboxes.
        await gmail.mailboxIdle();
        const inDoubtBefore = readSnapshot(databaseFile).messages.filter((m) => m.status === 'in_doubt').length;
        const run = await runChild(options.childScript, dataDir, ['--look'], gmail, undefined, rng, randomSpan());
        transcript.push(`--- run ${++restart}: a look at the mailboxes`, ...run.output);
        if (run.exitCode !== 0)
          report.violations.push(`scenario ${report.scenarios}: the look exited with ${run.exitCode}: ${run.output.slice(-5).join(' / ')}`);
        witness.mailboxLooked = true;
        report.settledFromSentMail += inDoubtBefore - readSnapshot(databaseFile).messages.filter((m) => m.status === 'in_doubt').length;
      }
      const final = readSnapshot(databaseFile);
      check('final', final);
      tally(report, final, witness, resentOnPurpose);
    } finally {
      await gmail.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  report.elapsedMs = Date.now() - began;
  return report;
}

/**
 * The user's "resend in doubt", at the scenario's chosen restart: what is in doubt now, and what
 * the restart's recovery will put in doubt (started sends), may then be delivered once more.
 */
function resendFlags(
  restart: number,
  scenario: Scenario,
  databaseFile: string,
  resentOnPurpose: Map<string, number>,
  /** Per-message expectations the resend lifts. */
  lifted: Map<string, unknown>[],
): string[] {
  if (scenario.resendAtRestart !== restart) return [];
  for (const m of readSnapshot(databaseFile).messages) {
    if (m.status === 'in_doubt' || (m.status === 'sending' && m.sendStarted)) {
      resentOnPurpose.set(m.messageId, (resentOnPurpose.get(m.messageId) ?? 0) + 1);
      for (const map of lifted) map.delete(m.messageId);
    }
  }
  return ['--resend-in-doubt'];
}

function tally(report: ChaosReport, final: Snapshot, witness: Witness, resentOnPurpose: Map<string, number>): void {
  const delivered = deliveredCounts(witness);
  report.delivered += delivered.size;
  for (const [id, times] of delivered) {
    if (times < 2) continue;
    if (resentOnPurpose.has(id)) report.duplicates.onPurpose++;
    else report.duplicates.unexpected++;
  }
  report.resentOnPurpose += resentOnPurpose.size;
  for (const m of final.messages) {
    const key = m.status in report.final ? (m.status as keyof ChaosReport['final']) : 'other';
    report.final[key]++;
    if (m.status === 'in_doubt') {
      report.inDoubt.total++;
      if (delivered.has(m.messageId)) report.inDoubt.arrived++;
    }
  }
}
