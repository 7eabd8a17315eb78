import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The headless API's access token: TRICKLE_TOKEN if given, else the one kept in the data
 * directory (created on first start, readable by the owner only).
 */
export function loadAccessToken(dataDir: string, fromEnv: string | undefined): string {
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    if (fromEnv.trim().length < 16) throw new Error('TRICKLE_TOKEN must be at least 16 characters long.');
    return fromEnv.trim();
  }
  const file = join(dataDir, 'headless-token');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 16) {
      chmodSync(file, 0o600); // a copy or a restore may have widened it
      return stored;
    }
  }
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** Compares without leaking, through timing, how much of a guess was right. */
export function tokensMatch(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
