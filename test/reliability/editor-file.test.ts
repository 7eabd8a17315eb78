/**
 * The 200 MB file as a person meets it: picked in the campaign editor of the built app, in a
 * real browser. It is refused at once, by its size, before the window reads it; and the file
 * picked before it is not imported in its place.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningApp, api, launchChromium, startApp } from '../e2e/support/app';

let app: RunningApp;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trickle-editor-file-'));
  app = await startApp(join(dir, 'data'));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('a 200 MB recipients file is refused at once, in the engine’s words, and the earlier file is not imported instead', async () => {
  const small = join(dir, 'members.csv');
  writeFileSync(small, 'email,first_name\nann@example.com,Ann\nbob@example.com,Bob\n');
  const huge = join(dir, 'everyone.csv');
  writeFileSync(huge, '');
  truncateSync(huge, 200 * 1024 * 1024); // sparse: 200 MB that takes no disk

  const page = await browser.newPage();
  await page.goto(app.link);
  await page.goto(`${app.origin}/#/campaigns/new`);
  await page.getByLabel('Campaign name').fill('Everyone');
  await page.getByLabel('Subject').fill('Hello');
  await page.getByLabel('Message body').fill('<p>Hello</p>');
  const picker = page.locator('input[type=file]').first();
  await picker.setInputFiles(small);
  await expect.poll(() => page.textContent('body')).toMatch(/members\.csv/);
  // The draft saves itself (issue #13): the accepted file is imported into it.
  await expect.poll(() => page.textContent('body'), { timeout: 10_000 }).toMatch(/2 recipients/);

  const started = Date.now();
  await picker.setInputFiles(huge);
  const alert = page.getByRole('alert').filter({ hasText: 'MB' });
  await expect
    .poll(() => alert.textContent(), { timeout: 3000 })
    .toBe('The file is 200 MB; Trickle imports up to 50 MB at a time — split it into smaller files.');
  expect(Date.now() - started).toBeLessThan(3000);

  // The refused file changes nothing: the draft keeps the list accepted before it, and says which
  // file was refused — never the earlier file's rows imported under the refused one's name.
  await page.getByRole('button', { name: /^Save (draft|changes)$/ }).click();
  await expect.poll(async () => (await api<{ total: number }[]>(app, 'campaigns.list')).map((c) => c.total)).toEqual([2]);
  const body = (await page.textContent('body')) ?? '';
  expect(body).toMatch(/2 recipients/);
  expect(body).toMatch(/everyone\.csv/);
  expect(body).toMatch(/The file is 200 MB/);
}, 30_000);
