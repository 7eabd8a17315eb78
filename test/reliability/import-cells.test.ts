import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CELLS_PER_ROW } from '../../src-main/engine/campaigns/import-limits';
import { createTestEngine, type TestSetup } from '../support/test-engine';

/**
 * Review of issue #11's merge (rev11), finding 5 in another shape: the 200-column limit counts
 * the header's *named* columns, so cells without a name — in the header, or past its end in a
 * row — are parsed, each an array entry, before anything refuses them. One line of 49 MB of
 * commas (under the 50 MB limit) held the event loop for 8.8 s and took 1.4 GB (measured, Node
 * 22, in one slice: the slicer cuts only at line ends), then imported as one recipient. Now a
 * row may have MAX_CELLS_PER_ROW cells (a spreadsheet's most, and room to spare), counted
 * before the parser sees the line.
 */

let setup: TestSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

const content = { name: 'Members', subject: 'Hi', text: 'Hello' };

describe('cells without a column', () => {
  it('a row of a million cells (a 1 MB line of commas) is refused in words, as a header of them would be', async () => {
    setup = await createTestEngine();
    const csv = `email,first_name\nann@example.com,Ann${','.repeat(1_000_000)}\n`;
    await expect(setup.engine.campaigns.create({ ...content, csv })).rejects.toMatchObject({ code: 'csv_invalid', details: { row: 2 } });
    expect(await setup.engine.campaigns.list()).toEqual([]);
  });

  it('a header of a million unnamed columns is refused like one of a million named ones', async () => {
    setup = await createTestEngine();
    const csv = `email${','.repeat(1_000_000)}\nann@example.com\n`;
    await expect(setup.engine.campaigns.create({ ...content, csv })).rejects.toMatchObject({ code: 'csv_invalid', details: { row: 1 } });
  });

  it('a row of exactly the most cells imports; one more is refused; commas inside quotes are no cells', async () => {
    setup = await createTestEngine();
    const most = `email,first_name\nann@example.com,Ann${','.repeat(MAX_CELLS_PER_ROW - 2)}\n`;
    expect((await setup.engine.campaigns.create({ ...content, csv: most })).report.imported).toBe(1);
    const over = `email,first_name\nann@example.com,Ann${','.repeat(MAX_CELLS_PER_ROW - 1)}\n`;
    await expect(setup.engine.campaigns.create({ ...content, csv: over })).rejects.toMatchObject({
      code: 'csv_invalid',
      message: expect.stringMatching(/^Row 2 has more than 20,000 cells/),
      details: { row: 2 },
    });
    const quoted = `email,first_name\r\nann@example.com,"Ann${','.repeat(30_000)}"\r\n`;
    expect((await setup.engine.campaigns.create({ ...content, csv: quoted })).report.imported).toBe(1);
  });
});
