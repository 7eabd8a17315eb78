/**
 * Account passwords at rest (headless mode): AES-256-GCM with a key file readable only by the
 * owner, or TRICKLE_SECRET_KEY. And end to end: the password never lands in the database file
 * in the clear, and no engine result carries it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyFileSecretStore, SecretUnreadableError } from '../../src-main/engine/core/secrets';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine } from '../support/test-engine';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-secrets-'));
  dirs.push(dir);
  return dir;
}
let setup: TestSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const PASSWORD = 'abcdefghijklmnop';

describe('KeyFileSecretStore', () => {
  it('round-trips, including non-ASCII and empty text, and never shows the plaintext', () => {
    const store = new KeyFileSecretStore({ dataDir: tempDir() });
    for (const plaintext of [PASSWORD, 'pässwörd 🔑 with spaces', '', 'x'.repeat(500)]) {
      const sealed = store.encrypt(plaintext);
      expect(store.decrypt(sealed)).toBe(plaintext);
      if (plaintext) {
        expect(sealed).not.toContain(plaintext);
        expect(sealed).not.toContain(Buffer.from(plaintext).toString('base64'));
        expect(sealed).not.toContain(Buffer.from(plaintext).toString('hex'));
      }
    }
    // A fresh IV each time: the same password never gives the same ciphertext twice.
    expect(store.encrypt(PASSWORD)).not.toBe(store.encrypt(PASSWORD));
  });

  it('creates its key file readable by the owner only (0600)', () => {
    const dir = tempDir();
    const store = new KeyFileSecretStore({ dataDir: dir });
    store.encrypt(PASSWORD);
    const keyFile = join(dir, 'secret.key');
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n?$/);
  });

  it('keeps the 0600 mode under a permissive umask', () => {
    const previous = process.umask(0o000);
    try {
      const dir = tempDir();
      new KeyFileSecretStore({ dataDir: dir });
      expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('a second store on the same data directory reuses the key and decrypts', () => {
    const dir = tempDir();
    const sealed = new KeyFileSecretStore({ dataDir: dir }).encrypt(PASSWORD);
    const keyBefore = readFileSync(join(dir, 'secret.key'), 'utf8');
    const again = new KeyFileSecretStore({ dataDir: dir });
    expect(again.decrypt(sealed)).toBe(PASSWORD);
    expect(readFileSync(join(dir, 'secret.key'), 'utf8')).toBe(keyBefore);
  });

  it('uses TRICKLE_SECRET_KEY (64 hex characters) instead of a key file', () => {
    const dir = tempDir();
    const hexKey = randomBytes(32).toString('hex');
    const sealed = new KeyFileSecretStore({ dataDir: dir, envKey: hexKey }).encrypt(PASSWORD);
    expect(existsSync(join(dir, 'secret.key'))).toBe(false);
    // The same key, from another data directory, opens it; upper-case hex and spaces around it too.
    expect(new KeyFileSecretStore({ dataDir: tempDir(), envKey: ` ${hexKey.toUpperCase()}\n` }).decrypt(sealed)).toBe(PASSWORD);
    // The same 32 bytes written in base64 work as well.
    const base64Key = Buffer.from(hexKey, 'hex').toString('base64');
    expect(new KeyFileSecretStore({ dataDir: tempDir(), envKey: base64Key }).decrypt(sealed)).toBe(PASSWORD);
  });

  it.each([
    ['too short', 'abc123'],
    ['63 hex characters', 'a'.repeat(63)],
    ['65 hex characters', 'a'.repeat(65)],
    ['16 bytes of base64', randomBytes(16).toString('base64')],
    ['a passphrase', 'correct horse battery staple'],
  ])('refuses a bad TRICKLE_SECRET_KEY (%s) with a clear error', (_label, envKey) => {
    expect(() => new KeyFileSecretStore({ dataDir: tempDir(), envKey })).toThrow(/TRICKLE_SECRET_KEY must be 32 bytes.*64 hex/);
  });

  it('a tampered ciphertext cannot be opened: SecretUnreadableError, not garbage', () => {
    const store = new KeyFileSecretStore({ dataDir: tempDir() });
    const sealed = store.encrypt(PASSWORD);
    const [format, iv, tag, data] = sealed.split(':') as [string, string, string, string];
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = bytes[0]! ^ 0x01;
      return bytes.toString('base64');
    };
    for (const tampered of [
      [format, iv, tag, flip(data)].join(':'),
      [format, iv, flip(tag), data].join(':'),
      [format, flip(iv), tag, data].join(':'),
      [format, iv, tag, data.slice(0, -4)].join(':'),
    ]) {
      expect(() => store.decrypt(tampered)).toThrow(SecretUnreadableError);
    }
    for (const garbage of ['', 'not a secret', 'v2:a:b:c', PASSWORD]) {
      expect(() => store.decrypt(garbage)).toThrow(SecretUnreadableError);
    }
  });

  it('another key cannot open it, and the error says what to do', () => {
    const sealed = new KeyFileSecretStore({ dataDir: tempDir() }).encrypt(PASSWORD);
    const other = new KeyFileSecretStore({ dataDir: tempDir() });
    let error: unknown;
    try {
      other.decrypt(sealed);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecretUnreadableError);
    expect((error as Error).message).toMatch(/Enter the app password again/);
    expect((error as Error).message).not.toContain(PASSWORD);
    const withEnvKey = new KeyFileSecretStore({ dataDir: tempDir(), envKey: randomBytes(32).toString('hex') });
    expect(() => withEnvKey.decrypt(sealed)).toThrow(SecretUnreadableError);
  });

  it('an unreadable key file is reported, not silently replaced (which would lose every stored password)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'secret.key'), 'damaged\n', { mode: 0o600 });
    let message = '';
    try {
      new KeyFileSecretStore({ dataDir: dir });
    } catch (error) {
      message = (error as Error).message;
    }
    // It names the file the user has, not an environment variable they never set.
    expect(message).toContain(join(dir, 'secret.key'));
    expect(message).toMatch(/damaged/);
    expect(message).not.toMatch(/TRICKLE_SECRET_KEY/);
    expect(readFileSync(join(dir, 'secret.key'), 'utf8')).toBe('damaged\n');
  });
});

describe('the app password end to end', () => {
  /** Everything SQLite has on disk for the database: the main file and its write-ahead log. */
  function databaseBytes(databaseFile: string): Buffer {
    return Buffer.concat([databaseFile, `${databaseFile}-wal`].filter((file) => existsSync(file)).map((file) => readFileSync(file)));
  }

  function expectNoTrace(haystack: Buffer | string, password: string): void {
    const text = typeof haystack === 'string' ? haystack : haystack.toString('latin1');
    expect(text).not.toContain(password);
    expect(text).not.toContain(Buffer.from(password, 'utf8').toString('base64'));
    expect(text).not.toContain(Buffer.from(password, 'utf16le').toString('latin1'));
  }

  it('is stored encrypted, never in the SQLite file or its WAL, and no engine result returns it', async () => {
    const alice = TEST_ACCOUNTS[0]!;
    setup = await createTestEngine();
    const { engine, gmail, databaseFile } = setup;
    gmail.addAccount(alice);

    const added = await engine.accounts.add({
      email: alice.email,
      appPassword: alice.appPassword,
      host: gmail.host,
      port: gmail.port,
      security: 'none',
    });
    expect(gmail.logins.at(-1)).toMatchObject({ account: alice.email, ok: true }); // it really was used to log in
    const results: unknown[] = [added, await engine.accounts.list()];

    const bytes = databaseBytes(databaseFile);
    expect(bytes.length).toBeGreaterThan(0);
    expectNoTrace(bytes, alice.appPassword);
    // The WAL does hold the account row: the check above looked where the password would be.
    expect(bytes.toString('latin1')).toContain(alice.email);
    expect(bytes.toString('latin1')).toMatch(/v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+/);

    // A new password (the user revoked the old one): verified, stored, still never visible.
    const newPassword = 'zzzzyyyyxxxxwwww';
    gmail.setPassword(alice.email, newPassword);
    results.push(await engine.accounts.update({ id: added.id, appPassword: newPassword, fromName: 'Alice' }));
    results.push(await engine.accounts.verify({ id: added.id }));
    results.push(await engine.accounts.list());
    expect(gmail.logins.filter((l) => l.ok)).toHaveLength(3);

    for (const result of results) {
      const json = JSON.stringify(result);
      expect(json).not.toContain(alice.appPassword);
      expect(json).not.toContain(newPassword);
      expect(json).not.toMatch(/password|secret/i);
    }
    const after = databaseBytes(databaseFile);
    expectNoTrace(after, alice.appPassword);
    expectNoTrace(after, newPassword);

    // The key file sits next to the database, owner-only.
    expect(statSync(join(setup.dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
  });

  it('a refused login leaves no trace of the password either', async () => {
    setup = await createTestEngine();
    const { engine, gmail, databaseFile } = setup;
    gmail.addAccount({ email: 'frank@gmail.test', appPassword: 'rightrightrightr' });
    const wrong = 'wrongwrongwrongw';
    const error = await engine.accounts
      .add({ email: 'frank@gmail.test', appPassword: wrong, host: gmail.host, port: gmail.port, security: 'none' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'login_failed' });
    expect(JSON.stringify({ message: (error as Error).message, details: (error as { details?: unknown }).details })).not.toContain(wrong);
    expectNoTrace(databaseBytes(databaseFile), wrong);
    expect(await engine.accounts.list()).toEqual([]);
  });
});
