/**
 * The crash test's child: a real engine in its own process, so the parent can SIGKILL it at any
 * moment. Built by Vite (test/chaos/vite.config.ts) into test/chaos/out/chaos-child.js and run
 * with Node 22:
 *
 *   node chaos-child.js <dataDir> [--resend-in-doubt | --look] [--stale-ms N]
 *
 * `--stale-ms N` (the two-engine test, test/reliability/two-engines.test.ts): an owner lease
 * whose heartbeat is N ms old, behind a replaced lock file, counts as its holder being gone.
 * The data directory was prepared by the parent (accounts on its loopback test Gmail, one queued
 * campaign, long scheduler intervals). The child opens the engine as the app does after a crash
 * (start() settles what was in flight), optionally resends the messages in doubt on purpose (the
 * user's action), then sends batch after batch with no pause until nothing more can go, says
 * `idle` and stops cleanly. It speaks one JSON object per line on stdout; `batch` is written
 * (synchronously, pipes are synchronous on Linux) just before each batch starts its claim.
 * With `--look` it only looks at the accounts' mailboxes once (settling what is in doubt from
 * Sent Mail), says `looked` and stops: the scenario's last run, never killed.
 */
import { createEngine } from '../../src-main/engine/engine';
import type { EngineLogger } from '../../src-main/engine/context';

export type ChildLine =
  | { t: 'opened'; pid: number }
  | { t: 'recovered'; inDoubt: number; requeued: number }
  | { t: 'resent'; requeued: number }
  | { t: 'batch' }
  | { t: 'idle'; queued: number; retryWaiting: number; capacityLeft: number }
  | { t: 'looked' }
  | { t: 'log'; level: string; message: string; data?: Record<string, unknown> };

function say(line: ChildLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const lineLogger: EngineLogger = {
  info: (message, data) => say({ t: 'log', level: 'info', message, ...(data ? { data } : {}) }),
  warn: (message, data) => say({ t: 'log', level: 'warn', message, ...(data ? { data } : {}) }),
  error: (message, data) => say({ t: 'log', level: 'error', message, ...(data ? { data } : {}) }),
};

async function main(): Promise<void> {
  const [dataDir, ...flags] = process.argv.slice(2);
  if (!dataDir) throw new Error('usage: chaos-child <dataDir> [--resend-in-doubt | --look] [--stale-ms N]');
  const staleAt = flags.indexOf('--stale-ms');
  const engine = await createEngine({
    dataDir,
    ...(staleAt >= 0 ? { ownerLease: { staleMs: Number(flags[staleAt + 1]) } } : {}),
    // Loopback: a connection that does not answer within a second is not going to.
    smtpTimeouts: { connectionMs: 2000, socketMs: 2000, idleMs: 60_000 },
    logger: lineLogger,
  });
  say({ t: 'opened', pid: process.pid });
  if (flags.includes('--look')) {
    await engine.runInboxChecksNow();
    say({ t: 'looked' });
    await engine.stop();
    return;
  }
  const recovered = await engine.start();
  say({ t: 'recovered', ...recovered });

  if (flags.includes('--resend-in-doubt')) {
    let requeued = 0;
    for (const campaign of await engine.campaigns.list()) {
      if (campaign.counts.in_doubt > 0) requeued += (await engine.campaigns.resendInDoubt({ id: campaign.id })).requeued;
    }
    say({ t: 'resent', requeued });
  }

  // "Send now", batch after batch: the same runBatchNow the scheduler's job calls.
  for (;;) {
    say({ t: 'batch' });
    if (await engine.runBatchNow()) continue;
    const status = await engine.sending.status();
    if (status.inFlight > 0) {
      // The scheduler's own batch is running (runBatchNow declined): let it finish.
      await new Promise((resolve) => setTimeout(resolve, 5));
      continue;
    }
    if ((await engine.runRetryNow()).requeued > 0) continue;
    say({ t: 'idle', queued: status.queued, retryWaiting: status.retryWaiting, capacityLeft: status.capacityLeft });
    break;
  }
  await engine.stop();
}

main().catch((error: unknown) => {
  say({ t: 'log', level: 'error', message: 'chaos child failed', data: { error: String((error as Error)?.stack ?? error) } });
  process.exit(1);
});
