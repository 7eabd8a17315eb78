import { chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { DAY } from '../core/clock';

/**
 * Rolling backups of the database, in `<dataDir>/backups/`: one a day (taken at start when the
 * newest is a day old, and checked every hour while running), the last BACKUPS_KEPT kept.
 *
 * Taken with SQLite's online backup (better-sqlite3's `backup()`), which copies the database a
 * few hundred pages at a time and gives the event loop a turn between steps, so the window and
 * the send path never wait for it; a write on the engine's connection meanwhile is carried into
 * the copy. The copy is written under a temporary name, turned into a single self-contained file
 * (rollback journal, no -wal beside it), flushed, made private (0600) and only then renamed into
 * place: a backup under its final name is always whole.
 */

export const BACKUP_FOLDER = 'backups';
export const BACKUPS_KEPT = 7;
/** A backup is due when the newest is this old. */
export const BACKUP_INTERVAL_MS = DAY;
/** Pages copied per step (4 KB each): a step takes well under a millisecond. */
const PAGES_PER_STEP = 256;

export interface Backup {
  file: string;
  /** When it was taken (the engine's clock), from its name. */
  takenAt: number;
}

/** trickle-20261123T090000Z.sqlite: sorts by time, and tells the time without opening the file. */
const BACKUP_NAME = /^trickle-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.sqlite$/;
const PARTIAL_PREFIX = '.partial-';

export function backupFolder(dataDir: string): string {
  return join(dataDir, BACKUP_FOLDER);
}

function backupName(takenAt: number): string {
  return `trickle-${new Date(takenAt).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z.sqlite`;
}

/** The backups in the folder, newest first. Reads names only. */
export function listBackups(dataDir: string): Backup[] {
  const folder = backupFolder(dataDir);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const backups: Backup[] = [];
  for (const name of names) {
    const m = BACKUP_NAME.exec(name);
    if (!m) continue;
    const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
    backups.push({ file: join(folder, name), takenAt: Date.UTC(y, mo - 1, d, h, mi, s) });
  }
  return backups.sort((a, b) => b.takenAt - a.takenAt);
}

export function backupDue(dataDir: string, now: number): boolean {
  const newest = listBackups(dataDir)[0];
  return !newest || now - newest.takenAt >= BACKUP_INTERVAL_MS;
}

/**
 * Copies the database open on `sqlite` into a new backup and keeps only the newest
 * BACKUPS_KEPT. `shouldStop` is asked between steps (the engine is stopping): the copy is
 * then abandoned and nothing is left behind.
 */
export async function backUpDatabase(
  sqlite: BetterSqlite3.Database,
  dataDir: string,
  now: number,
  shouldStop: () => boolean = () => false,
): Promise<Backup> {
  const folder = backupFolder(dataDir);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const name = backupName(now);
  const partial = join(folder, PARTIAL_PREFIX + name);
  rmSync(partial, { force: true });
  try {
    // Private from the first byte (SQLite would create it as the umask says, and its journal
    // takes its mode): the folder may be a link to one others can read.
    closeSync(openSync(partial, 'wx', 0o600));
    const progress = await sqlite.backup(partial, {
      progress: () => {
        if (shouldStop()) throw new Error('Trickle is stopping: the backup was abandoned.');
        return PAGES_PER_STEP;
      },
    });
    // A first step that found the connection in a write transaction copies nothing and reports
    // nothing left to do: no copy of a database has no pages.
    if (progress.totalPages === 0) throw new Error('The database was busy; the backup will be taken later.');
    selfContained(partial);
    chmodSync(partial, 0o600);
    flush(partial);
    const file = join(folder, name);
    renameSync(partial, file);
    flush(folder);
    pruneBackups(dataDir);
    return { file, takenAt: now };
  } catch (error) {
    rmSync(partial, { force: true });
    rmSync(`${partial}-journal`, { force: true });
    throw error;
  }
}

/** The copy carries the source's WAL mode; a backup is one file a person can copy or open alone. */
function selfContained(file: string): void {
  const copy = new BetterSqlite3(file);
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

function flush(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // Folders cannot be flushed on every system (Windows); the rename is then as durable as it gets.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Keeps the newest BACKUPS_KEPT backups; removes older ones and copies abandoned mid-way. */
export function pruneBackups(dataDir: string): void {
  for (const old of listBackups(dataDir).slice(BACKUPS_KEPT)) rmSync(old.file, { force: true });
  let names: string[] = [];
  try {
    names = readdirSync(backupFolder(dataDir));
  } catch {}
  for (const name of names) {
    if (name.startsWith(PARTIAL_PREFIX)) rmSync(join(backupFolder(dataDir), name), { force: true });
  }
}

/**
 * Whether `file` is a sound Trickle database: SQLite's quick_check passes and it has Trickle's
 * schema. Returns what is wrong otherwise, in SQLite's words.
 */
export function checkDatabaseFile(file: string): { ok: true } | { ok: false; problem: string } {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    const problems = db.pragma('quick_check(3)', { simple: false }) as { quick_check: string }[];
    if (problems.length !== 1 || problems[0]!.quick_check !== 'ok') {
      return { ok: false, problem: checkFindings(problems.map((p) => p.quick_check)) };
    }
    const schema = db.prepare(`select count(*) as n from sqlite_master where type = 'table' and name = 'kysely_migration'`).get() as {
      n: number;
    };
    if (schema.n !== 1) return { ok: false, problem: 'it is not a Trickle database' };
    return { ok: true };
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  } finally {
    db?.close();
  }
}

/** The newest backup that passes checkDatabaseFile. */
export function latestGoodBackup(dataDir: string): Backup | undefined {
  return listBackups(dataDir).find((backup) => checkDatabaseFile(backup.file).ok);
}

export interface Restored {
  backup: Backup;
  /** Where the damaged (or empty) database was moved, if there was one. */
  keptAs?: string;
}

/**
 * Puts the newest good backup in place of the database at `databaseFile`: the file there (with
 * its -wal and -shm) is kept beside it as `<name>.damaged-<time>`, never deleted; the backup is
 * copied under a temporary name, flushed and renamed into place. The caller makes sure no
 * engine has the database open (it holds the owner lock). Returns undefined when no backup is good.
 */
export function restoreLatestBackup(dataDir: string, databaseFile: string, now: number): Restored | undefined {
  const backup = latestGoodBackup(dataDir);
  if (!backup) return undefined;
  const stamp = new Date(now).toISOString().slice(0, 19).replace(/[-:]/g, '');
  const keptAs = `${databaseFile}.damaged-${stamp}Z`;
  let moved = false;
  for (const suffix of ['', '-wal', '-shm']) {
    if (!existsSync(databaseFile + suffix)) continue;
    renameSync(databaseFile + suffix, keptAs + suffix);
    if (suffix === '') moved = true;
  }
  const incoming = `${databaseFile}.restoring`;
  copyFileSync(backup.file, incoming);
  chmodSync(incoming, 0o600);
  flush(incoming);
  renameSync(incoming, databaseFile);
  return { backup, ...(moved ? { keptAs } : {}) };
}

/** quick_check's lines, one sentence: without its "*** in database main ***" headers and line breaks. */
export function checkFindings(lines: string[]): string {
  return lines
    .map((line) =>
      line
        .replace(/\*\*\* in database \w+ \*\*\*/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter(Boolean)
    .join('; ');
}
