/**
 * `npm run chaos`: the long crash test. Kills the engine's process 200 times (CHAOS_KILLS or
 * `--kills N` to change it; CHAOS_SEED or `--seed S` to replay a run's choices), prints a
 * summary and writes the figures to test-artifacts/chaos.json. Exits 1 on any violation.
 * Built with the child by test/chaos/vite.config.ts; see docs/RELIABILITY.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDovecot } from '../support/dovecot';
import { KILL_MOMENTS, type KillMoment, runChaos } from './chaos';

function option(name: string, env: string): number | undefined {
  const args = process.argv.slice(2);
  const at = args.indexOf(`--${name}`);
  const raw = at >= 0 ? args[at + 1] : process.env[env];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} (or ${env}) must be a whole number, got ${JSON.stringify(raw)}`);
  return value;
}

const here = dirname(fileURLToPath(import.meta.url));
const kills = option('kills', 'CHAOS_KILLS') ?? 200;
const seed = option('seed', 'CHAOS_SEED');
const verbose = process.argv.includes('--verbose');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]!.split(',') : undefined;
for (const m of only ?? [])
  if (!(KILL_MOMENTS as readonly string[]).includes(m)) throw new Error(`--only takes kill moments (${KILL_MOMENTS.join(', ')}), got ${m}`);

// The accounts' mailboxes (Sent Mail), on a Dovecot of the run's own (the system-service rule).
const dovecot = await startDovecot();
const report = await runChaos({
  kills,
  seed,
  childScript: join(here, 'chaos-child.js'),
  order: 'random',
  mailbox: dovecot,
  ...(only ? { moments: only as KillMoment[] } : {}),
  progress: (line) => {
    if (verbose || line.startsWith('VIOLATION')) console.log(line);
    else if (line.startsWith('kill ')) process.stdout.write('.');
  },
});
process.stdout.write('\n');
await dovecot.close();

const out = resolve(here, '../../../test-artifacts/chaos.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, ...report }, null, 2)}\n`);

const moments = Object.entries(report.killsByMoment)
  .map(([k, n]) => `${k} ${n}`)
  .join(', ');
const atDeath = Object.entries(report.databaseAtDeath)
  .map(([k, n]) => `${k} ${n}`)
  .join(', ');
console.log(
  `Crash test: ${report.kills} kills in ${report.scenarios} scenarios (${report.scenariosWithBindingCaps} with binding caps), ${report.restarts} restarts, seed ${report.seed}`,
);
console.log(`  kills by moment:   ${moments}`);
console.log(`  database at death: ${atDeath}; during startup ${report.killedDuringStartup}`);
console.log(`  not reached:       ${report.triggersNotReached} triggers (the child drained everything first; not counted as kills)`);
console.log(`  after the 250:     ${report.after250.notCommitted} before the commit, ${report.after250.committed} after it`);
console.log(`  mid-transfer:      ${report.midTransfer.cutShort} cut short, ${report.midTransfer.arrivedWhole} had arrived whole`);
console.log(
  `  messages:          ${report.messages} queued, ${report.delivered} delivered; final ${Object.entries(report.final)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')}`,
);
console.log(
  `  in doubt:          ${report.inDoubt.total} at the end (${report.inDoubt.arrived} had arrived); ${report.settledFromSentMail} settled from Sent Mail; ${report.resentOnPurpose} resent on purpose`,
);
console.log(`  duplicates:        ${report.duplicates.onPurpose} resent on purpose, ${report.duplicates.unexpected} unexpected`);
console.log(`  violations:        ${report.violations.length}`);
for (const v of report.violations.slice(0, 20)) console.log(`    - ${v}`);
console.log(`  elapsed:           ${(report.elapsedMs / 1000).toFixed(1)} s  →  ${out}`);
process.exit(report.violations.length ? 1 : 0);
