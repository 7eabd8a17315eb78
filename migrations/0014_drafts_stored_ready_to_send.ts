import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';

/**
 * A draft's recipients are stored ready to send (issue 17): `queued`, each with its
 * Message-ID, so that queueing a draft changes the campaign and no message (before, it
 * rewrote every row: half the time of importing and queueing a big list). The engine shows
 * them as `pending` while their campaign is a draft. Drafts stored by earlier versions get
 * the same form here (a Message-ID carries the message's row id: core/message-ids.ts).
 * Nothing else stores `pending` any more.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const domain = `${randomBytes(4).toString('hex')}.trickle.invalid`;
  await sql`
    update messages
    set status = 'queued',
        message_id = coalesce(message_id, '<' || lower(hex(randomblob(12))) || '.' || id || ${`@${domain}>`})
    where status = 'pending'
      and campaign_id in (select id from campaigns where status = 'draft')
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    update messages set status = 'pending', message_id = null
    where status = 'queued' and campaign_id in (select id from campaigns where status = 'draft')
  `.execute(db);
}
