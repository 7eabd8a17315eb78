import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestGmail, startTestGmail } from '../support/test-gmail';
import { type RunningApp, SCREENSHOT_DIR, api, launchChromium, startApp } from './support/app';

/**
 * Issue #16: a draft's recipients can be added to by another import, with the same report. In a
 * real browser against the built app: a draft of 10 members gets a second file of latecomers —
 * one of them already a member (written in capitals), one row no address — by choosing "Add to
 * the list" and pressing Add. The report says 2 added, the member left out as already in the
 * list, the bad row by its number in the second file; the list grows by 2, and each row of the
 * campaign names one recipient. Screenshots at 1280×800 and 1024×700.
 */

const ALICE = { email: 'alice@gmail.test', appPassword: 'aaaabbbbccccdddd' };
const SIZES = [
  { width: 1280, height: 800 },
  { width: 1024, height: 700 },
];
const MEMBERS = ['email,first_name', ...Array.from({ length: 10 }, (_, i) => `member${i + 1}@example.com,Member${i + 1}`)].join('\n');
// Rows 2–5 of the second file: two new people, a member already in the list, a row with no address.
const LATECOMERS = [
  'email,first_name',
  'late1@example.com,Late1',
  'MEMBER3@example.com,Again',
  'no address here,Oops',
  'late2@example.com,Late2',
].join('\n');

let gmail: TestGmail;
let app: RunningApp;
let browser: Browser;
let page: Page;
let dataDir: string;
const pageProblems: string[] = [];

beforeAll(async () => {
  gmail = await startTestGmail({ accounts: [ALICE] });
  dataDir = mkdtempSync(join(tmpdir(), 'trickle-e2e-add-'));
  app = await startApp(dataDir);
  await api(app, 'accounts.add', { ...ALICE, host: '127.0.0.1', port: gmail.port, security: 'none', dailyCap: 100 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: SIZES[0]! });
  page.on('console', (m) => {
    if (m.type() === 'error') pageProblems.push(m.text());
  });
  page.on('pageerror', (e) => pageProblems.push(String(e)));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  const code = await app?.stop();
  await gmail?.close();
  rmSync(dataDir, { recursive: true, force: true });
  expect(code).toBe(0);
});

