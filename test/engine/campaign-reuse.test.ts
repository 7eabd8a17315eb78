/**
 * Campaigns used again, as a small sender does: a copy for those not reached (or all, or
 * none), deleting drafts, archiving finished campaigns, an export a spreadsheet opens and that
 * imports again as it is, finding any recipient to preview, suppressions in bulk, and merge
 * fields checked against the list's columns. Mail goes through the test Gmail on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseRecipientsCsv } from '../../src-main/engine/campaigns/csv-import';
import { GMAIL_REPLIES } from '../support/test-gmail';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, drain, recipientsCsv } from '../support/test-engine';

let setup: TestSetup;
afterEach(async () => {
  await setup?.close();
});

async function oneAccount() {
  setup = await createTestEngine({ accounts: [TEST_ACCOUNTS[0]!], settings: { batchSize: 3 } });
  return setup;
}

/**
 * A campaign that went every way: rows 2–4 are sent in the first batch (r1 arrives, r2 is too
 * big, r3 does not exist and so is suppressed as bounced); rows 5 and 6 were suppressed at
 * import, 7 is no address, 8 repeats row 2; rows 9 and 10 are cancelled before their turn.
 * Then row 5's address is taken off the suppression list.
 */
async function campaignThatWentEveryWay() {
  const { engine, gmail } = await oneAccount();
  await engine.suppressions.add({ email: 'was-suppressed@example.com' });
  await engine.suppressions.add({ email: 'still-suppressed@example.com' });
  gmail.fail({ stage: 'data', rcpt: 'r2@example.com', fault: { reply: GMAIL_REPLIES.messageTooBig } });
  gmail.fail({ stage: 'rcpt', rcpt: 'r3@example.com', fault: { reply: GMAIL_REPLIES.noSuchUser } });
  const csv = [
    'email;first_name;club',
    'r1@example.com;Ann;Chess',
    'r2@example.com;Ben;Chess',
    'r3@example.com;Cy;Go',
    'was-suppressed@example.com;Dee;Go',
    'still-suppressed@example.com;Eve;Go',
    'not-an-address;Fay;Go',
    'r1@example.com;Ann again;Chess',
    'r4@example.com;Gus;Bridge',
    'r5@example.com;Hal;Bridge',
  ].join('\n');
  const { campaign } = await engine.campaigns.create({
    name: 'Spring newsletter',
    subject: 'Hello {{first_name}}',
    html: '<p>Dear {{first_name}} of the {{club}} club</p>',
    csv,
  });
  await engine.campaigns.queue({ id: campaign.id });
  await engine.runBatchNow();
  await engine.campaigns.cancel({ id: campaign.id });
  await engine.suppressions.remove({ email: 'was-suppressed@example.com' });
  const { items } = await engine.campaigns.messages({ id: campaign.id });
  expect(items.map((m) => [m.row, m.status])).toEqual([
    [2, 'sent'],
    [3, 'failed'],
    [4, 'failed'],
    [5, 'skipped'],
    [6, 'skipped'],
    [7, 'skipped'],
    [8, 'skipped'],
    [9, 'cancelled'],
    [10, 'cancelled'],
  ]);
  return { engine, gmail, campaign, original: items };
}

