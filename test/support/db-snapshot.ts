import type Database from 'better-sqlite3';

/**
 * Every row of every table of a SQLite file (sqlite_sequence included), in a stable order:
 * two equal snapshots mean a refused call changed nothing at all.
 */
export function snapshotTables(reader: Database.Database): Record<string, string[]> {
  const tables = reader.prepare(`select name from sqlite_master where type = 'table' order by name`).all() as { name: string }[];
  const out: Record<string, string[]> = {};
  for (const { name } of tables) {
    out[name] = (reader.prepare(`select * from "${name}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort();
  }
  return out;
}
