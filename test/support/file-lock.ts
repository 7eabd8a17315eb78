import { openSync, readFileSync, renameSync, rmSync, writeSync, closeSync } from 'node:fs';

/**
 * Runs `work` while holding a lock file, so that test processes (vitest runs files in several
 * workers) do one machine-wide thing at a time: install a package, unpack the browser.
 * The lock file holds the owner's pid; a lock whose owner is gone (a run killed mid-way) is
 * taken over.
 */
export async function withFileLock<T>(
  lockPath: string,
  work: () => Promise<T> | T,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const pollMs = options.pollMs ?? 100;
  const started = Date.now();
  for (;;) {
    if (tryAcquire(lockPath)) break;
    const owner = readOwner(lockPath);
    if (owner !== undefined && !processAlive(owner)) {
      // Move the dead owner's file aside rather than delete it: of several waiters that saw it
      // dead, only one rename succeeds, and the others go on waiting.
      try {
        renameSync(lockPath, `${lockPath}.stale-${process.pid}`);
        rmSync(`${lockPath}.stale-${process.pid}`, { force: true });
      } catch {
        // another waiter took it over first
      }
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `Waited ${Math.round(timeoutMs / 1000)} s for ${lockPath} (held by process ${owner ?? 'unknown'}). ` +
          'If no test run is going on, delete that file and run the tests again.',
      );
    }
    // Polling a lock, not timing a test: the wait ends as soon as the other process is done.
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  try {
    return await work();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

function tryAcquire(lockPath: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, String(process.pid));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwner(lockPath: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockPath, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // released meanwhile, or being written: look again
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
