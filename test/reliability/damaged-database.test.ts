/**
 * A damaged, lost or unwritable database at start-up (issue #11, points 8 and 6's start): found
 * before anything is written, refused in words with what to do, and survived — Trickle keeps
 * rolling backups (test/engine/backups.test.ts) and restores the newest good one when asked:
 * `npm run serve -- --restore-backup` in headless mode, a button in the desktop's start-up dialog
 * (test/electron/start-refusals.test.ts), `restoreFromBackup()` for both.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src-main/engine/engine';
import { restoreFromBackup } from '../../src-main/engine/engine-restore';
import { FakeClock } from '../support/fake-clock';
import { overwritePageOf, truncateTo } from '../support/damage';
import { TEST_ACCOUNTS, drain, recipientsCsv } from '../support/test-engine';
import { type TestGmail, startTestGmail } from '../support/test-gmail';

const ROOT = join(import.meta.dirname, '../..');
const SERVE = join(ROOT, 'out/headless/serve.js');
const ALICE = TEST_ACCOUNTS[0]!;
const BACKUP_TIME = '2026-11-23T09:00:00Z';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-damage-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function open(dataDir: string, extra: { busyTimeoutMs?: number } = {}): Promise<Engine> {
  const engine = await createEngine({ dataDir, clock: new FakeClock(BACKUP_TIME), ...extra });
  cleanups.push(() => engine.stop().catch(() => undefined));
  return engine;
}

/**
 * A folder where Trickle sent 3 of 5 messages, took its backup, then sent the other 2: the
 * backup knows of 3 sends, the database of 5.
 */
async function usedFolder(): Promise<{ dataDir: string; databaseFile: string; gmail: TestGmail }> {
  const dataDir = folder();
  const gmail = await startTestGmail({ accounts: [ALICE] });
  cleanups.push(() => gmail.close());
  const engine = await open(dataDir);
  await engine.settings.update({ batchSize: 3, messageDelayMs: 0 });
  await engine.accounts.add({ ...ALICE, host: gmail.host, port: gmail.port, security: 'none', verify: false });
  const { campaign } = await engine.campaigns.create({ name: 'Members', subject: 'News', text: 'Hello', csv: recipientsCsv(5) });
  await engine.campaigns.queue({ id: campaign.id });
  await engine.runBatchNow();
  expect(await engine.backupIfDue()).toMatchObject({ takenAt: Date.parse(BACKUP_TIME) });
  await drain(engine);
  expect(gmail.accepted).toHaveLength(5);
  await engine.stop();
  return { dataDir, databaseFile: join(dataDir, 'trickle.sqlite'), gmail };
}

const RESTORE_ADVICE = 'Restore the latest backup (taken 2026-11-23 09:00 UTC); the damaged file is kept beside it.';