describe('copying a campaign', () => {
  it('"only those not sent to" takes failed, cancelled and no-longer-suppressed rows — never bounced, suppressed now or sent', async () => {
    const { engine, gmail, campaign, original } = await campaignThatWentEveryWay();
    const { campaign: copy, report } = await engine.campaigns.copy({ id: campaign.id, recipients: 'unsent' });

    expect(copy).toMatchObject({
      name: 'Spring newsletter (copy)',
      status: 'draft',
      subject: 'Hello {{first_name}}',
      html: '<p>Dear {{first_name}} of the {{club}} club</p>',
      fields: ['first_name', 'club'],
      total: 4,
    });
    expect(report).toEqual({ imported: 4, duplicates: 0, invalid: [], suppressed: 2 });
    const { items } = await engine.campaigns.messages({ id: copy.id });
    // Rows keep their numbers, so they still match the user's file.
    expect(items.map((m) => [m.row, m.email, m.status])).toEqual([
      [3, 'r2@example.com', 'pending'],
      [5, 'was-suppressed@example.com', 'pending'],
      [9, 'r4@example.com', 'pending'],
      [10, 'r5@example.com', 'pending'],
    ]);
    // Merge fields came along: the preview of row 9 is Gus's.
    const preview = await engine.campaigns.preview({ id: copy.id, messageId: items[2]!.id });
    expect(preview.subject).toBe('Hello Gus');
    expect(preview.html).toContain('Dear Gus of the Bridge club');

    // Queued, the copy's messages get Message-IDs of their own and go out.
    gmail.clearFaults();
    await engine.campaigns.queue({ id: copy.id });
    await drain(engine);
    const sent = (await engine.campaigns.messages({ id: copy.id })).items;
    const originalIds = new Set(original.map((m) => m.messageId).filter(Boolean));
    for (const m of sent) {
      expect(m.messageId).toMatch(/^<.+@.+>$/);
      expect(originalIds.has(m.messageId)).toBe(false);
    }
    expect(sent.filter((m) => m.status === 'sent').map((m) => m.email)).toEqual(
      expect.arrayContaining(['was-suppressed@example.com', 'r4@example.com', 'r5@example.com']),
    );
    // The original is as it was.
    expect((await engine.campaigns.get({ id: campaign.id })).counts).toMatchObject({ sent: 1, failed: 2, cancelled: 2, skipped: 4 });
  });

  it('"all" takes every row as imported (invalid and repeated rows stay skipped, suppression is checked anew); "none" takes the message only', async () => {
    const { engine, campaign } = await campaignThatWentEveryWay();
    const all = await engine.campaigns.copy({ id: campaign.id, recipients: 'all', name: 'Again' });
    expect(all.campaign).toMatchObject({ name: 'Again', total: 9, counts: { pending: 5, skipped: 4 } });
    expect(all.report).toMatchObject({
      imported: 5,
      duplicates: 1,
      suppressed: 2,
      invalid: [{ row: 7, value: 'not-an-address', reason: expect.any(String) }],
    });
    const skipped = (await engine.campaigns.messages({ id: all.campaign.id, status: 'skipped' })).items;
    expect(skipped.map((m) => [m.row, m.skipReason])).toEqual([
      [4, 'On the suppression list (bounced).'],
      [6, 'On the suppression list (manual).'],
      [7, expect.stringMatching(/^Invalid address: /)],
      [8, 'Duplicate of row 2.'],
    ]);

    const none = await engine.campaigns.copy({ id: campaign.id, recipients: 'none' });
    expect(none.campaign).toMatchObject({
      status: 'draft',
      total: 0,
      fields: ['first_name', 'club'],
      html: expect.stringContaining('{{club}}'),
    });
    expect(none.report).toEqual({ imported: 0, duplicates: 0, invalid: [], suppressed: 0 });
  });
});

