import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real, small file system (tmpfs) for disk-full tests: SQLite then meets ENOSPC exactly as on
 * a full laptop disk (SQLITE_FULL, with the whole transaction rolled back when a write of the
 * log fails), which `max_page_count` cannot imitate. Mounting needs root (CI and the development
 * machine run as root); elsewhere `smallDiskAvailable` is false and such tests are skipped.
 */
export interface SmallDisk {
  /** The mount point: put the data folder under it. */
  dir: string;
  /** Bytes still free for files. */
  free(): number;
  /** Fills the disk with a file of its own until at most `leaveBytes` are free. */
  fill(leaveBytes?: number): void;
  /** Removes that file: the space is free again. */
  release(): void;
  unmount(): void;
}

export const smallDiskAvailable: boolean = (() => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    const disk = mountSmallDisk(1);
    disk.unmount();
    return true;
  } catch {
    return false;
  }
})();

export function mountSmallDisk(megabytes: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const filler = join(dir, 'filler');
  const free = () => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };
  return {
    dir,
    free,
    fill(leaveBytes = 0) {
      const fd = openSync(filler, 'a');
      try {
        for (let chunk = 1024 * 1024; chunk >= 4096; chunk /= 2) {
          const zeros = Buffer.alloc(chunk);
          while (free() - chunk >= leaveBytes) {
            try {
              writeSync(fd, zeros);
            } catch {
              break;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    release() {
      rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
