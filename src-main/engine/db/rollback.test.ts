import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './open-database';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function opened() {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-db-'));
  dirs.push(dir);
  return openDatabase(join(dir, 'trickle.sqlite'));
}

describe('a failed transaction', () => {
  // After a full disk or an I/O error SQLite may have rolled the whole transaction back itself
  // (disk-full.test.ts shows it on a real full disk). The caller must get that error, not
  // "cannot rollback - no transaction is active" from a second rollback.
  it('that SQLite already rolled back reports its own error', async () => {
    const { db, sqlite, close } = await opened();
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('settings').values({ key: 'k', value: '1' }).execute();
        await sql`rollback`.execute(trx); // what SQLite does by itself on such an error
        throw full;
      }),
    ).rejects.toBe(full);
    expect(sqlite.inTransaction).toBe(false);
    expect(await db.selectFrom('settings').selectAll().execute()).toEqual([]);
    await close();
  });

  it('still open is rolled back, and the connection is usable after it', async () => {
    const { db, sqlite, close } = await opened();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('settings').values({ key: 'k', value: '1' }).execute();
        throw new Error('a bug');
      }),
    ).rejects.toThrow('a bug');
    expect(sqlite.inTransaction).toBe(false);
    expect(await db.selectFrom('settings').selectAll().execute()).toEqual([]);
    await db.insertInto('settings').values({ key: 'k', value: '2' }).execute();
    expect(await db.selectFrom('settings').selectAll().execute()).toEqual([{ key: 'k', value: '2' }]);
    await close();
  });
});
