import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, launchChromium, startApp } from './support/app';

/**
 * Issue 17 in a real browser, through headless mode: the window's first page loads only its
 * own code (each other page and the charts come when opened), compressed; and a recipients file
 * is read and parsed by the CSV worker, off the page's main thread, the import still whole.
 * (How long anything takes is the bench's business: `npm run bench`, the window rows.)
 */

let app: RunningApp;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'trickle-e2e-window-'));
  app = await startApp(dataDir);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  const code = await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  expect(code).toBe(0);
});

describe('the window as it loads', () => {
  it('fetches the first page’s scripts compressed, and another page’s only when it is opened', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const scripts: { path: string; encoding: string | undefined }[] = [];
    page.on('response', (r) => {
      const url = new URL(r.url());
      if (url.pathname.endsWith('.js')) scripts.push({ path: url.pathname, encoding: r.headers()['content-encoding'] });
    });
    await page.goto(app.link);
    await page.locator('main h1, main h2').first().waitFor();
    await page.waitForLoadState('networkidle');
    const first = scripts.map((s) => s.path);
    expect(first.length).toBeGreaterThan(0);
    expect(scripts, JSON.stringify(scripts)).toEqual(scripts.map((s) => ({ ...s, encoding: 'br' })));
    expect(first.some((p) => /CampaignEditorPage|AccountsPage|SettingsPage|RichTextEditor/.test(p))).toBe(false);

    await page.getByRole('link', { name: 'Accounts' }).click();
    await expect.poll(() => scripts.map((s) => s.path).some((p) => /AccountsPage/.test(p))).toBe(true);
    await expect.poll(() => page.locator('main').textContent()).toMatch(/Add account/);
    await context.close();
  });

  it('reads a chosen recipients file in the CSV worker, writes its request in another, and imports all of it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const workers: string[] = [];
    page.on('worker', (w) => workers.push(w.url()));
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(app.link);
    await page.locator('main h1, main h2').first().waitFor();
    await page.goto(`${app.origin}/#/campaigns/new`);
    await page.getByLabel('Campaign name').fill('Worker');
    await page.getByLabel('Subject').fill('Hello {{first_name}}');
    await page.getByLabel('Message body').fill('<p>Hi {{first_name}}</p>');
    const rows = ['email,first_name', ...Array.from({ length: 20_000 }, (_, i) => `r${i + 1}@example.com,Reader${i + 1}`)].join('\n');
    await page
      .locator('input[type=file]')
      .first()
      .setInputFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: Buffer.from(rows) });
    await expect.poll(() => page.locator('main').textContent()).toContain('list.csv');
    expect(workers.some((url) => /csv-worker/.test(url))).toBe(true);
    await page.getByRole('button', { name: 'Save draft' }).click();
    await expect.poll(() => page.locator('main').textContent(), { timeout: 30_000 }).toContain('Imported 20,000 recipients');
    // The request carrying the file's 600 KB was written as JSON off the main thread too.
    expect(workers.some((url) => /json-body-worker/.test(url))).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows every invalid row of a big import report, rendering only those in view', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(app.link);
    await page.locator('main h1, main h2').first().waitFor();
    await page.goto(`${app.origin}/#/campaigns/new`);
    await page.getByLabel('Campaign name').fill('Many invalid');
    await page.getByLabel('Subject').fill('Hello');
    await page.getByLabel('Message body').fill('<p>Hi</p>');
    const invalid = 5_000;
    const lines = ['email', 'ok1@example.com', ...Array.from({ length: invalid }, (_, i) => `not-an-address-${i + 1}`)];
    await page
      .locator('input[type=file]')
      .first()
      .setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
    await expect.poll(() => page.locator('main').textContent()).toContain('bad.csv');
    await page.getByRole('button', { name: 'Save draft' }).click();
    const report = page.getByRole('region', { name: 'Invalid addresses' });
    await report.waitFor({ timeout: 30_000 });
    // Far fewer rows in the page than in the report…
    const rendered = await report.locator('tbody tr:not(.tr-virtual__spacer)').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(100);
    // …and the last one is there when scrolled to (row 5,002: the header is row 1).
    await report.evaluate((box) => box.scrollTo(0, box.scrollHeight));
    await expect.poll(() => report.textContent()).toContain('not-an-address-5000');
    await expect.poll(() => report.textContent()).toContain('5,002');
    await context.close();
  });
});
