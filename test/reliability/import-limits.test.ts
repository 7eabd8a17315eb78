import { afterEach, describe, expect, it } from 'vitest';
import { createTestEngine, type TestSetup } from '../support/test-engine';

/**
 * Attack findings #11.5 and #11.10 (header-only file), through the engine as the window and the
 * HTTP API call it: a costly import is refused in words and leaves nothing behind.
 */

let setup: TestSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

const content = { name: 'Members', subject: 'Hi', text: 'Hello' };

describe('imports that would cost too much', () => {
  it('the 708 KB file of the attack (100,000 columns, 1,000 rows of an address) is refused at once; nothing is stored', async () => {
    setup = await createTestEngine();
    const header = ['email', ...Array.from({ length: 99_999 }, (_, i) => `c${i + 1}`)].join(',');
    const csv = [header, ...Array.from({ length: 1000 }, (_, i) => `r${i}@example.com`)].join('\n');
    expect(Buffer.byteLength(csv)).toBeGreaterThan(700_000); // about the 708 KB of the attack

    await expect(setup.engine.campaigns.create({ ...content, csv })).rejects.toMatchObject({
      code: 'csv_invalid',
      message: expect.stringMatching(/^The file has 100,000 columns; Trickle imports up to 200 /),
      details: { row: 1 },
    });
    expect(await setup.engine.campaigns.list()).toEqual([]);
  });

  it('a list of recipients with 100,000 different fields is refused the same way', async () => {
    setup = await createTestEngine();
    const fields = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`c${i}`, 'x']));
    await expect(setup.engine.campaigns.create({ ...content, recipients: [{ email: 'ann@example.com', fields }] })).rejects.toMatchObject({
      code: 'csv_invalid',
      message: expect.stringMatching(/more than 199 different fields/),
    });
    expect(await setup.engine.campaigns.list()).toEqual([]);
  });

  it('a file with column names and no recipients under them makes no campaign of 0 recipients', async () => {
    setup = await createTestEngine();
    for (const csv of ['email,first_name\n', 'email,first_name\r\n\r\n  ,  \r\n']) {
      await expect(setup.engine.campaigns.create({ ...content, csv })).rejects.toMatchObject({
        code: 'csv_invalid',
        message:
          'The file has column names but no recipients under them. Add a row for each recipient below the header row, then import again.',
      });
    }
    expect(await setup.engine.campaigns.list()).toEqual([]);
  });

  it('a wide file whose rows fill few columns is taken, and stores only the values there are', async () => {
    setup = await createTestEngine();
    const header = ['email', ...Array.from({ length: 199 }, (_, i) => `c${i + 1}`)].join(',');
    const csv = [header, ...Array.from({ length: 500 }, (_, i) => `r${i}@example.com,Ann`)].join('\n');
    const { campaign, report } = await setup.engine.campaigns.create({ ...content, subject: 'Hi {{c1}}', csv });
    expect(report.imported).toBe(500);
    expect(campaign.fields).toHaveLength(199);
    expect((await setup.engine.campaigns.preview({ id: campaign.id })).subject).toBe('Hi Ann');
    expect((await setup.engine.campaigns.queue({ id: campaign.id })).queued).toBe(500);
  });
});
