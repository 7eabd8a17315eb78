/**
 * Files only the owner can read (issue #11, point 4): the data folder 0700 and every file in it
 * 0600; a key file or folder open to others is made private with a warning, one that belongs to
 * another user is refused (ssh's rule); a missing key while encrypted passwords exist is a clear
 * refusal, never a silent new key. Real chmod/chown on a temp folder. The tests run as root,
 * which the kernel lets read anything: they check Trickle's decisions, not the kernel's.
 */
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineLogger } from '../../src-main/engine/context';
import { createEngine, type Engine } from '../../src-main/engine/engine';
import { KeyFileSecretStore } from '../../src-main/engine/core/secrets';
import { FakeClock } from '../support/fake-clock';
import { TEST_ACCOUNTS } from '../support/test-engine';
import { type TestGmail, startTestGmail } from '../support/test-gmail';

const posix = process.platform !== 'win32';
const root = process.getuid?.() === 0;
const NOBODY = 65534;
const ALICE = TEST_ACCOUNTS[0]!;

const dirs: string[] = [];
const engines: Engine[] = [];
let gmail: TestGmail | undefined;
let umask: number;
beforeEach(() => {
  // The usual umask: files SQLite creates on its own come out 0644.
  umask = process.umask(0o022);
});
afterEach(async () => {
  process.umask(umask);
  for (const engine of engines.splice(0)) await engine.stop().catch(() => undefined);
  await gmail?.close();
  gmail = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-modes-'));
  dirs.push(dir);
  return dir;
}

function recorder(): EngineLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, warn: (message) => warnings.push(message), error() {} };
}

