import { type Kysely, sql } from 'kysely';

/**
 * Two facts about each account that the window and the forecast need (issue #13).
 *
 * `verified_at`: when a login last succeeded (a check, or a message the server accepted). An
 * account saved without a check shows "Not checked" until then, instead of a green "Ready".
 * Accounts from before this version get the time of their last accepted send, the one proof
 * of a good login the database holds; the others stay unchecked until their next login.
 *
 * `pace_ms`: the measured time one message takes on this account (a moving average of its
 * recent sends), from which the finish time is forecast. Unknown until the account has sent.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('verified_at', 'integer').execute();
  await db.schema.alterTable('accounts').addColumn('pace_ms', 'real').execute();
  await sql`
    update accounts set verified_at = (
      select max(m.sent_at) from messages m where m.account_id = accounts.id and m.status = 'sent'
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('pace_ms').execute();
  await db.schema.alterTable('accounts').dropColumn('verified_at').execute();
}
