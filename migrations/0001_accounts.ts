import { type Kysely, sql } from 'kysely';

/** Gmail accounts that send. The password is stored only as the secret store's ciphertext. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_norm', 'text', (c) => c.notNull().unique())
    .addColumn('from_name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('password_secret', 'text', (c) => c.notNull())
    .addColumn('daily_cap', 'integer', (c) => c.notNull().defaultTo(100).check(sql`daily_cap between 1 and 2000`))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1).check(sql`enabled in (0, 1)`))
    .addColumn('host', 'text', (c) => c.notNull().defaultTo('smtp.gmail.com'))
    .addColumn('port', 'integer', (c) => c.notNull().defaultTo(465).check(sql`port between 1 and 65535`))
    .addColumn('security', 'text', (c) => c.notNull().defaultTo('tls').check(sql`security in ('tls', 'starttls', 'none')`))
    // 'disabled' is not stored here: it is `enabled = 0`, so re-enabling restores the server-given state.
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('ok').check(sql`state in ('ok', 'cooling', 'limit_reached', 'auth_failed')`))
    .addColumn('state_until', 'integer')
    .addColumn('state_detail', 'text')
    // Round-robin among accounts with equal remaining capacity: least recently picked first.
    .addColumn('last_picked_at', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('accounts').execute();
}
