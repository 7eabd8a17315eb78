import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GMAIL_REPLIES, type TestGmail, startTestGmail } from '../support/test-gmail';
import { type RunningApp, SCREENSHOT_DIR, api, launchChromium, startApp } from './support/app';

/**
 * The "done when", in a real browser: a newcomer starts the built app (headless mode,
 * as `npm run serve` does), opens the printed link, adds accounts, imports a CSV with a bad
 * row, previews, queues, watches it send to the test Gmail, sees a permanent failure with its
 * reason and retries a temporary one. Screenshots land in test-artifacts/screenshots.
 */

const ALICE = { email: 'alice@gmail.test', appPassword: 'aaaabbbbccccdddd' };
const BOB = { email: 'bob@gmail.test', appPassword: 'eeeeffffgggghhhh' };
const GOOD = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'].map((n) => `${n}@example.com`);
const BOUNCE = 'gone@example.com';
const BUSY = 'busy@example.com';
const CSV = [
  'email,first_name',
  ...GOOD.map((e) => `${e},${e.slice(0, 3).replace(/^./, (c) => c.toUpperCase())}`),
  `${BOUNCE},Gone`,
  `${BUSY},Busy`,
  'not-an-address,Oops',
  'ANN@example.com,Duplicate',
].join('\n');

let gmail: TestGmail;
let app: RunningApp;
let browser: Browser;
let page: Page;
let dataDir: string;
const pageProblems: string[] = [];

