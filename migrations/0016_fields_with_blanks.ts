import type { Kysely } from 'kysely';

/**
 * `campaigns.fields_with_blanks`: the import's merge fields that are blank for at least one
 * recipient (JSON array), noted while the rows go by (issue 17). Queueing checks a field
 * used without a default against every recipient only when it may be blank for one; before,
 * that check read every message of the campaign. NULL (campaigns imported before): unknown,
 * every field is checked against the messages.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('campaigns').addColumn('fields_with_blanks', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('campaigns').dropColumn('fields_with_blanks').execute();
}