/** The Recipients section scrolled into view, at each size, for a person to look at. */
async function shots(name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await section().evaluate((s) => s.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${size.width}x${size.height}.png`) });
  }
  await page.setViewportSize(SIZES[0]!);
}

const section = () => page.getByRole('region', { name: 'Recipients', exact: true });
const sectionText = async () => (await section().textContent()) ?? '';
const recipientCount = async () => Number(await page.locator('[data-recipients]').getAttribute('data-recipients'));

interface Message {
  row: number;
  email: string;
  status: string;
  skipReason?: string;
}

describe('a draft’s list added to by another file', () => {
  it('chooses Add to the list, adds a second CSV, sees the report, and the list grows by the new people only', async () => {
    const { campaign } = await api<{ campaign: { id: number } }>(app, 'campaigns.create', {
      name: 'Spring fair',
      subject: 'Hello {{first_name|friend}}',
      text: 'See you at the fair, {{first_name|friend}}.',
      csv: MEMBERS,
    });
    await page.goto(app.link);
    await expect.poll(() => page.url()).toBe(`${app.origin}/`);
    await page.goto(`${app.origin}/#/campaigns/${campaign.id}/edit`);
    await expect.poll(recipientCount, { timeout: 10_000 }).toBe(10);

    // The choice says what each does, with the number in the list now; replacing is the default.
    const replace = page.getByRole('radio', { name: /Replace the list/ });
    const add = page.getByRole('radio', { name: /Add to the list/ });
    expect(await replace.isChecked()).toBe(true);
    expect(await sectionText()).toContain('the new list takes the place of these 10 recipients');
    expect(await sectionText()).toContain('the new recipients join these 10 recipients');
    await shots('16b-choice');

    await add.check();
    await page
      .locator('input[type=file]')
      .first()
      .setInputFiles({ name: 'latecomers.csv', mimeType: 'text/csv', buffer: Buffer.from(LATECOMERS) });
    await expect.poll(sectionText).toContain('latecomers.csv (4 rows) will be added to the 10 recipients here.');
    // Nothing is imported until Add is pressed, and the page does not claim all is saved meanwhile.
    await expect.poll(() => page.locator('[data-save-state]').getAttribute('data-save-state')).toBe('saved');
    expect(await page.locator('[data-save-state]').textContent()).toBe(
      'The new recipients are not in the list yet: press “Add to the list” above.',
    );
    expect((await api<{ total: number }>(app, 'campaigns.get', { id: campaign.id })).total).toBe(10);
    await shots('16b-ready-to-add');
    // Queueing now would leave them out: it is refused with what to do.
    await page.getByRole('button', { name: 'Queue…' }).first().click();
    await page.getByRole('dialog').getByRole('button', { name: 'Queue 10 emails' }).click();
    await expect.poll(() => page.getByRole('dialog').textContent()).toContain('The new recipients are not in the list yet');
    await page.getByRole('dialog').getByRole('button', { name: 'Keep as is' }).click();
    expect((await api<{ status: string }>(app, 'campaigns.get', { id: campaign.id })).status).toBe('draft');

    await page.getByRole('button', { name: 'Add to the list' }).click();
    await expect.poll(sectionText, { timeout: 10_000 }).toContain('Added 2 recipients to the list');
    const report = await page.locator('.tr-report').textContent();
    expect(report).toContain('The list now has 12 recipients.');
    expect(report).toContain('1 already in the list');
    // The bad row is named by its row in the second file, where it can be fixed.
    const invalid = page.locator('.tr-report tbody tr');
    expect(await invalid.count()).toBe(1);
    expect((await invalid.first().locator('td').allTextContents()).slice(0, 2)).toEqual(['4', 'no address here']);
    await expect.poll(recipientCount).toBe(12);
    await expect.poll(() => page.locator('main').textContent()).toContain('Draft · 12 recipients');
    // The file is let go once added: pressing Add again cannot add it twice.
    expect(await sectionText()).not.toContain('latecomers.csv');
    expect(await page.getByRole('button', { name: 'Add to the list' }).isDisabled()).toBe(true);
    await shots('16b-added');

    // In the campaign, the second file's rows follow the first's: each row is one person.
    const { items } = await api<{ items: Message[] }>(app, 'campaigns.messages', { id: campaign.id });
    expect(items.map((m) => m.row)).toEqual(Array.from({ length: 14 }, (_, i) => i + 2));
    expect(items.slice(10).map((m) => [m.row, m.email, m.status])).toEqual([
      [12, 'late1@example.com', 'pending'],
      [13, 'MEMBER3@example.com', 'skipped'],
      [14, 'no address here', 'skipped'],
      [15, 'late2@example.com', 'pending'],
    ]);
    expect(items[11]!.skipReason).toBe('Already in the list (row 4).');
    // Previewing by row 12 finds the latecomer there, and only them.
    await page.getByLabel('Find a recipient').fill('12');
    const shown = page.getByLabel('Show the message as it goes to').locator('option');
    await expect.poll(() => shown.allTextContents(), { timeout: 10_000 }).toEqual(['Row 12: late1@example.com']);

    // Pasted addresses are added the same way.
    await page.getByRole('radio', { name: 'Paste addresses' }).click();
    await page.getByRole('textbox', { name: 'Addresses', exact: true }).fill('late3@example.com\nmember1@example.com');
    await expect.poll(sectionText).toContain('The 2 pasted addresses will be added to the 12 recipients here.');
    await page.getByRole('button', { name: 'Add to the list' }).click();
    await expect.poll(sectionText, { timeout: 10_000 }).toContain('Added 1 recipient to the list');
    expect(await sectionText()).toContain('The list now has 13 recipients.');
    await expect.poll(recipientCount).toBe(13);
    expect(await page.getByRole('textbox', { name: 'Addresses', exact: true }).inputValue()).toBe('');
    expect(pageProblems).toEqual([]);
  });
});