async function open(dataDir: string, options: { logger?: EngineLogger; replaceLostKey?: boolean } = {}): Promise<Engine> {
  const engine = await createEngine({ dataDir, clock: new FakeClock(), ...options });
  engines.push(engine);
  return engine;
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** A folder where Trickle ran: an account whose app password is encrypted with the folder's key file. */
async function usedFolder(): Promise<string> {
  const dataDir = folder();
  gmail = await startTestGmail({ accounts: [ALICE] });
  const engine = await open(dataDir);
  await engine.accounts.add({ ...ALICE, host: gmail.host, port: gmail.port, security: 'none' });
  await engine.stop();
  return dataDir;
}

describe.runIf(posix)('the data folder and its files: readable by their owner only', () => {
  it('an existing folder open to all (0777) is made 0700 with a warning; the database and its -wal, -shm, lock file are created 0600', async () => {
    const dataDir = folder();
    chmodSync(dataDir, 0o777);
    const log = recorder();
    const engine = await open(dataDir, { logger: log });
    await engine.start();

    expect(mode(dataDir)).toBe(0o700);
    expect(log.warnings.join('\n')).toContain(`The data folder ${dataDir} was open to other users (mode 777)`);
    for (const name of ['trickle.sqlite', 'trickle.sqlite-wal', 'trickle.sqlite-shm', 'trickle.sqlite.owner', 'secret.key']) {
      expect(existsSync(join(dataDir, name)), name).toBe(true);
      expect(mode(join(dataDir, name)), name).toBe(0o600);
    }
  });

  it('files left readable by others (an older version, a restore, a copy) are made 0600 at the next start, and the warning names them', async () => {
    const dataDir = await usedFolder();
    for (const name of ['trickle.sqlite', 'secret.key']) chmodSync(join(dataDir, name), 0o644);
    writeFileSync(join(dataDir, 'dry-run.log'), 'old rehearsal\n', { mode: 0o666 });
    chmodSync(join(dataDir, 'dry-run.log'), 0o666);
    const log = recorder();
    await (await open(dataDir, { logger: log })).start();

    for (const name of ['trickle.sqlite', 'secret.key', 'dry-run.log']) expect(mode(join(dataDir, name)), name).toBe(0o600);
    const said = log.warnings.join('\n');
    expect(said).toMatch(
      new RegExp(
        `The key file ${join(dataDir, 'secret.key')} was readable or writable by other users \\(mode 644\\).*made it private \\(600\\)`,
      ),
    );
    expect(said).toMatch(/made them private \(600 for files, 700 for folders\): .*trickle\.sqlite \(was 644\)/);
    expect(said).toMatch(/made them private \(600 for files, 700 for folders\): .*dry-run\.log \(was 666\)/);
  });

  it.each([0o644, 0o666, 0o604])('a key file of mode %o is made 0600 with a warning, and still opens the passwords', async (keyMode) => {
    const dataDir = await usedFolder();
    chmodSync(join(dataDir, 'secret.key'), keyMode);
    const log = recorder();
    const engine = await open(dataDir, { logger: log });
    expect(mode(join(dataDir, 'secret.key'))).toBe(0o600);
    expect(log.warnings.join('\n')).toContain(`(mode ${keyMode.toString(8)})`);
    expect((await engine.accounts.verify({ id: 1 })).state).toBe('ok');
  });

  it("the key file store on its own (the desktop's fallback) fixes a key file others can read, too", () => {
    const dataDir = folder();
    new KeyFileSecretStore({ dataDir });
    chmodSync(join(dataDir, 'secret.key'), 0o644);
    const log = recorder();
    new KeyFileSecretStore({ dataDir, log });
    expect(mode(join(dataDir, 'secret.key'))).toBe(0o600);
    expect(log.warnings).toHaveLength(1);
  });

  it.runIf(root)('a key file that belongs to another user is refused, not used: nothing is changed', async () => {
    const dataDir = await usedFolder();
    const keyFile = join(dataDir, 'secret.key');
    chownSync(keyFile, NOBODY, NOBODY);
    chmodSync(keyFile, 0o644);
    const key = readFileSync(keyFile, 'utf8');
    const database = readFileSync(join(dataDir, 'trickle.sqlite'));

    await expect(open(dataDir)).rejects.toMatchObject({
      code: 'unsafe_data_folder',
      message: `Trickle will not use the key file ${keyFile}: it belongs to another user (uid ${NOBODY}), who could read it or replace it. Nothing was changed. If it is the right key, make it yours (chown), readable by you only, then start Trickle again.`,
    });
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
    expect(mode(keyFile)).toBe(0o644);
    expect(statSync(keyFile).uid).toBe(NOBODY);
    expect(readFileSync(join(dataDir, 'trickle.sqlite')).equals(database)).toBe(true);
    // The store on its own applies the same rule.
    expect(() => new KeyFileSecretStore({ dataDir })).toThrow(/belongs to another user/);
  });

  it.runIf(root)('a data folder, or the database in it, that belongs to another user is refused', async () => {
    const dataDir = await usedFolder();
    chownSync(join(dataDir, 'trickle.sqlite'), NOBODY, NOBODY);
    await expect(open(dataDir)).rejects.toMatchObject({
      code: 'unsafe_data_folder',
      message: expect.stringContaining(
        `Trickle will not use the file ${join(dataDir, 'trickle.sqlite')}: it belongs to another user (uid ${NOBODY})`,
      ),
    });
    chownSync(join(dataDir, 'trickle.sqlite'), 0, 0);
    chownSync(dataDir, NOBODY, NOBODY);
    chmodSync(dataDir, 0o777);
    await expect(open(dataDir)).rejects.toMatchObject({
      code: 'unsafe_data_folder',
      message: expect.stringContaining(`Trickle will not use the folder ${dataDir}: it belongs to another user (uid ${NOBODY})`),
    });
    expect(mode(dataDir)).toBe(0o777); // not ours: not touched
  });
});

describe('a key file deleted while passwords encrypted with it exist', () => {
  it('is a refusal that says what happened and what to do — never a silent new key', async () => {
    const dataDir = await usedFolder();
    unlinkSync(join(dataDir, 'secret.key'));

    const engine = await open(dataDir);
    const refusal = {
      code: 'secret_key_missing',
      message:
        `Trickle's key file ${join(dataDir, 'secret.key')} is missing, but the app passwords of an account (${ALICE.email}) were encrypted with it. ` +
        'Trickle did not start and did not make a new key, which could open none of them. Nothing was changed. ' +
        'Put the key file back (from a backup of this folder) and start Trickle again. If it is lost for good, start Trickle with a new key: each of these accounts will then ask for its app password again.',
      details: { remedy: 'replace-lost-key' },
    };
    await expect(engine.start()).rejects.toMatchObject(refusal);
    expect(existsSync(join(dataDir, 'secret.key'))).toBe(false);
    // Read without starting (a script, a second window): the account is not shown as fine and sends nothing.
    expect((await engine.accounts.verify({ id: 1 })).state).toBe('auth_failed');
    expect(gmail!.logins).toHaveLength(1); // only the first add's; none with an empty or wrong password
    expect(existsSync(join(dataDir, 'secret.key'))).toBe(false);
  });

  it('told that the key is lost for good: a new key, and the account asks for its app password again', async () => {
    const dataDir = await usedFolder();
    unlinkSync(join(dataDir, 'secret.key'));

    const engine = await open(dataDir, { replaceLostKey: true });
    await engine.start();
    expect(existsSync(join(dataDir, 'secret.key'))).toBe(true);
    const [account] = await engine.accounts.list();
    expect(account).toMatchObject({
      email: ALICE.email,
      state: 'auth_failed',
      stateDetail: { explanation: expect.stringMatching(/key .* was lost.*Enter the app password again/) },
    });
    // Entering it again works, with the new key.
    expect(await engine.accounts.update({ id: account!.id, appPassword: ALICE.appPassword })).toMatchObject({ state: 'ok' });
    expect((await engine.accounts.verify({ id: account!.id })).state).toBe('ok');
  });
});
