import { chmodSync, lstatSync, mkdirSync, readdirSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineLogger } from './log';
import { EngineError } from './errors';

/**
 * The data folder holds the database (every message, every account), the key that opens the
 * stored app passwords, and the headless token: only its owner may read it. Where the system
 * has POSIX modes, Trickle keeps the folder at 0700 and every file in it at 0600.
 *
 * ssh's rule: a file or folder that is readable or writable by others, but ours, is made
 * private and a warning says so; one that belongs to another user is refused (we could not fix
 * it, and whoever owns it can read or replace it). Symbolic links inside the folder are left
 * alone (never followed to change something elsewhere), except the key file and Trickle's own
 * folders (backups, attachments), whose targets are what matters. Windows has no such modes (its folders are private per user): nothing is done.
 */

/** The system facts the rules depend on; tests may pass others. */
export interface FileSystemOwner {
  platform: NodeJS.Platform;
  /** This process's user id; undefined where there is none (Windows). */
  uid: number | undefined;
}

export const thisProcess: FileSystemOwner = { platform: process.platform, uid: process.getuid?.() };

/** Folders of Trickle's own inside the data folder, checked through (stored attachments, backups, rehearsal logs). */
const OWN_FOLDERS = new Set(['attachments', 'backups', 'rehearsals']);
/** Files that are Trickle's own: one that belongs to another user is refused, not skipped. */
const OWN_FILE = /^(trickle\.sqlite.*|secret\.key|headless-token|dry-run\.log|desktop-settings\.json)$/;

/**
 * Creates the folder (0700) if needed; otherwise makes it and what is in it private, as the rules
 * above say. Throws `unsafe_data_folder` when the folder or one of Trickle's files is not ours.
 */
export function secureDataFolder(dataDir: string, log: EngineLogger, owner: FileSystemOwner = thisProcess): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (!hasModes(owner)) return;
  const folder = statSync(dataDir);
  if (folder.uid !== owner.uid) throw notOurs(dataDir, folder, 'folder');
  const unfixed: string[] = [];
  if (folder.mode & 0o077) {
    if (tryChmod(dataDir, 0o700, unfixed, `${dataDir}/`)) {
      log.warn(
        `The data folder ${dataDir} was open to other users (mode ${octal(folder.mode)}): they could read the database and the key to the stored app passwords. Trickle made it private (700).`,
      );
    }
  }
  const fixed: string[] = [];
  secureEntries(dataDir, '', owner, log, fixed, unfixed);
  if (fixed.length > 0) {
    log.warn(
      `These files in the data folder were readable by other users; Trickle made them private (600 for files, 700 for folders): ${fixed.join(', ')}.`,
    );
  }
  if (unfixed.length > 0) {
    // A file system without POSIX modes (a FAT drive, some network shares) cannot keep them.
    log.warn(
      `Trickle could not make these private (its file system may not keep file modes), so other users may read them: ${unfixed.join(', ')}.`,
    );
  }
}

/** chmod, noting the path instead of failing when the file system will not (EPERM on FAT…). */
function tryChmod(path: string, mode: number, unfixed: string[], shown: string): boolean {
  try {
    chmodSync(path, mode);
    return true;
  } catch (error) {
    unfixed.push(`${shown} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return false;
  }
}

function secureEntries(dir: string, prefix: string, owner: FileSystemOwner, log: EngineLogger, fixed: string[], unfixed: string[]): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const shown = prefix + name;
    let stat: Stats;
    try {
      stat = lstatSync(path);
    } catch {
      continue; // removed meanwhile
    }
    if (name === 'secret.key' && prefix === '') {
      securePrivateFile(path, 'key', log, owner);
      continue;
    }
    if (stat.isSymbolicLink()) {
      // Trickle's own folders are written through a link (backups kept on another disk): what
      // protects what it writes there is the target, as for the key file. Other links: left alone.
      if (!(prefix === '' && OWN_FOLDERS.has(name))) continue;
      try {
        stat = statSync(path);
      } catch {
        continue; // a dangling link: the folder is made where it points when needed
      }
    }
    const own = prefix !== '' || OWN_FILE.test(name) || OWN_FOLDERS.has(name);
    if (stat.uid !== owner.uid) {
      if (own) throw notOurs(path, stat, stat.isDirectory() ? 'folder' : 'file');
      continue; // not Trickle's (the desktop's user-data folder holds Electron's files too)
    }
    if (stat.isDirectory()) {
      if (stat.mode & 0o077 && tryChmod(path, 0o700, unfixed, `${shown}/`)) fixed.push(`${shown}/ (was ${octal(stat.mode)})`);
      if (own) secureEntries(path, `${shown}/`, owner, log, fixed, unfixed);
    } else if (stat.isFile() && stat.mode & 0o077 && tryChmod(path, 0o600, unfixed, shown)) {
      fixed.push(`${shown} (was ${octal(stat.mode)})`);
    }
  }
}

/**
 * The key file (or another file only its owner may read): made 0600 with a warning if others
 * could read or write it, refused if it belongs to another user. Follows a symbolic link: what
 * protects the key is its target. Nothing happens to a file that does not exist.
 */
export function securePrivateFile(file: string, what: 'key' | 'file', log: EngineLogger, owner: FileSystemOwner = thisProcess): void {
  if (!hasModes(owner)) return;
  let stat: Stats;
  try {
    stat = statSync(file);
  } catch {
    return;
  }
  if (stat.uid !== owner.uid) throw notOurs(file, stat, what);
  if (!(stat.mode & 0o077)) return;
  try {
    chmodSync(file, 0o600);
  } catch (error) {
    throw new EngineError(
      'unsafe_data_folder',
      `${describe(file, what)} can be read or changed by other users (mode ${octal(stat.mode)}), and Trickle could not make it private (${(error as NodeJS.ErrnoException).code ?? 'error'}). Nothing was changed. Make it readable by you only (chmod 600 "${file}"), then start Trickle again.`,
    );
  }
  log.warn(
    what === 'key'
      ? `The key file ${file} was readable or writable by other users (mode ${octal(stat.mode)}): whoever read it could open the stored app passwords. Trickle made it private (600). If other people use this computer, consider creating new app passwords.`
      : `${describe(file, what)} was readable or writable by other users (mode ${octal(stat.mode)}); Trickle made it private (600).`,
  );
}

function hasModes(owner: FileSystemOwner): owner is FileSystemOwner & { uid: number } {
  return owner.platform !== 'win32' && owner.uid !== undefined;
}

function notOurs(path: string, stat: Stats, what: 'key' | 'file' | 'folder'): EngineError {
  const fix =
    what === 'folder'
      ? 'Use a data folder of your own (headless: --data-dir), or make this one yours'
      : what === 'key'
        ? 'If it is the right key, make it yours'
        : 'Make it yours';
  return new EngineError(
    'unsafe_data_folder',
    `Trickle will not use ${describe(path, what)}: it belongs to another user (uid ${stat.uid}), who could read it or replace it. Nothing was changed. ${fix} (chown), readable by you only, then start Trickle again.`,
    { path, uid: stat.uid },
  );
}

function describe(path: string, what: 'key' | 'file' | 'folder'): string {
  if (what === 'key') return `the key file ${path}`;
  if (what === 'folder') return `the folder ${path}`;
  return `the file ${path}`;
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8);
}
