/**
 * Drafts that save themselves (issue #13): a draft exists from the user's first change, before
 * it has a subject or recipients, and recipients are imported into it later — replacing its
 * list or adding to it — with the same report as campaigns.create. A failed import changes
 * nothing; queueing a draft without recipients says there is nobody to send to.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, drain, recipientsCsv } from '../support/test-engine';

let setup: TestSetup;
afterEach(async () => {
  await setup?.close();
});

/**
 * The stored counts, checked against the rows. A draft's recipients are stored `queued`, ready
 * to send (issue 17: queueing then changes no message); the API shows them as `pending`.
 */
function counterTotals(file: string, campaignId: number): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const counted = db.prepare('select status, n from campaign_message_counts where campaign_id = ? and n > 0').all(campaignId) as {
      status: string;
      n: number;
    }[];
    const real = db.prepare('select status, count(*) as n from messages where campaign_id = ? group by status').all(campaignId) as {
      status: string;
      n: number;
    }[];
    expect(Object.fromEntries(counted.map((r) => [r.status, r.n]))).toEqual(Object.fromEntries(real.map((r) => [r.status, r.n])));
    return Object.fromEntries(real.map((r) => [r.status, r.n]));
  } finally {
    db.close();
  }
}

function hiddenCampaigns(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('select count(*) as n from campaigns where importing = 1').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('a draft saved as the user writes', () => {
  it('exists from the first change, with nothing required yet, and cannot be queued until it is complete', async () => {
    setup = await createTestEngine({ accounts: [TEST_ACCOUNTS[0]!] });
    const { engine } = setup;
    const draft = await engine.campaigns.createDraft({ html: '<p>Dear {{first_name|friend}}' });
    expect(draft).toMatchObject({
      name: 'Untitled campaign',
      subject: '',
      status: 'draft',
      total: 0,
      html: '<p>Dear {{first_name|friend}}',
    });
    expect((await engine.campaigns.list()).map((c) => c.id)).toContain(draft.id);

    await expect(engine.campaigns.queue({ id: draft.id })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/no subject/),
    });
    await engine.campaigns.update({ id: draft.id, name: 'Spring fair', subject: 'Hi {{first_name|friend}}' });
    await expect(engine.campaigns.queue({ id: draft.id })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/no recipients yet/),
    });
    expect((await engine.campaigns.get({ id: draft.id })).status).toBe('draft');

    const { report } = await engine.campaigns.importRecipients({ id: draft.id, csv: recipientsCsv(3), mode: 'replace' });
    expect(report).toEqual({ imported: 3, duplicates: 0, invalid: [], suppressed: 0 });
    expect(await engine.campaigns.queue({ id: draft.id })).toMatchObject({ queued: 3 });
    await drain(engine);
    expect(setup.gmail.accepted.map((m) => m.envelope.to[0])).toEqual(['r1@example.com', 'r2@example.com', 'r3@example.com']);
  });

  it('a draft with no recipients is a draft: created by campaigns.create with none', async () => {
    setup = await createTestEngine({});
    const { engine } = setup;
    const { campaign, report } = await engine.campaigns.create({ name: 'Later', subject: 'Hi', text: 'Hi' });
    expect(campaign).toMatchObject({ status: 'draft', total: 0 });
    expect(report).toEqual({ imported: 0, duplicates: 0, invalid: [], suppressed: 0 });
  });
});

