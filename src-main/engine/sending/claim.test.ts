import { afterEach, describe, expect, it } from 'vitest';
import { capacityQuery } from '../accounts/capacity';
import { type OpenedDatabase, openDatabase } from '../db/open-database';
import { dueCampaignsQuery, dueMessagesQuery } from './claim';

let opened: OpenedDatabase | undefined;
afterEach(async () => opened?.close());

function plan(db: OpenedDatabase, query: { compile(): { sql: string; parameters: readonly unknown[] } }): string {
  const { sql, parameters } = query.compile();
  const rows = db.sqlite.prepare(`explain query plan ${sql}`).all(...(parameters as unknown[])) as { detail: string }[];
  return rows.map((r) => r.detail).join('\n');
}

/**
 * The batch claim and the per-account 24-hour count run on every tick against tables that
 * grow to millions of rows: they must be index searches, never scans or temp sorts.
 */
describe('query plans', () => {
  it('the due-message claim searches messages_campaign_status in import order, without sorting', async () => {
    opened = await openDatabase(':memory:');
    const detail = plan(opened, dueMessagesQuery(opened.db, 1, 10));
    expect(detail).toMatch(/SEARCH messages USING (COVERING )?INDEX messages_campaign_status \(campaign_id=\? AND status=\?\)/);
    expect(detail).not.toMatch(/TEMP B-TREE|SCAN messages/);
  });

  it('the per-account 24-hour count searches send_log_account_time', async () => {
    opened = await openDatabase(':memory:');
    const detail = plan(opened, capacityQuery(opened.db, 'a@gmail.com', Date.now()));
    expect(detail).toMatch(/SEARCH send_log USING COVERING INDEX send_log_account_time \(account_email=\? AND sent_at>\?\)/);
  });

  it('the due-campaign lookup reads only the small campaigns table', async () => {
    opened = await openDatabase(':memory:');
    const detail = plan(opened, dueCampaignsQuery(opened.db, Date.now()));
    expect(detail).not.toMatch(/messages/);
    expect(detail).not.toMatch(/TEMP B-TREE/);
  });
});
