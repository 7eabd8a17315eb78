import { type Kysely, SqliteAdapter, sql } from 'kysely';
import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator, NO_MIGRATIONS } from 'kysely/migration';
import { migrations } from '../../../migrations';

/**
 * A database whose tables are not typed. A migration runs against the schema of its own time,
 * not today's, so it cannot be typed with today's; Kysely's Migrator and dialects take this.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's own type for a database of unknown schema
export type UntypedDb = Kysely<any>;

/**
 * SQLite runs schema changes in transactions; Kysely's SqliteAdapter says it does not, and its
 * Migrator then runs a migration and its bookkeeping outside any transaction: a crash half-way
 * would leave a half-made schema that the next start cannot migrate. With this adapter each
 * migration and the row that records it commit together, or not at all.
 */
export class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Each migration ends by checking, inside its transaction, that no reference was broken. */
function checkedMigrations(all: Record<string, Migration>): MigrationProvider {
  const checked: Record<string, Migration> = {};
  for (const [name, migration] of Object.entries(all)) {
    const check = async (db: UntypedDb) => {
      const problems = await sql`pragma foreign_key_check`.execute(db);
      if (problems.rows.length > 0)
        throw new Error(`${name}: ${problems.rows.length} broken references after the migration; nothing was changed`);
    };
    checked[name] = {
      up: async (db) => {
        await migration.up(db);
        await check(db);
      },
      ...(migration.down
        ? {
            down: async (db: UntypedDb) => {
              await migration.down!(db);
              await check(db);
            },
          }
        : {}),
    };
  }
  return { getMigrations: async () => checked };
}

/**
 * Moves the schema to `target` (the latest by default; NO_MIGRATIONS rolls everything back),
 * one migration at a time, each in its own transaction, with foreign keys off around it: a
 * table rebuild (SQLite's way to change a CHECK, sqlite.org/lang_altertable.html §7) drops and
 * renames tables, which must not cascade or null the rows that point at them, and SQLite ignores
 * the pragma inside a transaction. References are checked before each commit. Returns the
 * names applied (or rolled back).
 */
export async function migrate(
  db: UntypedDb,
  target?: string | typeof NO_MIGRATIONS,
  /** The registered ones; tests give their own. */
  all: Record<string, Migration> = migrations,
): Promise<string[]> {
  if (!db.getExecutor().adapter.supportsTransactionalDdl) {
    throw new Error('Migrations run only on a database whose dialect runs schema changes in transactions (TrickleSqliteDialect).');
  }
  const migrator = new Migrator({ db, provider: checkedMigrations(all) });
  const done: string[] = [];
  for (;;) {
    const known = await migrator.getMigrations();
    const executed = known.filter((m) => m.executedAt !== undefined).length;
    const wanted = target === undefined ? known.length : target === NO_MIGRATIONS ? 0 : known.findIndex((m) => m.name === target) + 1;
    if (wanted === 0 && target !== undefined && target !== NO_MIGRATIONS) throw new Error(`There is no migration called ${target}.`);
    if (executed === wanted) return done;
    await sql`pragma foreign_keys = off`.execute(db);
    let outcome: MigrationResultSet;
    try {
      outcome = executed < wanted ? await migrator.migrateUp() : await migrator.migrateDown();
    } finally {
      await sql`pragma foreign_keys = on`.execute(db);
    }
    const { error, results } = outcome;
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new Error(`Database migration ${failed} failed: ${String((error as Error).message ?? error)}`, { cause: error });
    }
    done.push(...(results ?? []).map((r) => r.migrationName));
  }
}
