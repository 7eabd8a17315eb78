import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { withFileLock } from './file-lock';

let dir: string;
let lock: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trickle-file-lock-'));
  lock = join(dir, 'x.lock');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('runs one holder at a time and removes the lock after', async () => {
  const events: string[] = [];
  const hold = (name: string) =>
    withFileLock(
      lock,
      async () => {
        events.push(`${name} in`);
        expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
        await new Promise((resolve) => setImmediate(resolve));
        events.push(`${name} out`);
      },
      { pollMs: 5 },
    );
  await Promise.all([hold('a'), hold('b')]);
  expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
  expect(existsSync(lock)).toBe(false);
});

it('waits for a lock another process holds, names it when giving up, and takes it over once that process is gone', async () => {
  // Another test process holding the lock: it writes its pid, as withFileLock does, and stays.
  const other = spawn(
    process.execPath,
    [
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(lock)}, String(process.pid)); process.stdout.write('held'); setInterval(() => {}, 1000)`,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise((resolve) => other.stdout!.once('data', resolve));
  await expect(withFileLock(lock, () => 'ran', { timeoutMs: 50, pollMs: 5 })).rejects.toThrow(
    `(held by process ${other.pid}). If no test run is going on, delete that file and run the tests again.`,
  );
  other.kill('SIGKILL');
  await new Promise((resolve) => other.once('exit', resolve));
  await expect(withFileLock(lock, () => 'ran', { timeoutMs: 5000, pollMs: 5 })).resolves.toBe('ran');
  expect(existsSync(lock)).toBe(false);
});

it('takes over a lock left by a run that was killed (its process no longer exists)', async () => {
  const gone = spawnSync(process.execPath, ['-e', '']).pid;
  writeFileSync(lock, String(gone));
  await expect(withFileLock(lock, () => 'ran', { timeoutMs: 5000, pollMs: 5 })).resolves.toBe('ran');
});

it('releases the lock when the work fails', async () => {
  await expect(withFileLock(lock, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(existsSync(lock)).toBe(false);
});
