import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineLogger } from './log';
import { securePrivateFile } from './data-folder';
import { EngineError } from './errors';

/**
 * Where account passwords go. The engine stores only what `encrypt` returns; the desktop app
 * backs this with Electron's safeStorage, headless mode with a key file.
 */
export interface SecretStore {
  /** A short name for the protection used, kept with nothing secret (e.g. 'key-file'). */
  readonly kind: string;
  /**
   * The key file that passwords stored in the key file's `v1:` format need, if this store opens
   * them with one (not with TRICKLE_SECRET_KEY). The engine refuses to start when it is missing
   * while such passwords exist, rather than let a new key be made that opens none of them.
   */
  readonly keyFile?: string | undefined;
  encrypt(plaintext: string): string;
  /** Throws SecretUnreadableError when the ciphertext cannot be opened with this store's key. */
  decrypt(ciphertext: string): string;
}

export class SecretUnreadableError extends Error {
  override readonly name = 'SecretUnreadableError';
}

const FORMAT = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;

/**
 * AES-256-GCM with a 32-byte key from `TRICKLE_SECRET_KEY` (64 hex chars or base64) or from a
 * key file in the data directory, created readable by the owner only. Ciphertext format:
 * `v1:<iv>:<tag>:<data>` in base64; GCM's tag makes tampering or a wrong key fail loudly.
 */
export class KeyFileSecretStore implements SecretStore {
  readonly kind = 'key-file';
  readonly keyFile: string | undefined;
  private loaded: Buffer | undefined;
  private readonly log: EngineLogger | undefined;

  /**
   * `log` hears of a key file whose mode Trickle had to fix. `createKey: false` (the key file is
   * missing while passwords encrypted with it exist): no key is made until `replaceLostKey`
   * says so; until then nothing can be encrypted or opened.
   */
  constructor(options: { dataDir: string; envKey?: string | undefined; log?: EngineLogger; createKey?: boolean }) {
    this.keyFile = options.envKey ? undefined : keyFileIn(options.dataDir);
    this.log = options.log;
    if (!this.keyFile) this.loaded = parseKey(options.envKey!);
    else if (options.createKey !== false || existsSync(this.keyFile)) this.loaded = loadOrCreateKeyFile(this.keyFile, options.log);
  }

  /** Makes the new key for a key file that is lost for good. */
  replaceLostKey(): void {
    if (this.keyFile) this.loaded ??= loadOrCreateKeyFile(this.keyFile, this.log);
  }

  private get key(): Buffer {
    if (this.loaded) return this.loaded;
    throw new SecretUnreadableError(
      `Trickle's key file ${this.keyFile} is missing, so the stored app password cannot be opened. Put the key file back, or start Trickle with a new key and enter the app password again.`,
    );
  }

  encrypt(plaintext: string): string {
    if (!this.loaded) {
      throw new EngineError(
        'secret_key_missing',
        `Trickle's key file ${this.keyFile} is missing, so no app password can be saved until Trickle is started with it back, or with a new key. Nothing was changed.`,
      );
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  decrypt(ciphertext: string): string {
    const [format, iv, tag, data] = ciphertext.split(':');
    if (format !== FORMAT || !iv || !tag || data === undefined) {
      throw new SecretUnreadableError('The stored password is not in a format this version can read.');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretUnreadableError(
        'The stored password cannot be decrypted with this key (the key file or TRICKLE_SECRET_KEY changed). Enter the app password again.',
      );
    }
  }
}

function parseKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error('TRICKLE_SECRET_KEY must be 32 bytes, written as 64 hex characters or base64.');
  }
  return key;
}

/** Where the key file lives in a data folder. */
export function keyFileIn(dataDir: string): string {
  return join(dataDir, 'secret.key');
}

/**
 * A key file readable or writable by others is made private with a warning; one that belongs to
 * another user is refused (ssh's rule, core/data-folder.ts). A new one is created 0600.
 */
function loadOrCreateKeyFile(file: string, log: EngineLogger = { info() {}, warn() {}, error() {} }): Buffer {
  securePrivateFile(file, 'key', log);
  if (existsSync(file)) {
    try {
      return parseKey(readFileSync(file, 'utf8'));
    } catch {
      // parseKey's message speaks of TRICKLE_SECRET_KEY, which the user never set here.
      throw new Error(
        `The key file ${file} is damaged: it must hold a 32-byte key as 64 hex characters. Restore it from a backup; if it is lost, delete it and enter each account's app password again.`,
      );
    }
  }
  const key = randomBytes(KEY_BYTES);
  // 'wx' fails if another process created it meanwhile, rather than overwriting its key.
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600); // the umask may have widened the mode given above
  return key;
}
