import { sql } from 'kysely';
import type { Db } from './schema';

/**
 * Runs `work`'s reads as one snapshot: a deferred transaction, which in WAL mode takes no write
 * lock, so it is answered even while another program holds the database for writing (the
 * engine's own transactions begin IMMEDIATE, which would wait for that lock and then fail).
 * Everything `work` reads is as of one moment: the status line's numbers agree.
 */
export async function readTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`begin deferred`.execute(connection);
    try {
      const result = await work(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });
}
