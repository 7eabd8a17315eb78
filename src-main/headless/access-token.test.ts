/**
 * Headless mode's access token: made once, kept in the data directory for the owner only,
 * the same on every start; TRICKLE_TOKEN wins but must be long enough to resist guessing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAccessToken, tokensMatch } from './access-token';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-token-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadAccessToken', () => {
  it('generates a long random token on first start and keeps it in a file only the owner can read (0600)', () => {
    const dir = tempDir();
    const token = loadAccessToken(dir, undefined);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    const file = join(dir, 'headless-token');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Another data directory gets another token: it is random, not derived from anything.
    expect(loadAccessToken(tempDir(), undefined)).not.toBe(token);
  });

  it('keeps the 0600 mode under a permissive umask', () => {
    const previous = process.umask(0o000);
    try {
      const dir = tempDir();
      loadAccessToken(dir, undefined);
      expect(statSync(join(dir, 'headless-token')).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('reuses the kept token on every later start (the printed link keeps working)', () => {
    const dir = tempDir();
    const first = loadAccessToken(dir, undefined);
    const before = readFileSync(join(dir, 'headless-token'), 'utf8');
    expect(loadAccessToken(dir, undefined)).toBe(first);
    expect(loadAccessToken(dir, '')).toBe(first);
    expect(loadAccessToken(dir, '   ')).toBe(first);
    expect(readFileSync(join(dir, 'headless-token'), 'utf8')).toBe(before);
  });

  it('replaces a kept token too short to be safe', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'headless-token'), 'short\n', { mode: 0o600 });
    const token = loadAccessToken(dir, undefined);
    expect(token).not.toBe('short');
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(loadAccessToken(dir, undefined)).toBe(token);
  });

  it('TRICKLE_TOKEN wins over the kept token (trimmed) and is not written to disk', () => {
    const dir = tempDir();
    const kept = loadAccessToken(dir, undefined);
    const given = 'my-own-token-0123456789';
    expect(loadAccessToken(dir, `  ${given}\n`)).toBe(given);
    expect(readFileSync(join(dir, 'headless-token'), 'utf8').trim()).toBe(kept);

    const fresh = tempDir();
    expect(loadAccessToken(fresh, given)).toBe(given);
    expect(existsSync(join(fresh, 'headless-token'))).toBe(false);
  });

  it('refuses a TRICKLE_TOKEN shorter than 16 characters, saying so', () => {
    const dir = tempDir();
    expect(() => loadAccessToken(dir, 'abc123')).toThrow(/TRICKLE_TOKEN must be at least 16 characters/);
    // 15 characters padded to 19: the spaces do not count.
    expect(() => loadAccessToken(dir, `  ${'y'.repeat(15)}  `)).toThrow(/at least 16/);
    // …and does not quietly fall back to a generated one either.
    expect(existsSync(join(dir, 'headless-token'))).toBe(false);
    expect(loadAccessToken(dir, 'x'.repeat(16))).toBe('x'.repeat(16));
  });
});

describe('tokensMatch', () => {
  const token = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFi';
  it('accepts only the exact token', () => {
    expect(tokensMatch(token, token)).toBe(true);
    expect(tokensMatch(token.slice(0, -1), token)).toBe(false);
    expect(tokensMatch(`${token}x`, token)).toBe(false);
    expect(tokensMatch(token.toLowerCase(), token)).toBe(false);
    expect(tokensMatch(` ${token}`, token)).toBe(false);
    expect(tokensMatch(`${token.slice(0, -1)}b`, token)).toBe(false);
    expect(tokensMatch('', token)).toBe(false);
    expect(tokensMatch(undefined, token)).toBe(false);
  });

  it('does not throw on inputs of another byte length (multi-byte characters)', () => {
    // Same number of characters, more bytes: must be a plain "no", not a crash.
    const lookalike = 'é'.repeat(token.length);
    expect(() => tokensMatch(lookalike, token)).not.toThrow();
    expect(tokensMatch(lookalike, token)).toBe(false);
  });
});