describe('a damaged database is refused at start, with advice, and a backup restores it', () => {
  it('bytes over the send-log index: refused before anything runs (it used to start, then fail every call)', async () => {
    const { dataDir, databaseFile } = await usedFolder();
    const before = readFileSync(databaseFile);
    overwritePageOf(databaseFile, 'send_log_account_time');
    const damaged = readFileSync(databaseFile);
    expect(damaged.equals(before)).toBe(false);

    const refusal = await open(dataDir).then(
      async (engine) => ({ started: await engine.start(), accounts: await engine.accounts.list().catch((e: unknown) => e) }),
      (error: unknown) => error,
    );
    expect(refusal).toMatchObject({
      code: 'storage_damaged',
      message: expect.stringMatching(
        new RegExp(
          `^Trickle could not start: its database ${databaseFile} is damaged \\(SQLite's check found: .+\\)\\. Nothing was changed\\. ${escapeRegExp(RESTORE_ADVICE)}$`,
        ),
      ),
      details: { remedy: 'restore-backup', backup: { takenAt: '2026-11-23T09:00:00.000Z' } },
    });
    // Nothing was written to it: the damage is kept as found, for the user (or a recovery tool).
    expect(readFileSync(databaseFile).equals(damaged)).toBe(true);
  });

  it('restoring the latest good backup: the damaged file is kept, the backup put back, sending paused', async () => {
    const { dataDir, databaseFile } = await usedFolder();
    overwritePageOf(databaseFile, 'send_log_account_time');
    const damaged = readFileSync(databaseFile);

    const report = await restoreFromBackup({ dataDir, clock: new FakeClock('2026-11-24T08:00:00Z') });
    expect(report).toMatchObject({
      takenAt: '2026-11-23T09:00:00.000Z',
      keptAs: `${databaseFile}.damaged-20261124T080000Z`,
      message: expect.stringMatching(/^Trickle's database was restored from the backup taken 2026-11-23 09:00 UTC; .* Sending is paused/),
    });
    expect(readFileSync(report.keptAs!).equals(damaged)).toBe(true);
    expect(statSync(databaseFile).mode & 0o777).toBe(0o600);

    const engine = await open(dataDir);
    await engine.start();
    // What the backup knew: 3 sent, 2 still queued — which is why sending waits for the user.
    const [campaign] = await engine.campaigns.list();
    expect(campaign!.counts).toMatchObject({ sent: 3, queued: 2 });
    expect(await engine.sending.status()).toMatchObject({ paused: true });
    expect(await engine.runBatchNow()).toBeUndefined();
  });

  it('a restore is refused over a sound database, and while an engine may still run on it (its lock file deleted)', async () => {
    const { dataDir, databaseFile } = await usedFolder();
    const sound = readFileSync(databaseFile);
    await expect(restoreFromBackup({ dataDir })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(
        /is sound \(SQLite's check finds nothing wrong\), so no backup was restored over it\. Nothing was changed\./,
      ),
    });
    expect(readFileSync(databaseFile).equals(sound)).toBe(true);

    const running = await open(dataDir);
    await running.start();
    rmSync(join(dataDir, 'trickle.sqlite.owner'));
    await expect(restoreFromBackup({ dataDir, clock: new FakeClock(BACKUP_TIME) })).rejects.toMatchObject({
      code: 'already_running',
      message: expect.stringContaining(
        `Trickle is already running on this data folder (process ${process.pid}), although its lock file (trickle.sqlite.owner) was removed.`,
      ),
    });
    expect(readdirSync(dataDir).filter((name) => name.includes('damaged'))).toEqual([]);
  });

  it('a truncated file (a copy cut short): refused in words, not "database disk image is malformed"', async () => {
    const { dataDir, databaseFile } = await usedFolder();
    truncateTo(databaseFile, 0.5);
    await expect(open(dataDir)).rejects.toMatchObject({
      code: 'storage_damaged',
      message: expect.stringMatching(
        new RegExp(`^Trickle could not start: its database ${databaseFile} is damaged .*${escapeRegExp(RESTORE_ADVICE)}$`),
      ),
    });
  });

  it('a foreign file in its place: refused as "not a database", not "file is not a database"', async () => {
    const { dataDir, databaseFile } = await usedFolder();
    writeFileSync(databaseFile, 'PK\u0003\u0004 this is a zip archive, or a note, or a photo '.repeat(200));
    await expect(open(dataDir)).rejects.toMatchObject({
      code: 'storage_damaged',
      message: `Trickle could not start: its database ${databaseFile} is not a database (it was overwritten or replaced by another file). Nothing was changed. ${RESTORE_ADVICE}`,
    });
  });
});

describe('a lost database is not taken for a new install', () => {
  it('zero-length beside backups: refused, nothing created; restoring the backup brings it back', async () => {
    const { dataDir, databaseFile } = await usedFolder();
    writeFileSync(databaseFile, '');
    await expect(open(dataDir)).rejects.toMatchObject({
      code: 'database_missing',
      message:
        `Trickle's database ${databaseFile} is empty (0 bytes), although Trickle has been used in this folder before (it holds a backup). ` +
        'Trickle did not start, so that it does not begin an empty database and forget what was sent (and every daily cap). ' +
        `Restore the latest backup (taken 2026-11-23 09:00 UTC). If you meant to start afresh, move the whole folder ${dataDir} away first.`,
      details: { remedy: 'restore-backup' },
    });
    expect(statSync(databaseFile).size).toBe(0);

    await restoreFromBackup({ dataDir });
    const engine = await open(dataDir);
    expect((await engine.campaigns.list())[0]!.counts).toMatchObject({ sent: 3 });
  });

  it('missing, with only the key file left: refused, and told to put it back', async () => {
    const { dataDir, databaseFile } = await usedFolder();
    rmSync(join(dataDir, 'backups'), { recursive: true });
    unlinkSync(databaseFile);
    await expect(open(dataDir)).rejects.toMatchObject({
      code: 'database_missing',
      message: expect.stringContaining(
        `is missing, although Trickle has been used in this folder before (it holds the key to stored app passwords). Trickle did not start, so that it does not begin an empty database and forget what was sent (and every daily cap). Put ${databaseFile} back from your own backup of this folder`,
      ),
    });
    expect(existsSync(databaseFile)).toBe(false);
  });

  it('an empty folder is still a new install', async () => {
    const dataDir = folder();
    const engine = await open(dataDir);
    expect(await engine.start()).toEqual({ inDoubt: 0, requeued: 0 });
  });
});

describe('storage errors at start, in words', () => {
  it('busy: another program holds the database exclusively', async () => {
    const { dataDir, databaseFile } = await usedFolder();
    const other = new Database(databaseFile);
    cleanups.push(() => other.close());
    other.pragma('locking_mode = EXCLUSIVE');
    other.exec('begin exclusive');
    await expect(open(dataDir, { busyTimeoutMs: 50 })).rejects.toMatchObject({
      code: 'storage_busy',
      message: `Trickle could not start: another program is holding its database ${databaseFile} (a database browser, a backup or sync tool?). Nothing was changed. Close that program, or wait a moment, then start Trickle again.`,
    });
  });

  // A full or read-only disk, for real: a tiny tmpfs, or a read-only bind mount, in a mount
  // namespace of the headless server's own (Linux, as root; elsewhere these are skipped).
  const canMount = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;

  it.runIf(canMount)('the disk full: a restart is refused in words, not "database or disk is full"', async () => {
    const { dataDir } = await usedFolder();
    const mountPoint = folder();
    const script = [
      `mount -t tmpfs -o size=2m tmpfs '${mountPoint}'`,
      `cp -a '${dataDir}/.' '${mountPoint}/'`,
      `dd if=/dev/zero of='${mountPoint}/filler' bs=4k 2>/dev/null || true`,
      `exec '${process.execPath}' '${SERVE}' --port 0 --data-dir '${mountPoint}'`,
    ].join(' && ');
    const { code, output } = await run('unshare', ['-m', 'sh', '-c', script]);
    expect(output).toContain(
      `Trickle could not start: the disk that holds its data (${mountPoint}) is full. Nothing was changed. Free some space on that disk, then start Trickle again.`,
    );
    expect(output).not.toMatch(/database or disk is full/);
    expect(code).toBe(1);
  });

  it.runIf(canMount)('a read-only disk: refused in words', async () => {
    const { dataDir, databaseFile } = await usedFolder();
    const script = [
      `mount --bind '${dataDir}' '${dataDir}'`,
      `mount -o remount,ro,bind '${dataDir}'`,
      `exec '${process.execPath}' '${SERVE}' --port 0 --data-dir '${dataDir}'`,
    ].join(' && ');
    const { code, output } = await run('unshare', ['-m', 'sh', '-c', script]);
    expect(output).toContain(
      `Trickle could not start: it cannot write to its database ${databaseFile} (the file, its folder or the disk is read-only, or belongs to another user). Nothing was changed. Make the folder ${dataDir} and the files in it writable by you, then start Trickle again.`,
    );
    expect(code).toBe(1);
  });
});

describe('headless mode', () => {
  it('a damaged database: the refusal names the flag that restores; with it, Trickle restores the backup and starts, paused', async () => {
    if (!existsSync(SERVE)) throw new Error('out/headless/serve.js is missing: run `npm run build` first (npm test does).');
    const { dataDir, databaseFile } = await usedFolder();
    overwritePageOf(databaseFile, 'send_log_account_time');

    const refused = await run(process.execPath, [SERVE, '--port', '0', '--data-dir', dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(
      new RegExp(`Trickle could not start: its database ${escapeRegExp(databaseFile)} is damaged \\(SQLite's check found: `),
    );
    expect(refused.output).not.toContain('Trickle could not start: Trickle could not start');
    expect(refused.output).toContain(
      `To restore the latest good backup (the damaged file is kept): npm run serve -- --data-dir "${dataDir}" --restore-backup`,
    );

    const restored = await run(process.execPath, [SERVE, '--port', '0', '--data-dir', dataDir, '--restore-backup'], /Trickle is running\./);
    expect(restored.output).toMatch(
      /Trickle's database was restored from the backup taken 2026-11-23 09:00 UTC; the file it replaced is kept as .*\.damaged-\d{8}T\d{6}Z\. Sending is paused/,
    );
    expect(restored.output).toContain('Trickle is running.');
    expect(readdirSync(dataDir).some((name) => /^trickle\.sqlite\.damaged-/.test(name))).toBe(true);
  });
});

/** Runs a program to its end (or, given `until`, until its output matches, then stops it). */
function run(command: string, args: string[], until?: RegExp): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (until?.test(output)) child.kill('SIGTERM');
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** The text, matched literally inside a RegExp. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