describe('deleting and archiving', () => {
  it('deletes a draft with its recipients and counters; refuses a campaign with a history', async () => {
    const { engine } = await oneAccount();
    const { campaign: draft } = await engine.campaigns.create({ name: 'Test draft', subject: 'Hi', text: 'Hi', csv: recipientsCsv(300) });
    const { campaign: sent } = await engine.campaigns.create({ name: 'Real', subject: 'Hi', text: 'Hi', csv: recipientsCsv(2) });
    await engine.campaigns.queue({ id: sent.id });

    expect(await engine.campaigns.delete({ id: draft.id })).toEqual({ deleted: true });
    expect((await engine.campaigns.list()).map((c) => c.id)).toEqual([sent.id]);
    await expect(engine.campaigns.get({ id: draft.id })).rejects.toMatchObject({ code: 'not_found' });
    const { sqlite } = engine.internals;
    expect(sqlite.prepare('select count(*) as n from messages where campaign_id = ?').get(draft.id)).toEqual({ n: 0 });
    expect(sqlite.prepare('select count(*) as n from campaign_message_counts where campaign_id = ?').get(draft.id)).toEqual({ n: 0 });

    await expect(engine.campaigns.delete({ id: sent.id })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/Archive it/),
    });
    expect((await engine.campaigns.get({ id: sent.id })).total).toBe(2);
  });

  it('archives a finished campaign: hidden from the list unless asked for, its history and the caps unchanged', async () => {
    const { engine } = await oneAccount();
    const { campaign } = await engine.campaigns.create({ name: 'Done', subject: 'Hi', text: 'Hi', csv: recipientsCsv(2) });
    await engine.campaigns.queue({ id: campaign.id });
    await expect(engine.campaigns.archive({ id: campaign.id })).rejects.toMatchObject({ code: 'conflict' });
    await drain(engine);
    const before = (await engine.accounts.list())[0]!;
    expect(before.sentLast24h).toBe(2);

    const archived = await engine.campaigns.archive({ id: campaign.id });
    expect(archived.archivedAt).toBeDefined();
    expect(await engine.campaigns.list()).toEqual([]);
    expect((await engine.campaigns.list({ includeArchived: true })).map((c) => [c.id, c.status])).toEqual([[campaign.id, 'completed']]);
    expect((await engine.campaigns.messages({ id: campaign.id })).total).toBe(2);
    expect((await engine.accounts.list())[0]).toMatchObject({ sentLast24h: 2, remaining: before.remaining });

    const back = await engine.campaigns.archive({ id: campaign.id, archived: false });
    expect(back.archivedAt).toBeUndefined();
    expect((await engine.campaigns.list()).map((c) => c.id)).toEqual([campaign.id]);

    const { campaign: draft } = await engine.campaigns.create({ name: 'Draft', subject: 'Hi', text: 'Hi', csv: recipientsCsv(1) });
    await expect(engine.campaigns.archive({ id: draft.id })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/delete it/),
    });
  });
});

describe('the results export', () => {
  it('opens cleanly in a spreadsheet: BOM, the import’s separator, every merge column, local time beside UTC', async () => {
    const { engine, campaign } = await campaignThatWentEveryWay();
    const exported = await engine.campaigns.export({ id: campaign.id, timeZone: 'Europe/Berlin' });
    expect(exported.csv.startsWith('\uFEFF')).toBe(true);
    expect(exported.delimiter).toBe(';');
    const lines = exported.csv.slice(1).split('\r\n');
    expect(lines[0]).toBe(
      'row;email;first_name;club;status;attempts;sent_at_utc;sent_at_local (Europe/Berlin);account;message_id;error_code;server_reply;explanation;skip_reason;' +
        // What came back in the mailbox (PRODUCT.md §5b).
        'bounce_status;bounce_reply;bounce_explanation;bounced_at_utc;replied_at_utc;auto_replied_at_utc;unsubscribed_at_utc',
    );
    const sent = lines.find((l) => l.startsWith('2;r1@example.com;Ann;Chess;sent;1;'))!;
    const [utc, local] = sent.split(';').slice(6, 8);
    expect(utc).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    // Berlin is an hour or two ahead of UTC.
    const hours = (Date.parse(`${local!.replace(' ', 'T')}Z`) - Date.parse(`${utc!.replace(' ', 'T')}Z`)) / 3_600_000;
    expect([1, 2]).toContain(hours);

    // The user's choice of separator wins; the text stays formula-safe.
    const tabs = await engine.campaigns.export({ id: campaign.id, delimiter: '\t' });
    expect(tabs.csv.slice(1).split('\r\n')[0]).toMatch(/^row\temail\tfirst_name\tclub\tstatus\t/);
    await expect(engine.campaigns.export({ id: campaign.id, timeZone: 'Mars/Olympus' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^timeZone: .*Europe\/Berlin/),
    });
  });

  it('"failed only" re-imports with the same columns and rows', async () => {
    const { engine, campaign } = await campaignThatWentEveryWay();
    const exported = await engine.campaigns.export({ id: campaign.id, status: 'failed' });
    expect(exported.filename).toBe('Spring newsletter failed.csv');
    const again = parseRecipientsCsv(exported.csv);
    expect(again.delimiter).toBe(';');
    // The list's columns come back as they were (the outcome columns follow them).
    expect(again.columns.slice(0, 3)).toEqual(['row', 'first_name', 'club']);
    expect(again.recipients.map((r) => [r.email, r.fields.first_name, r.fields.club, r.fields.status])).toEqual([
      ['r2@example.com', 'Ben', 'Chess', 'failed'],
      ['r3@example.com', 'Cy', 'Go', 'failed'],
    ]);
    expect(again.invalid).toEqual([]);

    // Imported into a new campaign, the same merge fields fill in.
    const { campaign: retry } = await engine.campaigns.create({
      name: 'Retry',
      subject: 'Hello {{first_name}}',
      text: '{{club}}',
      csv: exported.csv,
    });
    expect(retry.fields.slice(0, 3)).toEqual(['row', 'first_name', 'club']);
    const preview = await engine.campaigns.preview({ id: retry.id });
    expect(preview.subject).toBe('Hello Ben');
  });

  it('a result column named like a list column is told apart', async () => {
    const { engine } = await oneAccount();
    const { campaign } = await engine.campaigns.create({
      name: 'c',
      subject: 'Hi',
      text: 'Hi',
      csv: 'email,status,row\na@example.com,member,7',
    });
    const exported = await engine.campaigns.export({ id: campaign.id });
    expect(exported.csv.slice(1).split('\r\n')[0]).toMatch(/^trickle_row,email,status,row,trickle_status,/);
    const again = parseRecipientsCsv(exported.csv);
    expect(again.recipients[0]!.fields).toMatchObject({ status: 'member', row: '7', trickle_status: 'pending' });
  });
});

