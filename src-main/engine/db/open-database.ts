import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  Kysely,
  type QueryCompiler,
  type SqliteDatabase,
  type SqliteDialectConfig,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { migrate, TransactionalSqliteAdapter, type UntypedDb } from './migrate';
import type { Database, Db } from './schema';
import { checkIntegrity } from './start-checks';
import { WalSync } from './wal-sync';

/**
 * Write transactions take the write lock when they begin (BEGIN IMMEDIATE). A deferred
 * transaction that reads and then writes can fail at once with SQLITE_BUSY when another
 * process wrote in between, and busy_timeout cannot help it; an immediate one waits its turn.
 *
 * A failed transaction is rolled back only if it is still open: after some errors (a full
 * disk, an I/O error) SQLite has already rolled the whole transaction back itself, and a
 * second rollback would fail with "cannot rollback - no transaction is active", which Kysely
 * would throw instead of the error that says what happened.
 */
class ImmediateTransactionDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly inTransaction: () => boolean,
  ) {
    super(config);
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.inTransaction()) return;
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
}

/** Kysely's SQLite dialect, with the driver above. */
export class TrickleSqliteDialect implements Dialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    /** Whether the connection has a transaction open (better-sqlite3's `inTransaction`). */
    private readonly inTransaction: () => boolean,
  ) {}
  createDriver(): Driver {
    return new ImmediateTransactionDriver(this.config, this.inTransaction);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter();
  }
  createIntrospector(db: UntypedDb): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

export interface OpenedDatabase {
  db: Db;
  sqlite: BetterSqlite3.Database;
  /** Flushes the WAL in the background after unsynced commits (the send path's). */
  walSync: WalSync;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Runs SQLite's quick_check before anything is written (start-up): a damaged file throws. */
  verify?: boolean;
  /** How long to wait for another program's lock, ms (default 5000). */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the database at `file` (':memory:' for tests), sets the
 * durability pragmas and applies pending migrations, each in its own transaction. A new file is
 * created readable by its owner only; SQLite gives its -wal and -shm the same mode.
 */
export async function openDatabase(file: string, options: OpenOptions = {}): Promise<OpenedDatabase> {
  const onDisk = file !== ':memory:' && file !== '';
  if (onDisk) createPrivately(file);
  const sqlite = new BetterSqlite3(file, { timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
  try {
    // A symlink to a file SQLite had to create (not pre-created above): private before its -wal
    // exists. (A file system without modes refuses: core/data-folder.ts has warned of it.)
    if (onDisk && statSync(file).mode & 0o077) {
      try {
        chmodSync(file, 0o600);
      } catch {}
    }
    // Before any write: migrating (or recovering into) a damaged file could spread the damage.
    if (options.verify && onDisk) checkIntegrity(sqlite);
    applyPragmas(sqlite, options.busyTimeoutMs);
  } catch (error) {
    sqlite.close();
    throw error;
  }
  const db = new Kysely<Database>({
    dialect: new TrickleSqliteDialect({ database: withStatementCache(sqlite) }, () => sqlite.inTransaction),
  });
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const walSync = WalSync.forDatabase(file);
  return {
    db,
    sqlite,
    walSync,
    close: async () => {
      await db.destroy();
      await walSync.close();
    },
  };
}

/**
 * Creates a missing database file with mode 0600. Never opens an existing one: closing a
 * descriptor of the file would drop the POSIX locks another connection of this process holds.
 */
function createPrivately(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch {
    // It exists already (or SQLite will say what is wrong).
  }
}

/** Compiled statements kept for reuse; the engine runs a few dozen distinct queries. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query it runs, and better-sqlite3 compiles SQL on each prepare: on
 * the send path that compile cost as much as running the statements. The engine's queries
 * repeat with new parameters, so their compiled statements are reused, least recently used
 * dropped first. Safe on this one connection: Kysely runs one query at a time on it, and a
 * statement is run to completion (`all`/`run`) before the next prepare.
 */
export function withStatementCache(sqlite: BetterSqlite3.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(source: string) {
      let statement = cache.get(source);
      if (statement) {
        cache.delete(source);
      } else {
        statement = sqlite.prepare(source);
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
      }
      cache.set(source, statement);
      return statement;
    },
  };
}

/** Another process (a second engine, a backup tool) may hold the write lock briefly. */
const BUSY_TIMEOUT_MS = 5000;

export function applyPragmas(sqlite: BetterSqlite3.Database, busyTimeoutMs = BUSY_TIMEOUT_MS): void {
  sqlite.pragma('journal_mode = WAL');
  // FULL: a commit survives a power cut, which the outbox's promises rest on.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
}
