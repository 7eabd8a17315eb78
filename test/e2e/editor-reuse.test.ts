import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipientsCsv } from '../../src-main/engine/campaigns/csv-import';
import { dangerousParts, PASTED_HTML } from '../fixtures/pasted-html/corpus';
import { GMAIL_REPLIES, type TestGmail, startTestGmail } from '../support/test-gmail';
import { type RunningApp, SCREENSHOT_DIR, api, launchChromium, startApp } from './support/app';

/**
 * Issue #16's "done when", in a real browser against the built app: a club secretary writes a
 * formatted message (a heading, bold, a list, a link, two merge chips) without touching HTML,
 * is told of a typo'd merge field while typing, previews recipient 299 of 299, queues, copies
 * the campaign for "only those not sent to", and exports a "failed only" CSV that imports again
 * with the same columns. The sanitiser corpus goes through the editor's paste as well.
 */

const ALICE = { email: 'alice@gmail.test', appPassword: 'aaaabbbbccccdddd' };
const CLUBS = ['Chess', 'Go', 'Bridge'];
const CSV = [
  'email;first_name;club',
  ...Array.from({ length: 299 }, (_, i) => `r${i + 1}@example.com;Reader${i + 1};${CLUBS[i % 3]}`),
].join('\r\n');
const TOO_BIG = 'r5@example.com';
const GONE = 'r7@example.com';

let gmail: TestGmail;
let app: RunningApp;
let browser: Browser;
let page: Page;
let dataDir: string;
const pageProblems: string[] = [];