describe('finding a recipient', () => {
  it('by row or by address, so row 299 of 299 can be previewed', async () => {
    const { engine } = await oneAccount();
    const { campaign } = await engine.campaigns.create({ name: 'Club', subject: 'Hi {{first_name}}', text: 'Hi', csv: recipientsCsv(299) });
    const byRow = await engine.campaigns.messages({ id: campaign.id, row: 300 });
    expect(byRow.total).toBe(1);
    expect(byRow.items[0]).toMatchObject({ row: 300, email: 'r299@example.com' });
    const preview = await engine.campaigns.preview({ id: campaign.id, messageId: byRow.items[0]!.id });
    expect(preview.subject).toBe('Hi Reader299');

    const search = await engine.campaigns.messages({ id: campaign.id, search: 'R29' });
    expect(search.total).toBe(11); // r29, r290 … r299
    expect(search.items.map((m) => m.email)).toContain('r299@example.com');
    // LIKE's wildcards are searched for, not used.
    expect((await engine.campaigns.messages({ id: campaign.id, search: '%' })).total).toBe(0);
    expect((await engine.campaigns.messages({ id: campaign.id, search: 'r_9@' })).total).toBe(0);
  });
});

describe('suppressions in bulk', () => {
  it('adds a pasted list with an import’s report', async () => {
    const { engine } = await oneAccount();
    await engine.suppressions.add({ email: 'old@example.com' });
    const report = await engine.suppressions.addMany({
      emails: ['a@example.com', 'B@Example.com', 'old@example.com', 'not an address', 'a@example.com', 'c@example.com'],
    });
    expect(report).toEqual({
      added: 3,
      alreadySuppressed: 1,
      duplicates: 1,
      invalid: [{ row: 4, value: 'not an address', reason: expect.any(String) }],
    });
    expect((await engine.suppressions.list()).total).toBe(4);
  });

  it('adds from a CSV (its email column) or a file of one address per line', async () => {
    const { engine } = await oneAccount();
    const withHeader = await engine.suppressions.addMany({ csv: 'Name;E-mail\nAnn;ann@example.com\nBad;bad@\nBen;ben@example.com\n' });
    expect(withHeader).toMatchObject({ added: 2, alreadySuppressed: 0, invalid: [{ row: 3, value: 'bad@' }] });
    const plain = await engine.suppressions.addMany({ csv: 'cy@example.com\r\nann@example.com\r\n\r\nnope\r\n' });
    expect(plain).toMatchObject({ added: 1, alreadySuppressed: 1, invalid: [{ row: 4, value: 'nope' }] });
    // Queueing a campaign skips them, as for any suppressed address.
    const { campaign } = await engine.campaigns.create({
      name: 'c',
      subject: 'Hi',
      text: 'Hi',
      csv: 'email\nann@example.com\ndee@example.com',
    });
    expect(await engine.campaigns.queue({ id: campaign.id })).toMatchObject({ queued: 1 });
    await expect(engine.suppressions.addMany({ emails: ['a@example.com'], csv: 'x' })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('a search finds what was typed: _, % and \\ are letters, not wildcards', async () => {
    const { engine } = await oneAccount();
    await engine.suppressions.addMany({ emails: ['a_b@example.com', 'axb@example.com', '100%@example.com', '1000@example.com'] });
    await engine.suppressions.add({ email: 'back\\slash@example.com' });
    await engine.suppressions.add({ email: 'backxslash@example.com' });
    const found = async (search: string) => (await engine.suppressions.list({ search })).items.map((s) => s.email).sort();
    expect(await found('a_b')).toEqual(['a_b@example.com']);
    expect(await found('0%')).toEqual(['100%@example.com']);
    expect(await found('k\\s')).toEqual(['back\\slash@example.com']);
    expect((await engine.suppressions.list({ search: '%' })).total).toBe(1);
    expect((await engine.suppressions.list({ search: 'A_B' })).total).toBe(1);
  });
});

describe('merge fields checked against the list’s columns', () => {
  it('a typo stops the queue with a suggestion, even with a default', async () => {
    const { engine } = await oneAccount();
    const { campaign } = await engine.campaigns.create({
      name: 'c',
      subject: 'Hi {{frist_name|there}}',
      text: 'From {{clbu}}',
      csv: recipientsCsv(3),
    });
    await expect(engine.campaigns.queue({ id: campaign.id })).rejects.toMatchObject({
      code: 'merge_unknown_field',
      message: expect.stringContaining('There is no column frist_name — did you mean first_name?'),
      details: { field: 'frist_name', suggestion: 'first_name' },
    });
    await expect(engine.campaigns.queue({ id: campaign.id })).rejects.toMatchObject({
      message: expect.stringContaining('There is no column clbu in the list'),
    });
    expect((await engine.campaigns.get({ id: campaign.id })).counts.queued).toBe(0);
    await engine.campaigns.update({ id: campaign.id, subject: 'Hi {{first_name|there}}', text: 'From {{email}}' });
    expect(await engine.campaigns.queue({ id: campaign.id })).toMatchObject({ queued: 3 });

    // The address and the name are always there to use (a list without names greets with the default).
    const { campaign: plain } = await engine.campaigns.create({
      name: 'p',
      subject: 'Hi {{name|there}}',
      text: '{{email}}',
      recipients: [{ email: 'a@example.com' }],
    });
    expect(await engine.campaigns.queue({ id: plain.id })).toMatchObject({ queued: 1 });
  });
});

describe('HTML from anywhere is cleaned', () => {
  it('a body given through the API is stored, previewed and sent without its script, handlers or http images', async () => {
    const { engine, gmail } = await oneAccount();
    const { campaign } = await engine.campaigns.create({
      name: 'c',
      subject: 'Hi',
      html: '<p onclick="x()">Hello <b>{{first_name}}</b></p><script>steal()</script><a href="javascript:steal()">link</a><img src="http://t.example/p.gif">',
      csv: recipientsCsv(1),
    });
    expect(campaign.html).toBe('<p>Hello <b>{{first_name}}</b></p><a>link</a>');
    const preview = await engine.campaigns.preview({ id: campaign.id });
    expect(preview.html).toMatch(/^<p>Hello <b>Reader1<\/b><\/p><a>link<\/a>/);
    await engine.campaigns.queue({ id: campaign.id });
    await drain(engine);
    const raw = gmail.accepted[0]!.raw;
    expect(raw).not.toMatch(/steal|onclick|t\.example/);
  });
});
