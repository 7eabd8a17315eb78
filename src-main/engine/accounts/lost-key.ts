import { existsSync } from 'node:fs';
import type { EngineLogger } from '../context';
import { EngineError } from '../core/errors';
import type { Db } from '../db/schema';

// Stored app passwords whose key file is gone: found at open, refused or settled at start.

/**
 * Passwords stored in the `v1:` format need `keyFile`. If it is missing, a new key would open
 * none of them, and every account would look fine until its first send failed. Returns the
 * accounts whose password is locked away that way (none when no key file is used or it exists).
 */
export async function accountsWithLostKey(db: Db, keyFile: string | undefined): Promise<{ id: number; email: string }[]> {
  if (keyFile === undefined || existsSync(keyFile)) return [];
  return db.selectFrom('accounts').select(['id', 'email']).where('password_secret', 'like', 'v1:%').orderBy('id').execute();
}

/**
 * At start, with the key file gone (see above): refused (`secret_key_missing`) unless the user
 * said it is lost for good (`replaceLostKey`); then those accounts are marked as needing their
 * app password again (the caller has the store make its new key).
 */
export async function settleLostKey(
  db: Db,
  keyFile: string,
  locked: { email: string }[],
  options: { replaceLostKey: boolean; log: EngineLogger },
): Promise<void> {
  if (!options.replaceLostKey)
    throw lostKeyError(
      keyFile,
      locked.map((a) => a.email),
    );
  const detail = JSON.stringify({
    code: 'SECRET',
    response: '',
    explanation: 'The key that protected this account’s app password was lost, so Trickle made a new one. Enter the app password again.',
  });
  await db
    .updateTable('accounts')
    .set({ state: 'auth_failed', state_until: null, state_detail: detail })
    .where('password_secret', 'like', 'v1:%')
    .execute();
  options.log.warn('the key file was lost: these accounts need their app password again', { accounts: locked.map((a) => a.email) });
}

function lostKeyError(keyFile: string, accounts: string[]): EngineError {
  return new EngineError(
    'secret_key_missing',
    `Trickle's key file ${keyFile} is missing, but the app passwords of ${accounts.length === 1 ? 'an account' : `${accounts.length} accounts`} (${accounts.join(', ')}) were encrypted with it. ` +
      'Trickle did not start and did not make a new key, which could open none of them. Nothing was changed. ' +
      'Put the key file back (from a backup of this folder) and start Trickle again. If it is lost for good, start Trickle with a new key: each of these accounts will then ask for its app password again.',
    { remedy: 'replace-lost-key', accounts },
  );
}