beforeAll(async () => {
  gmail = await startTestGmail({ accounts: [ALICE, BOB] });
  dataDir = mkdtempSync(join(tmpdir(), 'trickle-e2e-'));
  app = await startApp(dataDir);
  // A local rehearsal's pace (allowed down to 1 s); one attempt so a temporary refusal shows as failed.
  await api(app, 'settings.update', { batchIntervalSeconds: 1, messageDelayMs: 0, retryIntervalSeconds: 3600, maxRetries: 1 });
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

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

async function fillAccountDialog(account: { email: string; appPassword: string }, options: { verify: boolean }) {
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Gmail address', { exact: true }).fill(account.email);
  await dialog.getByLabel('App password', { exact: true }).fill(account.appPassword);
  await dialog.getByRole('button', { name: /Advanced: mail server/ }).click();
  await dialog.getByLabel('SMTP server').fill('127.0.0.1');
  await dialog.getByLabel('Port', { exact: true }).fill(String(gmail.port));
  await dialog.getByLabel('Security', { exact: true }).selectOption('none');
  const verify = dialog.getByRole('checkbox', { name: /Check the login before saving/ });
  if ((await verify.getAttribute('aria-checked')) !== String(options.verify)) await verify.click();
}

describe('a newcomer in a real browser', () => {
  it('adds accounts, imports a CSV, previews, queues, watches it send, and deals with failures', async () => {
    gmail.fail({ stage: 'rcpt', rcpt: BOUNCE, fault: { reply: GMAIL_REPLIES.noSuchUser } });
    gmail.fail({ stage: 'rcpt', rcpt: BUSY, times: 1, fault: { reply: GMAIL_REPLIES.recipientRateLimited } });

    // The printed link signs the browser in and lands on the app.
    await page.goto(app.link);
    await expect.poll(() => page.url()).toBe(`${app.origin}/`);
    await page.getByRole('link', { name: 'Accounts' }).click();
    await shot('01-accounts-empty');

    // A wrong app password is refused with Gmail's reason, in words, next to the form.
    await page.getByRole('button', { name: 'Add account' }).first().click();
    await fillAccountDialog({ ...ALICE, appPassword: 'wrongwrongwrongw' }, { verify: true });
    await page.getByRole('dialog').getByRole('button', { name: 'Check and add' }).click();
    await expect.poll(() => page.getByRole('dialog').textContent()).toMatch(/did not accept the app password/);
    await expect.poll(() => page.getByRole('dialog').textContent()).toMatch(/Username and Password not accepted/);
    await shot('02-account-wrong-password');

    // The right one is checked and saved.
    await page.getByRole('dialog').getByLabel('App password', { exact: true }).fill(ALICE.appPassword);
    await page.getByRole('dialog').getByRole('button', { name: 'Check and add' }).click();
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await expect.poll(() => page.locator('main').textContent()).toContain(ALICE.email);

    // Bob is saved unchecked with a wrong password: sending will find out, and say so.
    await page.getByRole('button', { name: 'Add account' }).first().click();
    await fillAccountDialog({ ...BOB, appPassword: 'wrongwrongwrongw' }, { verify: false });
    await page.getByRole('dialog').getByRole('button', { name: 'Add account' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain(BOB.email);

    // A campaign from a CSV with an invalid row and a duplicate.
    await page.goto(`${app.origin}/#/campaigns/new`);
    await page.getByLabel('Campaign name').fill('Spring fair');
    await page.getByLabel('Subject').fill('See you Saturday, {{first_name|friend}}');
    // Pasted as HTML, in the source view (the editor opens on the visual view).
    await page.getByRole('radio', { name: 'HTML source' }).click();
    await page.getByLabel('Message body').fill('<p>Dear {{first_name|friend}},</p><p>The fair opens at <b>10:00</b>.</p>');
    await page
      .locator('input[type=file]')
      .first()
      .setInputFiles({ name: 'members.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    await expect.poll(() => page.locator('main').textContent()).toContain('members.csv');
    await page.getByRole('button', { name: 'Save draft' }).click();

    // The import report: 8 imported, 1 duplicate, the bad row with its reason.
    await expect.poll(() => page.locator('main').textContent(), { timeout: 10_000 }).toContain('Imported 8 recipients');
    const report = (await page.locator('main').textContent()) ?? '';
    expect(report).toContain('not-an-address');
    expect(report).toContain('The address has no @.');
    await shot('03-import-report');

    // The preview shows a recipient's own message, merge fields filled.
    const preview = page.frameLocator('iframe');
    await expect.poll(() => preview.locator('body').textContent(), { timeout: 10_000 }).toContain('Dear Ann,');
    await shot('04-preview');

    // Queue: answered at once.
    await page
      .getByRole('button', { name: /^Queue/ })
      .first()
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Queue 8 emails' }).click();
    await expect.poll(() => page.locator('main').textContent(), { timeout: 10_000 }).toContain('Queued 8 emails');

    // Progress reaches 100%: everything settled, sent or not.
    await expect.poll(() => page.locator('.tr-big-number').textContent(), { timeout: 30_000, interval: 500 }).toBe('100%');
    await shot('05-progress-done');
    const progress = (await page.locator('main').textContent()) ?? '';
    expect(progress).toContain('6 of 8 sent');
    // The permanent failure, with its reason in words and the server's own words.
    expect(progress).toContain(BOUNCE);
    expect(progress).toMatch(/does not exist or no longer accepts mail/);
    // The temporary one, failed after its one attempt, can be retried.
    expect(progress).toContain(BUSY);
    await page.getByRole('button', { name: `Retry ${BUSY}` }).click();
    await expect.poll(() => page.locator('main').textContent(), { timeout: 30_000, interval: 500 }).toContain('7 of 8 sent');
    await shot('06-after-retry');

    // What really reached the server: every good address once, the retried one too, not the bounce.
    const delivered = gmail.accepted.map((m) => m.envelope.to[0]);
    expect([...delivered].sort()).toEqual([...GOOD, BUSY].sort());
    expect(gmail.accepted.every((m) => m.account === ALICE.email)).toBe(true);

    // Bob's wrong password was found out while sending, and the Accounts page says so.
    await page.getByRole('link', { name: 'Accounts' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('Needs a new app password');
    await shot('07-accounts-after');

    await page.getByRole('link', { name: 'Settings' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('Emails per batch');
    await shot('08-settings');

    expect(pageProblems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
  }, 120_000);
});
