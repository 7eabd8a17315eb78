import { type Kysely, sql } from 'kysely';

/**
 * Attachments become files Trickle keeps, named by id (issue #11): the API names them by id,
 * never by a path, so nothing outside the store can be attached. `attachments` holds what the
 * user gave (the file's name and size as given; the bytes live in the data folder's
 * `attachments/store/<id>`), `campaign_attachments` which campaign sends which, in order.
 *
 * AUTOINCREMENT so an id — a file's name — is never handed out twice, even after a rollback or
 * a deletion. A stored file in use by a campaign cannot be deleted (no cascade from
 * attachments). The old `campaigns.attachments` column (paths as JSON) stays as it is: the
 * engine imports what it lists at start (campaigns/legacy-attachments.ts), since that needs the
 * files, which a migration does not see.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table attachments (
      id integer primary key autoincrement,
      filename text not null check (length(filename) between 1 and 255),
      size integer not null check (size >= 0),
      created_at integer not null
    )
  `.execute(db);
  await sql`
    create table campaign_attachments (
      campaign_id integer not null references campaigns (id) on delete cascade,
      position integer not null,
      attachment_id integer not null references attachments (id),
      primary key (campaign_id, position)
    ) without rowid
  `.execute(db);
  await sql`create index campaign_attachments_attachment on campaign_attachments (attachment_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table campaign_attachments`.execute(db);
  await sql`drop table attachments`.execute(db);
}
