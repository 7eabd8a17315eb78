/**
 * Ways a database file gets damaged, done to a closed database as a disk, a crash of the file
 * system, or a careless tool would. Never call these while an engine of this process has the
 * file open: closing a descriptor of it would drop that connection's POSIX locks.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

/** Random bytes over the first page of an index (or table) b-tree: what bit rot or a stray write leaves. */
export function overwritePageOf(databaseFile: string, name: string): number {
  const db = new Database(databaseFile, { readonly: true });
  let page: number;
  let pageSize: number;
  try {
    const row = db.prepare('select rootpage from sqlite_master where name = ?').get(name) as { rootpage: number } | undefined;
    if (!row) throw new Error(`no b-tree named ${name}`);
    page = row.rootpage;
    pageSize = Number(db.pragma('page_size', { simple: true }));
  } finally {
    db.close();
  }
  const fd = openSync(databaseFile, 'r+');
  try {
    writeSync(fd, randomBytes(pageSize), 0, pageSize, (page - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
  return page;
}

/** Cut to a fraction of its size (a copy or sync that stopped half-way). */
export function truncateTo(databaseFile: string, fraction: number): void {
  truncateSync(databaseFile, Math.floor(statSync(databaseFile).size * fraction));
}
