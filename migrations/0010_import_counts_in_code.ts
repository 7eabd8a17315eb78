import { type Kysely, sql } from 'kysely';

/**
 * New messages are counted by the import's own code, in the same transaction as the rows
 * (db/message-counts.ts, addToCounts): one update per transaction of thousands of rows instead
 * of one per row, which was an eighth of an import's time (issue 17). The import is the one
 * code path that stores messages. Status changes and deletes keep their triggers: few rows per
 * transaction on the send path, and many code paths that no one may forget.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop trigger messages_count_insert`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create trigger messages_count_insert after insert on messages begin
      insert into campaign_message_counts (campaign_id, status, n) values (new.campaign_id, new.status, 1)
        on conflict (campaign_id, status) do update set n = n + 1;
    end
  `.execute(db);
}
