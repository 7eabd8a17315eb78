import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { KILL_MOMENTS, runChaos } from './chaos';

/**
 * The crash test, short: the engine runs in a child process against the test Gmail in this
 * one, and is SIGKILLed once at each kind of moment (a random one, as it claims, before the
 * data, mid-transfer, before the server's 250, just after it) and restarted. After every kill
 * and at the end of every scenario the invariants of invariants.ts must hold. The long run
 * (200 kills) is `npm run chaos`; docs/RELIABILITY.md has its figures.
 */

const config = fileURLToPath(new URL('./vite.config.ts', import.meta.url));
const childScript = fileURLToPath(new URL('./out/chaos-child.js', import.meta.url));

beforeAll(async () => {
  // The child is a separate Node program: build it from the current sources (well under a second).
  await build({ configFile: config, logLevel: 'warn' });
}, 30_000);

describe('the crash test', () => {
  it('survives a SIGKILL at each kind of moment: nothing lost, nothing sent twice, no cap exceeded', async () => {
    const report = await runChaos({ kills: KILL_MOMENTS.length, childScript, order: 'round-robin', recipients: [10, 16] });
    expect(report.violations).toEqual([]);
    expect(report.killsByMoment).toEqual(Object.fromEntries(KILL_MOMENTS.map((m) => [m, 1])));
    // The kills did land in sends, and the scenarios did deliver.
    expect(report.databaseAtDeath['send started']).toBeGreaterThan(0);
    expect(report.delivered).toBeGreaterThan(0);
    expect(report.final.sent).toBeGreaterThan(0);
  }, 60_000);
});