describe('campaigns.importRecipients', () => {
  it('replace: the draft’s list becomes the new one, with the new merge fields and the same report as create', async () => {
    setup = await createTestEngine({});
    const { engine, databaseFile } = setup;
    const { campaign } = await engine.campaigns.create({
      name: 'n',
      subject: 's',
      text: 't',
      csv: 'email,town\nold1@example.com,A\nold2@example.com,B',
    });
    await engine.suppressions.add({ email: 'gone@example.com' });
    const { campaign: after, report } = await engine.campaigns.importRecipients({
      id: campaign.id,
      csv: 'email,first_name\nann@example.com,Ann\nnot-an-address,X\nANN@example.com,Dup\ngone@example.com,Gone\nben@example.com,Ben',
      mode: 'replace',
    });
    expect(report).toEqual({
      imported: 2,
      duplicates: 1,
      invalid: [{ row: 3, value: 'not-an-address', reason: expect.any(String) }],
      suppressed: 1,
    });
    expect(after.fields).toEqual(['first_name']);
    expect(after.total).toBe(5);
    const { items } = await engine.campaigns.messages({ id: campaign.id });
    expect(items.map((m) => [m.email, m.status])).toEqual([
      ['ann@example.com', 'pending'],
      ['not-an-address', 'skipped'],
      ['ANN@example.com', 'skipped'],
      ['gone@example.com', 'skipped'],
      ['ben@example.com', 'pending'],
    ]);
    expect(counterTotals(databaseFile, campaign.id)).toEqual({ queued: 2, skipped: 3 });
    expect(hiddenCampaigns(databaseFile)).toBe(0);
  });

  it('add: new rows go after the old ones; an address already in the list is skipped, naming its row', async () => {
    setup = await createTestEngine({});
    const { engine, databaseFile } = setup;
    const { campaign } = await engine.campaigns.create({
      name: 'n',
      subject: 's',
      text: 't',
      csv: 'email,town\nann@example.com,A\nben@example.com,B',
    });
    const { campaign: after, report } = await engine.campaigns.importRecipients({
      id: campaign.id,
      recipients: [{ email: 'cat@example.com', fields: { first_name: 'Cat' } }, { email: 'BEN@example.com' }, { email: 'dan@example.com' }],
      mode: 'add',
    });
    expect(report).toEqual({ imported: 2, duplicates: 1, alreadyInList: 1, invalid: [], suppressed: 0 });
    expect(after.fields).toEqual(['town', 'first_name']);
    const { items } = await engine.campaigns.messages({ id: campaign.id });
    expect(items.map((m) => [m.email, m.status, m.skipReason ?? ''])).toEqual([
      ['ann@example.com', 'pending', ''],
      ['ben@example.com', 'pending', ''],
      ['cat@example.com', 'pending', ''],
      ['BEN@example.com', 'skipped', 'Already in the list (row 3).'],
      ['dan@example.com', 'pending', ''],
    ]);
    expect(counterTotals(databaseFile, campaign.id)).toEqual({ queued: 4, skipped: 1 });
  });

  it('add: an added list’s rows continue after the list’s last row, so a row names one recipient; the report names the file’s rows', async () => {
    setup = await createTestEngine({});
    const { engine } = setup;
    // Rows 2–4 (row 1 is the header); row 4 is not an address.
    const { campaign } = await engine.campaigns.create({
      name: 'n',
      subject: 's',
      text: 'Hi {{first_name|there}}',
      csv: 'email,town\nann@example.com,A\nben@example.com,B\nnot-an-address,C',
    });
    const { report } = await engine.campaigns.importRecipients({
      id: campaign.id,
      // Rows 2–6 of the second file: one address already in the list, one invalid, one repeated.
      csv: 'email,first_name\ncat@example.com,Cat\nBEN@example.com,Ben\noops,X\ndan@example.com,Dan\ncat@example.com,Again',
      mode: 'add',
    });
    // The invalid row is named as the user's file has it, so it can be fixed there.
    expect(report).toEqual({
      imported: 2,
      duplicates: 2,
      alreadyInList: 1,
      invalid: [{ row: 4, value: 'oops', reason: expect.any(String) }],
      suppressed: 0,
    });
    // A pasted list (rows 1–2 as a list counts them) goes after that.
    await engine.campaigns.importRecipients({
      id: campaign.id,
      recipients: [{ email: 'eve@example.com' }, { email: 'fay@example.com' }],
      mode: 'add',
    });

    const { items } = await engine.campaigns.messages({ id: campaign.id });
    expect(items.map((m) => [m.row, m.email, m.skipReason ?? ''])).toEqual([
      [2, 'ann@example.com', ''],
      [3, 'ben@example.com', ''],
      [4, 'not-an-address', expect.stringMatching(/^Invalid address/)],
      [5, 'cat@example.com', ''],
      [6, 'BEN@example.com', 'Already in the list (row 3).'],
      [7, 'oops', expect.stringMatching(/^Invalid address/)],
      [8, 'dan@example.com', ''],
      [9, 'cat@example.com', 'Duplicate of row 5.'],
      [10, 'eve@example.com', ''],
      [11, 'fay@example.com', ''],
    ]);
    // Each row finds exactly one recipient, to preview by its row.
    for (const [k, m] of items.entries()) {
      const found = await engine.campaigns.messages({ id: campaign.id, row: m.row });
      expect(found.items.map((f) => f.email)).toEqual([items[k]!.email]);
    }
    const eve = (await engine.campaigns.messages({ id: campaign.id, row: 10 })).items[0]!;
    expect((await engine.campaigns.preview({ id: campaign.id, messageId: eve.id })).recipient).toMatchObject({
      email: 'eve@example.com',
      row: 10,
    });
    // The export's row column names each recipient once.
    const { csv } = await engine.campaigns.export({ id: campaign.id });
    const [header, ...lines] = csv
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(header!.split(',')[0]).toBe('row');
    expect(lines.map((l) => Number(l.split(',')[0]))).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('a broken file changes nothing: the old list stays, nothing hidden is left behind', async () => {
    setup = await createTestEngine({});
    const { engine, databaseFile } = setup;
    const { campaign } = await engine.campaigns.create({ name: 'n', subject: 's', text: 't', csv: recipientsCsv(2) });
    await expect(
      engine.campaigns.importRecipients({ id: campaign.id, csv: 'email,first_name\n"unclosed,x\nr9@example.com,Nine', mode: 'replace' }),
    ).rejects.toMatchObject({ code: 'csv_invalid' });
    expect((await engine.campaigns.messages({ id: campaign.id })).items.map((m) => m.email)).toEqual(['r1@example.com', 'r2@example.com']);
    expect(counterTotals(databaseFile, campaign.id)).toEqual({ queued: 2 });
    expect(hiddenCampaigns(databaseFile)).toBe(0);
  });

  it('only into a draft, and with one list: refusals say why and change nothing', async () => {
    setup = await createTestEngine({ accounts: [TEST_ACCOUNTS[0]!] });
    const { engine } = setup;
    await engine.sending.pause();
    const { campaign } = await engine.campaigns.create({ name: 'n', subject: 's', text: 't', csv: recipientsCsv(2) });
    await expect(engine.campaigns.importRecipients({ id: campaign.id, mode: 'add' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/either as CSV text or as a list/),
    });
    await expect(
      engine.campaigns.importRecipients({ id: campaign.id, csv: 'email\na@example.com', recipients: [], mode: 'add' }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(engine.campaigns.importRecipients({ id: campaign.id, csv: 'email\na@example.com', mode: 'merge' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^mode:/),
    });
    await engine.campaigns.queue({ id: campaign.id });
    await expect(engine.campaigns.importRecipients({ id: campaign.id, csv: 'email\na@example.com', mode: 'add' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/Only a draft's recipients can be changed; this campaign is queued/),
    });
    expect((await engine.campaigns.get({ id: campaign.id })).counts.queued).toBe(2);
    await expect(engine.campaigns.importRecipients({ id: 999, csv: 'email\na@example.com', mode: 'add' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
