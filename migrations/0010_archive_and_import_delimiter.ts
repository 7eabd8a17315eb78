import { type Kysely, sql } from 'kysely';

/**
 * Two things a campaign keeps for its reuse.
 *
 * `archived_at`: a finished campaign the user put away. It is hidden from the list, and
 * everything else stays: its messages (the history) and the send log (the caps count by
 * address and time, not by campaign).
 *
 * `csv_delimiter`: the separator of the file its recipients came from, so its results export
 * splits the way that spreadsheet does (`;` in much of Europe). Null for lists given by API.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('campaigns').addColumn('archived_at', 'integer').execute();
  await db.schema
    .alterTable('campaigns')
    .addColumn('csv_delimiter', 'text', (c) => c.check(sql`csv_delimiter in (',', ';', char(9))`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('campaigns').dropColumn('csv_delimiter').execute();
  await db.schema.alterTable('campaigns').dropColumn('archived_at').execute();
}
