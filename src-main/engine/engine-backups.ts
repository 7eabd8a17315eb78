import { HOUR } from './core/clock';
import type { EngineContext } from './context';
import { type Backup, backUpDatabase, backupDue } from './db/backups';
import type { OpenedDatabase } from './db/open-database';

/**
 * The rolling backups while this engine owns the data folder (db/backups.ts does the copying):
 * one at start when the newest is a day old, then a check every hour. A stop abandons a backup
 * in progress at its next step.
 */
export class BackupSchedule {
  private backupTimer: ReturnType<typeof setInterval> | undefined;
  private backupRunning: Promise<Backup | undefined> | undefined;

  constructor(
    private readonly ctx: EngineContext,
    private readonly database: OpenedDatabase,
    private readonly dataDir: string,
    /** False for an in-memory database, or when the engine's options turn backups off. */
    private readonly enabled: boolean,
    /** The engine is stopping: no new backup, and one in progress is abandoned. */
    private readonly stopping: () => boolean,
  ) {}

  /**
   * Takes a backup of the database if the newest is a day old (db/backups.ts); resolves with it,
   * or undefined when none was due.
   */
  backupIfDue(): Promise<Backup | undefined> {
    if (this.stopping() || !this.enabled) return Promise.resolve(undefined);
    if (this.backupRunning) return this.backupRunning;
    const now = this.ctx.clock.now();
    if (!backupDue(this.dataDir, now)) return Promise.resolve(undefined);
    const running = backUpDatabase(this.database.sqlite, this.dataDir, now, () => this.stopping() || !this.database.sqlite.open).then(
      (backup) => {
        this.ctx.log.info('database backed up', { file: backup.file });
        return backup;
      },
    );
    this.backupRunning = running.finally(() => {
      this.backupRunning = undefined;
    });
    return this.backupRunning;
  }

  start(): void {
    if (!this.enabled) return;
    const backUp = () =>
      void this.backupIfDue().catch((error: unknown) => {
        if (!this.stopping()) this.ctx.log.warn('could not back up the database; trying again within the hour', { error: String(error) });
      });
    backUp();
    this.backupTimer = setInterval(backUp, HOUR);
    this.backupTimer.unref?.();
  }

  stop(): void {
    clearInterval(this.backupTimer);
  }

  /** Waits for a backup in progress to end (a stop abandons it at its next step). */
  async settled(): Promise<void> {
    await this.backupRunning?.catch(() => undefined);
  }
}
