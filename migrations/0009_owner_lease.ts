import { type Kysely, sql } from 'kysely';

/**
 * Who owns the database: one row, kept by the engine that sends (src-main/engine/core/owner-lease.ts).
 * It lives in the database itself, so deleting the files beside the database (the lock file
 * `trickle.sqlite.owner`, as a user clearing a "stale lock" or a sync tool might) cannot make a
 * second engine believe that nobody is sending.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('owner_lease')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    // A random name for one engine's run: what the fence compares.
    .addColumn('session', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    // The identity (device:inode) of the lock file the holder has locked.
    .addColumn('lock_file', 'text', (c) => c.notNull())
    .addColumn('taken_at', 'integer', (c) => c.notNull())
    .addColumn('heartbeat_at', 'integer', (c) => c.notNull())
    // Set by a clean stop: the folder is free.
    .addColumn('released_at', 'integer')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('owner_lease').execute();
}
