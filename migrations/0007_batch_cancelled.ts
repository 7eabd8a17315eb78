import type { Kysely } from 'kysely';

/**
 * A batch's messages whose campaign was cancelled while the batch ran are counted too: the
 * batch history showed "claimed 20" with only the sent ones accounted for.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('batches')
    .addColumn('cancelled', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('batches').dropColumn('cancelled').execute();
}
