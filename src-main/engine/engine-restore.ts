import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, iso, systemClock } from './core/clock';
import { type EngineLogger, silentLogger } from './context';
import { secureDataFolder } from './core/data-folder';
import { EngineError } from './core/errors';
import { OwnerLock } from './core/owner-lock';
import { checkDatabaseFile, restoreLatestBackup } from './db/backups';
import { openDatabase } from './db/open-database';
import { judgeLease, LEASE_STALE_MS, readLease, stillRunning } from './db/owner-lease';
import { startFailure } from './db/start-checks';
import { writePaused } from './settings/settings';

export interface RestoreReport {
  /** The backup put back, and when it was taken. */
  backup: string;
  takenAt: string;
  /** Where the database it replaced was kept, if there was one. */
  keptAs?: string;
  /** What happened and what to check, for the person. */
  message: string;
}

/**
 * Puts the newest good backup back in place of a damaged or lost database (db/backups.ts): for
 * headless mode's `--restore-backup` and the desktop's start-up dialog. Refuses while an engine
 * may run on the folder (the lock file, and the lease if the database can still be read), and
 * over a sound database. Sending starts paused: messages sent after the backup was taken show as
 * waiting again, and only the user can tell (from Sent Mail) which went.
 */
export async function restoreFromBackup(options: {
  dataDir: string;
  databaseFile?: string;
  clock?: Clock;
  logger?: EngineLogger;
}): Promise<RestoreReport> {
  const log = options.logger ?? silentLogger;
  const now = (options.clock ?? systemClock).now();
  const databaseFile = options.databaseFile ?? join(options.dataDir, 'trickle.sqlite');
  const where = { dataDir: options.dataDir, databaseFile };
  try {
    secureDataFolder(options.dataDir, log);
    const lock = OwnerLock.acquire(`${databaseFile}.owner`, now, () => true);
    try {
      // An owner may still run with its lock file deleted: its lease says so, if it can be read.
      const lease = readLease(databaseFile);
      const verdict = judgeLease(lease, lock.fileId, now, LEASE_STALE_MS);
      if ('refuse' in verdict) throw stillRunning(lease!, verdict.refuse.waitMs);
      // Only in place of a damaged or lost database: an older copy over a sound one loses what it holds.
      if (existsSync(databaseFile) && statSync(databaseFile).size > 0 && checkDatabaseFile(databaseFile).ok) {
        throw new EngineError(
          'conflict',
          `Trickle's database ${databaseFile} is sound (SQLite's check finds nothing wrong), so no backup was restored over it. Nothing was changed. ` +
            `To go back to a backup anyway, stop Trickle and copy one from ${join(options.dataDir, 'backups')} over it yourself.`,
        );
      }
      const restored = restoreLatestBackup(options.dataDir, databaseFile, now);
      if (!restored) {
        throw new EngineError(
          'not_found',
          `There is no usable backup in ${join(options.dataDir, 'backups')}, so nothing was restored. Restore ${databaseFile} from your own backup of this folder.`,
        );
      }
      const database = await openDatabase(databaseFile, { verify: true });
      try {
        await writePaused(database.db, true);
        // The backup's lease names an engine of the past; this restore holds the lock file now.
        await database.db.updateTable('owner_lease').set({ released_at: now }).where('released_at', 'is', null).execute();
      } finally {
        await database.close();
      }
      const takenAt = iso(restored.backup.takenAt)!;
      const shown = `${takenAt.slice(0, 16).replace('T', ' ')} UTC`;
      const message =
        `Trickle's database was restored from the backup taken ${shown}` +
        (restored.keptAs ? `; the file it replaced is kept as ${restored.keptAs}. ` : '. ') +
        `Sending is paused: whatever was sent after ${shown} shows as still waiting, and would go out again. Check your accounts' Sent Mail (pause or cancel what already went) before you resume sending.`;
      log.warn(message);
      return { backup: restored.backup.file, takenAt, ...(restored.keptAs ? { keptAs: restored.keptAs } : {}), message };
    } finally {
      lock.release();
    }
  } catch (error) {
    throw startFailure(error, where);
  }
}
