import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dovecot, startDovecot } from '../support/dovecot';
import { KILL_MOMENTS, runChaos } from './chaos';

/**
 * The crash test, short: the engine runs in a child process against the test Gmail in this
 * one, and is SIGKILLed once at each kind of moment (a random one, as it claims, before the
 * data, mid-transfer, before the server's 250, just after it) and restarted. After every kill
 * and at the end of every scenario the invariants of invariants.ts must hold. The accounts have
 * Gmail-shaped mailboxes (a copy of what Gmail took in Sent Mail): after each scenario's look at
 * them, nothing stays in doubt that Sent Mail can settle. The long run (200 kills) is
 * `npm run chaos`; docs/RELIABILITY.md has its figures.
 */

const config = fileURLToPath(new URL('./vite.config.ts', import.meta.url));
const childScript = fileURLToPath(new URL('./out/chaos-child.js', import.meta.url));

let dovecot: Dovecot;
beforeAll(async () => {
  // The child is a separate Node program: build it from the current sources (well under a second).
  await build({ configFile: config, logLevel: 'warn' });
  dovecot = await startDovecot();
}, 600_000);
afterAll(() => dovecot?.close());

describe('the crash test', () => {
  it('survives a SIGKILL at each kind of moment: nothing lost, nothing sent twice, no cap exceeded', async () => {
    const report = await runChaos({
      kills: KILL_MOMENTS.length,
      childScript,
      order: 'round-robin',
      recipients: [10, 16],
      mailbox: dovecot,
    });
    expect(report.violations).toEqual([]);
    // After the look at the mailboxes, no message the server had whole is still in doubt.
    expect(report.inDoubt.arrived).toBe(0);
    expect(report.killsByMoment).toEqual(Object.fromEntries(KILL_MOMENTS.map((m) => [m, 1])));
    // The kills did land in sends, and the scenarios did deliver.
    expect(report.databaseAtDeath['send started']).toBeGreaterThan(0);
    expect(report.delivered).toBeGreaterThan(0);
    expect(report.final.sent).toBeGreaterThan(0);
  }, 60_000);
});
