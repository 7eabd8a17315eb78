/**
 * The desktop app's SecretStore on Electron safeStorage, in each backend case: a keyring
 * (Linux libsecret/KWallet, macOS Keychain, Windows DPAPI) works; Linux `basic_text` refuses
 * to store without the user's consent and stores with it; safeStorage unavailable refuses, and
 * with consent falls back to the key file; a change of backend is recorded and reported; a
 * password that no longer opens throws SecretUnreadableError — and, end to end through a real
 * engine and the test Gmail, the account then asks for its app password again instead of
 * anything crashing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiHandlers, invoke } from '../../src-main/api/handlers';
import { DesktopSettingsFile } from '../../src-main/electron/desktop-settings';
import { SECRET_PREFIX, SECRET_STORAGE_REFUSED, SafeStorageSecretStore } from '../../src-main/electron/secret-storage';
import { createEngine } from '../../src-main/engine/engine';
import { EngineError } from '../../src-main/engine/core/errors';
import { SecretUnreadableError } from '../../src-main/engine/core/secrets';
import { type TestGmail, startTestGmail } from '../support/test-gmail';

const PASSWORD = 'abcdefghijklmnop';

/** A safeStorage stand-in: what one backend sealed, another cannot open (as with real keyrings). */
function fakeSafeStorage(backend = 'gnome_libsecret', available = true) {
  const fake = {
    backend,
    available,
    encrypted: 0,
    isEncryptionAvailable: () => fake.available,
    getSelectedStorageBackend: () => fake.backend,
    encryptString(text: string): Buffer {
      if (!fake.available) throw new Error('Encryption is not available.');
      fake.encrypted++;
      return Buffer.from(`${fake.backend}|${Buffer.from(text).toString('hex')}`);
    },
    decryptString(data: Buffer): string {
      const [b, hex] = data.toString().split('|');
      if (b !== fake.backend || hex === undefined)
        throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return Buffer.from(hex, 'hex').toString();
    },
  };
  return fake;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trickle-safe-storage-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function storeWith(safeStorage: ReturnType<typeof fakeSafeStorage>, platform: NodeJS.Platform = 'linux') {
  const settings = DesktopSettingsFile.load(dir);
  return { settings, store: new SafeStorageSecretStore({ safeStorage, platform, settings, dataDir: dir }) };
}

describe('SafeStorageSecretStore', () => {
  it.each([
    ['linux', 'gnome_libsecret', 'gnome_libsecret'],
    ['linux', 'kwallet6', 'kwallet6'],
    ['darwin', 'n/a', 'keychain'],
    ['win32', 'n/a', 'dpapi'],
  ] as const)('%s with a keyring (%s): stores as ss1:base64, opens it again, records the backend', (platform, backend, recorded) => {
    const safe = fakeSafeStorage(backend);
    const { store, settings } = storeWith(safe, platform);
    expect(store.status()).toMatchObject({ protection: 'os', canStore: true, backend: recorded });
    expect(store.status().message).toBeUndefined();
    const sealed = store.encrypt(PASSWORD);
    expect(sealed.startsWith(SECRET_PREFIX)).toBe(true);
    expect(sealed).not.toContain(PASSWORD);
    expect(Buffer.from(sealed.slice(SECRET_PREFIX.length), 'base64').toString()).toContain(backend);
    expect(store.decrypt(sealed)).toBe(PASSWORD);
    expect(settings.get().secretBackend).toBe(recorded);
    // …and it is in the file, for the next start.
    expect(JSON.parse(readFileSync(settings.file, 'utf8')).secretBackend).toBe(recorded);
    expect(store.kind).toBe('safe-storage');
  });

  it('linux basic_text without consent: refuses to store, with a sentence the window can show, and writes nothing', () => {
    const safe = fakeSafeStorage('basic_text');
    const { store, settings } = storeWith(safe);
    expect(store.status()).toMatchObject({ protection: 'weak', canStore: false, weakAccepted: false, backend: 'basic_text' });
    expect(store.status().message).toMatch(/no keyring/);
    let thrown: unknown;
    try {
      store.encrypt(PASSWORD);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EngineError);
    expect((thrown as EngineError).code).toBe(SECRET_STORAGE_REFUSED);
    expect((thrown as EngineError).message).toMatch(/did not save the app password.*no keyring.*allow weaker password storage in Settings/);
    expect(safe.encrypted).toBe(0);
    expect(settings.get().secretBackend).toBeUndefined();
  });

  it("'unknown' (no ready app yet) counts as no keyring", () => {
    const { store } = storeWith(fakeSafeStorage('unknown'));
    expect(store.status()).toMatchObject({ protection: 'weak', canStore: false });
  });

  it('linux basic_text with consent: stores and opens, and says the protection is weak', () => {
    const safe = fakeSafeStorage('basic_text');
    const { store, settings } = storeWith(safe);
    settings.update({ allowWeakSecretStorage: true });
    expect(store.status()).toMatchObject({ protection: 'weak', canStore: true, weakAccepted: true, writesWith: 'basic_text' });
    expect(store.status().message).toMatch(/weak protection/);
    const sealed = store.encrypt(PASSWORD);
    expect(store.decrypt(sealed)).toBe(PASSWORD);
    expect(settings.get().secretBackend).toBe('basic_text');
  });

  it('safeStorage unavailable: refuses without consent; with consent uses the owner-only key file', () => {
    const safe = fakeSafeStorage('gnome_libsecret', false);
    const { store, settings } = storeWith(safe);
    expect(store.status()).toMatchObject({ protection: 'unavailable', canStore: false, backend: 'unavailable' });
    expect(() => store.encrypt(PASSWORD)).toThrow(/not available to Trickle/);
    expect(readdirSync(dir)).not.toContain('secret.key');

    settings.update({ allowWeakSecretStorage: true });
    const sealed = store.encrypt(PASSWORD);
    expect(sealed.startsWith('v1:')).toBe(true);
    expect(store.decrypt(sealed)).toBe(PASSWORD);
    expect(settings.get().secretBackend).toBe('key-file');
    // A password sealed by safeStorage earlier cannot be opened while it is unavailable.
    safe.available = true;
    const osSealed = store.encrypt(PASSWORD);
    safe.available = false;
    expect(() => store.decrypt(osSealed)).toThrow(SecretUnreadableError);
    expect(() => store.decrypt(osSealed)).toThrow(/not available right now.*enter the app password again/);
  });

  it('a change of backend is recorded, reported at start, and a password the new one cannot open is SecretUnreadableError', () => {
    const safe = fakeSafeStorage('kwallet5');
    const first = storeWith(safe);
    const sealed = first.store.encrypt(PASSWORD);

    // Next start: the desktop session no longer offers KWallet, and the user accepted basic_text.
    safe.backend = 'basic_text';
    const again = storeWith(safe);
    again.settings.update({ allowWeakSecretStorage: true });
    const status = again.store.status();
    expect(status.previousBackend).toBe('kwallet5');
    expect(status.message).toMatch(/last saved with “KWallet”.*now uses “no keyring \(basic text\)”/);
    expect(() => again.store.decrypt(sealed)).toThrow(SecretUnreadableError);
    expect(() => again.store.decrypt(sealed)).toThrow(
      /saved with “KWallet”, Trickle now uses “no keyring \(basic text\)”.*Enter the app password again/,
    );

    // Entering the password again writes it with the new backend, which is then the one recorded.
    const resealed = again.store.encrypt(PASSWORD);
    expect(again.store.decrypt(resealed)).toBe(PASSWORD);
    expect(again.settings.get().secretBackend).toBe('basic_text');
    expect(again.store.status().previousBackend).toBeUndefined();
  });

  it('anything not in a known format is SecretUnreadableError, never garbage', () => {
    const { store } = storeWith(fakeSafeStorage());
    for (const bad of ['', 'plain password', 'ss1:', 'ss1:!!!!', 'v2:a:b:c', 'v1:x:y:z']) {
      expect(() => store.decrypt(bad), bad).toThrow(SecretUnreadableError);
    }
  });
});

describe('SafeStorageSecretStore inside a real engine', () => {
  let gmail: TestGmail;
  beforeEach(async () => {
    gmail = await startTestGmail({ accounts: [{ email: 'club@gmail.test', appPassword: PASSWORD }] });
  });
  afterEach(async () => gmail.close());

  const account = () => ({
    email: 'club@gmail.test',
    appPassword: PASSWORD,
    host: gmail.host,
    port: gmail.port,
    security: 'none' as const,
  });

  it('without consent on basic_text, accounts.add answers with the refusal and stores nothing', async () => {
    const safe = fakeSafeStorage('basic_text');
    const { store } = storeWith(safe);
    const engine = await createEngine({ dataDir: dir, secrets: store });
    try {
      const handlers = createApiHandlers(engine, { version: 'test', door: 'desktop' });
      const envelope = await invoke(handlers, 'accounts.add', account());
      expect(envelope).toEqual({
        ok: false,
        error: { code: 'secret_storage_refused', message: expect.stringMatching(/did not save the app password/) },
      });
      expect(await engine.accounts.list()).toEqual([]);
      expect(safe.encrypted).toBe(0);
    } finally {
      await engine.stop();
    }
  });

  async function afterBackendChange() {
    const safe = fakeSafeStorage('gnome_libsecret');
    const smtpTimeouts = { connectionMs: 3000, socketMs: 3000, idleMs: 60_000 };
    const first = await createEngine({ dataDir: dir, secrets: storeWith(safe).store, smtpTimeouts });
    const added = await first.accounts.add(account());
    const { campaign } = await first.campaigns.create({
      name: 'News',
      subject: 'Hello',
      text: 'Hi',
      recipients: [{ email: 'r1@example.com' }],
    });
    await first.campaigns.queue({ id: campaign.id });
    await first.stop();
    safe.backend = 'kwallet6'; // the next start sees another keyring
    const engine = await createEngine({ dataDir: dir, secrets: storeWith(safe).store, smtpTimeouts });
    const events: { state: string; explanation?: string }[] = [];
    engine.events.on('account', (e) => events.push(e));
    const loginsBefore = gmail.logins.length;
    await engine.runBatchNow();
    return { engine, added, events, loginsBefore };
  }

  it('after a backend change, sending marks the account as needing its app password again; nothing crashes', async () => {
    const { engine, added, events } = await afterBackendChange();
    try {
      const [after] = await engine.accounts.list();
      expect(after!.id).toBe(added.id);
      expect(after!.state).toBe('auth_failed');
      expect(events.some((e) => e.state === 'auth_failed')).toBe(true);
      // The message waits in the queue; nothing was sent.
      expect(gmail.accepted).toHaveLength(0);
      expect((await engine.sending.status()).queued).toBe(1);

      // Entering the password again (verified against the server) heals the account and sends.
      await engine.accounts.update({ id: added.id, appPassword: PASSWORD });
      expect((await engine.accounts.list())[0]!.state).toBe('ok');
      await engine.runBatchNow();
      expect(gmail.accepted).toHaveLength(1);
    } finally {
      await engine.stop();
    }
  });

  // Expected to fail until the engine lets SecretUnreadableError through: today
  // src-main/engine/accounts/accounts.ts smtpAccountOf() turns it into an empty password, so the engine
  // logs in with no password and the account says only "The server did not accept the login",
  // instead of send-message.ts's SecretUnreadableError branch explaining that the saved password can
  // no longer be opened. When that is fixed, this test passes: remove `.fails`.
  it('…and says why: the saved password can no longer be opened (no login is tried with an empty password)', async () => {
    const { engine, loginsBefore } = await afterBackendChange();
    try {
      const [after] = await engine.accounts.list();
      expect(after!.stateDetail?.explanation).toMatch(/can no longer be opened.*Enter the app password again/);
      expect(gmail.logins.length).toBe(loginsBefore);
    } finally {
      await engine.stop();
    }
  });
});
