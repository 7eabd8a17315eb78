import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../../migrations';
import { openDatabase } from './open-database';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('openDatabase', () => {
  it('creates a durable database: WAL, synchronous FULL, foreign keys on, every migration applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trickle-db-'));
    dirs.push(dir);
    const { db, sqlite, close } = await openDatabase(join(dir, 'trickle.sqlite'));
    expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(sqlite.pragma('synchronous', { simple: true })).toBe(2);
    expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    const applied = await db
      .selectFrom('kysely_migration' as never)
      .select('name' as never)
      .execute();
    expect(applied.map((r) => (r as { name: string }).name)).toEqual(Object.keys(migrations));
    await close();
  });

  it('reopens an existing database without re-applying migrations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trickle-db-'));
    dirs.push(dir);
    const file = join(dir, 'trickle.sqlite');
    const first = await openDatabase(file);
    await first.db.insertInto('settings').values({ key: 'k', value: '"v"' }).execute();
    await first.close();
    const second = await openDatabase(file);
    expect(await second.db.selectFrom('settings').selectAll().execute()).toEqual([{ key: 'k', value: '"v"' }]);
    await second.close();
  });

  it('begins write transactions immediately, so two connections never deadlock on an upgrade', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trickle-db-'));
    dirs.push(dir);
    const file = join(dir, 'trickle.sqlite');
    const a = await openDatabase(file);
    const b = await openDatabase(file);
    await a.db.transaction().execute(async (trx) => {
      await trx.selectFrom('settings').selectAll().execute();
      // The other connection cannot start a write transaction while this one holds the lock.
      b.sqlite.pragma('busy_timeout = 0');
      expect(() => b.sqlite.prepare('begin immediate').run()).toThrow(/locked|busy/i);
    });
    await a.close();
    await b.close();
  });
});
