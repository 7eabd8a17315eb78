// PURE (no `electron` import: Electron's safeStorage is passed in) — the desktop app's
// SecretStore: account passwords encrypted by the operating system's password storage
// (macOS Keychain, Windows DPAPI, GNOME Keyring / KWallet on Linux) through Electron's
// safeStorage. Stored form: `ss1:` + base64 of safeStorage.encryptString's bytes.
//
// Where the system offers no real protection — Linux with the `basic_text` backend (no
// keyring: the key is a constant inside Chromium), or safeStorage unavailable altogether — no
// password is written until the user explicitly accepts weaker storage (a desktop setting).
// Once accepted, `basic_text` is used as is; if safeStorage is unavailable altogether, the
// engine's key file (AES-256-GCM, key in the user-data folder readable by the owner only, as
// in headless mode) takes its place, stored as the key file store's own `v1:` format.
//
// The backend that protected the last password written is recorded in the desktop settings
// file; a different backend at start-up is reported (`status().previousBackend`), and a
// password the current backend cannot open throws SecretUnreadableError, which the engine
// turns into "needs a new app password" for that account instead of crashing.

import { EngineError, type EngineErrorCode, KeyFileSecretStore, keyFileIn, type SecretStore, SecretUnreadableError } from '../engine';
import type { DesktopSettingsFile } from './desktop-settings';

/** The part of Electron's `safeStorage` this store uses (the synchronous API: SecretStore is synchronous). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only, and meaningful only after the app is ready. */
  getSelectedStorageBackend?(): string;
}

export type { SecretProtection, SecretStorageStatus } from '../../src-shared/views/desktop';
import type { SecretProtection, SecretStorageStatus } from '../../src-shared/views/desktop';

export const SECRET_PREFIX = 'ss1:';
const KEY_FILE_BACKEND = 'key-file';

/**
 * The code of the error `encrypt` throws when it refuses to write a password. Not yet one of
 * the engine's EngineErrorCode values (asked for), so it is cast here; the API passes any
 * EngineError's code and message to the window unchanged.
 */
export const SECRET_STORAGE_REFUSED: EngineErrorCode = 'secret_storage_refused';

export class SafeStorageSecretStore implements SecretStore {
  readonly kind = 'safe-storage';
  private keyFileStore: KeyFileSecretStore | undefined;

  /** Passwords saved while safeStorage was unavailable (`v1:`) need the key file. */
  get keyFile(): string {
    return keyFileIn(this.options.dataDir);
  }

  constructor(
    private readonly options: {
      safeStorage: SafeStorageLike;
      platform: NodeJS.Platform;
      settings: DesktopSettingsFile;
      /** Where the key file goes if it is ever needed (the user-data folder). */
      dataDir: string;
    },
  ) {}

  status(): SecretStorageStatus {
    const { backend, protection } = this.probe();
    const settings = this.options.settings.get();
    const weakAccepted = settings.allowWeakSecretStorage;
    const canStore = protection === 'os' || weakAccepted;
    const writesWith = protection === 'unavailable' ? KEY_FILE_BACKEND : backend;
    const previous = settings.secretBackend !== undefined && settings.secretBackend !== writesWith ? settings.secretBackend : undefined;
    const message = !canStore
      ? refusalMessage(protection)
      : previous !== undefined
        ? `Passwords were last saved with “${describe(previous)}”, and Trickle now uses “${describe(writesWith)}”. ` +
          'Passwords saved before may no longer open: an account that cannot log in asks for its app password again.'
        : protection !== 'os'
          ? `Passwords are kept with weak protection (${describe(writesWith)}): any program running as you could read them.`
          : undefined;
    return {
      backend,
      protection,
      weakAccepted,
      canStore,
      writesWith,
      ...(previous !== undefined ? { previousBackend: previous } : {}),
      ...(message ? { message } : {}),
    };
  }

  encrypt(plaintext: string): string {
    const status = this.status();
    if (!status.canStore) throw new EngineError(SECRET_STORAGE_REFUSED, refusalMessage(status.protection));
    let sealed: string;
    if (status.protection === 'unavailable') {
      sealed = this.keyFileStoreNow().encrypt(plaintext);
    } else {
      sealed = SECRET_PREFIX + this.options.safeStorage.encryptString(plaintext).toString('base64');
    }
    if (this.options.settings.get().secretBackend !== status.writesWith) {
      this.options.settings.update({ secretBackend: status.writesWith });
    }
    return sealed;
  }

  decrypt(ciphertext: string): string {
    if (ciphertext.startsWith(SECRET_PREFIX)) {
      const { backend, protection } = this.probe();
      if (protection === 'unavailable') {
        throw new SecretUnreadableError(
          'The system’s password storage is not available right now, so the saved app password cannot be opened. ' +
            'Restart Trickle, or enter the app password again.',
        );
      }
      try {
        return this.options.safeStorage.decryptString(Buffer.from(ciphertext.slice(SECRET_PREFIX.length), 'base64'));
      } catch {
        const recorded = this.options.settings.get().secretBackend;
        const changed =
          recorded !== undefined && recorded !== backend
            ? ` (it was saved with “${describe(recorded)}”, Trickle now uses “${describe(backend)}”)`
            : '';
        throw new SecretUnreadableError(
          `The saved app password can no longer be opened by the system’s password storage${changed}. Enter the app password again.`,
        );
      }
    }
    if (ciphertext.startsWith('v1:')) return this.keyFileStoreNow().decrypt(ciphertext);
    throw new SecretUnreadableError('The saved app password is not in a format Trickle can read. Enter the app password again.');
  }

  private probe(): { backend: string; protection: SecretProtection } {
    const { safeStorage, platform } = this.options;
    let available = false;
    try {
      available = safeStorage.isEncryptionAvailable();
    } catch {
      available = false;
    }
    if (!available) return { backend: 'unavailable', protection: 'unavailable' };
    if (platform === 'darwin') return { backend: 'keychain', protection: 'os' };
    if (platform === 'win32') return { backend: 'dpapi', protection: 'os' };
    const backend = safeStorage.getSelectedStorageBackend?.() ?? 'unknown';
    // 'unknown' is what Electron says before the app is ready: no keyring can be assumed.
    return { backend, protection: backend === 'basic_text' || backend === 'unknown' ? 'weak' : 'os' };
  }

  private keyFileStoreNow(): KeyFileSecretStore {
    this.keyFileStore ??= new KeyFileSecretStore({ dataDir: this.options.dataDir });
    return this.keyFileStore;
  }
}

function refusalMessage(protection: SecretProtection): string {
  const why =
    protection === 'unavailable'
      ? 'this computer’s password storage is not available to Trickle'
      : 'this computer has no keyring (such as GNOME Keyring or KWallet), so the password could only be kept with weak protection that any program running as you could read';
  return (
    `Trickle did not save the app password: ${why}. Nothing was changed. ` +
    'Start a keyring and restart Trickle, or allow weaker password storage in Settings.'
  );
}

function describe(backend: string): string {
  switch (backend) {
    case 'keychain':
      return 'macOS Keychain';
    case 'dpapi':
      return 'Windows data protection';
    case 'gnome_libsecret':
      return 'GNOME Keyring';
    case 'kwallet':
    case 'kwallet5':
    case 'kwallet6':
      return 'KWallet';
    case 'basic_text':
      return 'no keyring (basic text)';
    case KEY_FILE_BACKEND:
      return 'a key file in Trickle’s folder';
    default:
      return backend;
  }
}