beforeAll(async () => {
  gmail = await startTestGmail({ accounts: [ALICE] });
  dataDir = mkdtempSync(join(tmpdir(), 'trickle-e2e-'));
  app = await startApp(dataDir);
  await api(app, 'settings.update', {
    batchIntervalSeconds: 1,
    batchSize: 100,
    messageDelayMs: 0,
    retryIntervalSeconds: 3600,
    maxRetries: 1,
  });
  await api(app, 'accounts.add', { ...ALICE, host: gmail.host, port: gmail.port, security: 'none', dailyCap: 500 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
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

async function shot(name: string, size?: { width: number; height: number }): Promise<void> {
  if (size) await page.setViewportSize(size);
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: !size });
}

const main = () => page.locator('main').textContent();
const body = () => page.getByRole('textbox', { name: 'Message body' });

async function chip(field: string) {
  await page.getByRole('button', { name: `Insert merge field ${field}`, exact: true }).click();
}

describe('a club secretary writes, sends and reuses a campaign', () => {
  it('formats a message without HTML, previews row 299, queues, copies for those not sent to, exports failed only', async () => {
    gmail.fail({ stage: 'data', rcpt: TOO_BIG, fault: { reply: GMAIL_REPLIES.messageTooBig } });
    gmail.fail({ stage: 'rcpt', rcpt: GONE, fault: { reply: GMAIL_REPLIES.noSuchUser } });
    await page.goto(app.link);
    await expect.poll(() => page.url()).toBe(`${app.origin}/`);
    await page.goto(`${app.origin}/#/campaigns/new`);

    await page.getByLabel('Campaign name').fill('Club news');
    await page
      .locator('input[type=file]')
      .first()
      .setInputFiles({ name: 'members.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    await expect.poll(main).toContain('members.csv');

    // A typo in a merge field is pointed out while typing, with the column meant.
    await page.getByLabel('Subject').fill('News for {{frist_name}}');
    await expect.poll(main).toContain('There is no column frist_name — did you mean first_name?');
    await page.getByLabel('Subject').fill('News for {{first_name|friend}}');
    await expect.poll(main).not.toContain('There is no column');

    // The message, written as in a mail program: a heading, bold, two chips, a list, a link.
    await body().click();
    await page.getByRole('button', { name: 'Subheading' }).click();
    await page.keyboard.type('Spring meeting');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Hello ');
    await chip('first_name');
    await page.keyboard.type('of the ');
    await chip('club');
    await page.keyboard.type('club, ');
    await page.getByRole('button', { name: 'Bold' }).click();
    await page.keyboard.type('we meet on Friday');
    await page.getByRole('button', { name: 'Bold' }).click();
    await page.keyboard.type('.');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Bulleted list' }).click();
    await page.keyboard.type('Agenda');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Dues');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Read ');
    // An image that is not https is refused with a sentence.
    await page.getByRole('button', { name: 'Image', exact: true }).click();
    await page.getByLabel('Image address (https://…)').fill('http://club.example/logo.png');
    await page.getByRole('group', { name: 'Insert image' }).getByRole('button', { name: 'Insert' }).click();
    await expect.poll(main).toContain('Images must be at an https:// address');
    await page.getByLabel('Image address (https://…)').fill('https://club.example/logo.png');
    await page.getByLabel('Description (for those who do not see images)').fill('Club logo');
    await page.getByRole('group', { name: 'Insert image' }).getByRole('button', { name: 'Insert' }).click();
    await expect.poll(() => body().textContent()).toContain('Image: Club logo');
    await page.keyboard.type(' Read ');
    await page.getByRole('button', { name: 'Link', exact: true }).click();
    await page.getByLabel('Link address').fill('https://club.example/minutes');
    await page.getByLabel('Link text').fill('the minutes');
    await page.getByRole('group', { name: 'Insert link' }).getByRole('button', { name: 'Insert' }).click();
    await expect.poll(() => body().textContent()).toContain('the minutes');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Button', exact: true }).click();
    await page.getByLabel('Link address').fill('https://club.example/pay');
    await page.getByLabel('Button text').fill('Pay your dues');
    await page.getByRole('group', { name: 'Insert button' }).getByRole('button', { name: 'Insert' }).click();
    await expect.poll(() => body().textContent()).toContain('Pay your dues');
    await shot('16-editor-1280x800', { width: 1280, height: 800 });
    await shot('16-editor-1024x700', { width: 1024, height: 700 });
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole('button', { name: 'Save draft' }).click();
    await expect.poll(main, { timeout: 10_000 }).toContain('Imported 299 recipients');
    const id = Number(/#\/campaigns\/(\d+)\/edit/.exec(page.url())?.[1]);
    const saved = await api<{ html: string; fields: string[] }>(app, 'campaigns.get', { id });
    expect(saved.fields).toEqual(['first_name', 'club']);
    expect(saved.html).toMatch(/<h2[^>]*>Spring meeting<\/h2>/);
    expect(saved.html).toContain('Hello {{first_name}} of the {{club}} club, <strong>we meet on Friday</strong>.');
    expect(saved.html).toMatch(/<ul[^>]*><li[^>]*><p[^>]*>Agenda<\/p><\/li><li[^>]*><p[^>]*>Dues<\/p><\/li><\/ul>/);
    expect(saved.html).toMatch(/<a [^>]*href="https:\/\/club\.example\/minutes"[^>]*>the minutes<\/a>/);
    expect(saved.html).toMatch(
      /<img [^>]*src="https:\/\/club\.example\/logo\.png"[^>]*alt="Club logo"|<img [^>]*alt="Club logo"[^>]*src="https:\/\/club\.example\/logo\.png"/,
    );
    expect(saved.html).toMatch(
      /<a [^>]*href="https:\/\/club\.example\/pay"[^>]*style="display:inline-block;[^"]*background-color:#2f6feb[^"]*"[^>]*>Pay your dues<\/a>/,
    );
    expect(saved.html).not.toMatch(/data-|class=/);
    // Inline styles, as mail programs need them.
    expect(saved.html).toMatch(/<p style="[^"]*margin/);

    // Recipient 299 (row 300 of the file) is found and previewed, merge fields filled in.
    await page.getByLabel('Find a recipient').fill('r299@');
    const preview = page.frameLocator('iframe');
    await expect.poll(() => preview.locator('body').textContent(), { timeout: 10_000 }).toContain('Hello Reader299 of the Go club');
    await page.getByLabel('Find a recipient').fill('300');
    await expect.poll(() => page.getByLabel('Show the message as it goes to').textContent()).toContain('Row 300: r299@example.com');
    await page.locator('iframe').scrollIntoViewIfNeeded();
    await shot('16-preview-row-299', { width: 1280, height: 800 });

    // Reopened, the draft shows its chips again, not braces.
    await page.reload();
    await expect.poll(() => page.locator('.tr-merge-chip').allTextContents(), { timeout: 10_000 }).toEqual(['first_name', 'club']);

    await page
      .getByRole('button', { name: /^Queue/ })
      .first()
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Queue 299 emails' }).click();
    await expect.poll(main, { timeout: 10_000 }).toContain('Queued 299 emails');
    await expect.poll(() => page.locator('.tr-big-number').textContent(), { timeout: 60_000, interval: 500 }).toBe('100%');
    await expect.poll(main).toContain('297 of 299 sent');
    const sent = gmail.accepted.find((m) => m.envelope.to[0] === 'r2@example.com')!;
    expect(sent.raw).toContain('Reader2');

    // "Failed only", in one click: it imports again as it is, with the same columns.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export failed only' }).click()]);
    expect(download.suggestedFilename()).toBe('Club news failed.csv');
    const exported = readFileSync((await download.path())!, 'utf8');
    expect(exported.startsWith('\uFEFF')).toBe(true);
    const again = parseRecipientsCsv(exported);
    expect(again.delimiter).toBe(';');
    expect(again.columns.slice(0, 3)).toEqual(['row', 'first_name', 'club']);
    expect(again.recipients.map((r) => [r.email, r.fields.first_name, r.fields.club])).toEqual([
      [TOO_BIG, 'Reader5', 'Go'],
      [GONE, 'Reader7', 'Chess'],
    ]);
    const reimported = await api<{ campaign: { fields: string[] } }>(app, 'campaigns.create', {
      name: 'Retry',
      subject: 'Hi',
      text: 'Hi',
      csv: exported,
    });
    expect(reimported.campaign.fields.slice(0, 3)).toEqual(['row', 'first_name', 'club']);

    // The finished campaign's message can still be looked at.
    await expect.poll(() => page.frameLocator('iframe').locator('body').textContent(), { timeout: 10_000 }).toContain('Spring meeting');
    await shot('16-progress-done', { width: 1280, height: 800 });
    await page.locator('iframe').scrollIntoViewIfNeeded();
    await shot('16-finished-message', { width: 1024, height: 700 });
    await page.setViewportSize({ width: 1280, height: 800 });

    // A copy for only those not sent to: the one too big, not the bounced address.
    await page.getByRole('button', { name: 'Copy Club news' }).first().click();
    await page
      .getByRole('dialog')
      .getByLabel(/Only those not sent to/)
      .check();
    await page.getByRole('dialog').getByRole('button', { name: 'Make the copy' }).click();
    await expect.poll(main, { timeout: 10_000 }).toContain('Imported 1 recipient');
    const copyId = Number(/#\/campaigns\/(\d+)\/edit/.exec(page.url())?.[1]);
    const copied = await api<{ items: { email: string; row: number; status: string }[] }>(app, 'campaigns.messages', { id: copyId });
    expect(copied.items).toEqual([expect.objectContaining({ email: TOO_BIG, row: 6, status: 'pending' })]);
    await shot('16-copy-draft');
    await page.goto(`${app.origin}/#/campaigns`);
    await expect.poll(main).toContain('Club news (copy)');
    await shot('16-campaign-list', { width: 1280, height: 800 });
    await shot('16-campaign-list-1024', { width: 1024, height: 700 });
    await page.setViewportSize({ width: 1280, height: 800 });

    expect(pageProblems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
  }, 180_000);

  it('cleans every sample of the corpus on paste, and refuses a 25 MB paste at once', async () => {
    await page.goto(app.link);
    await expect.poll(() => page.url()).toBe(`${app.origin}/`);
    pageProblems.length = 0;
    await page.goto(`${app.origin}/#/campaigns/new`);
    await expect.poll(() => body().count(), { timeout: 10_000 }).toBe(1);
    for (const sample of PASTED_HTML) {
      await page.getByRole('radio', { name: 'Editor' }).click();
      await body().click();
      await page.keyboard.press('ControlOrMeta+a');
      await page.keyboard.press('Delete');
      await body().evaluate((el, html) => {
        const data = new DataTransfer();
        data.setData('text/html', html);
        data.setData('text/plain', 'pasted');
        el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      }, sample.html);
      await page.getByRole('radio', { name: 'HTML source' }).click();
      const out = await page.getByRole('textbox', { name: 'Message body' }).inputValue();
      expect(dangerousParts(out), sample.name).toEqual([]);
    }

    await page.getByRole('radio', { name: 'Editor' }).click();
    await body().click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await page.keyboard.type('Kept');
    await body().evaluate((el) => {
      const data = new DataTransfer();
      data.setData('text/plain', 'x'.repeat(25 * 1024 * 1024));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    });
    await expect.poll(main).toContain('That paste is too big for a message');
    expect(await body().textContent()).toBe('Kept');
    expect(pageProblems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
  }, 120_000);
});
