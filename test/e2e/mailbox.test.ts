import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dovecot, startDovecot } from '../support/dovecot';
import { mailboxSnapshot } from '../support/mailbox-snapshot';
import { type TestGmail, startTestGmail } from '../support/test-gmail';
import { type RunningApp, SCREENSHOT_DIR, api, launchChromium, startApp } from './support/app';

/**
 * Issue 15's "done when", in a real browser, against the test Gmail in its real-Gmail
 * behaviour (it accepts unknown recipients and reports them later in the inbox, and keeps a
 * copy of what it took in Sent Mail): unknown recipients end bounced and suppressed, an
 * unsubscribe reply suppresses its sender, a reply is counted, an in-doubt message is settled
 * from Sent Mail, and the account's cap is lowered by mail sent outside Trickle — all without
 * touching the mailbox (its flags and counts compared before and after, from Dovecot).
 */

const ALICE = { email: 'alice@gmail.test', appPassword: 'aaaabbbbccccdddd' };
const RECIPIENTS = ['ann', 'ben', 'cat', 'dan', 'gone1', 'gone2'].map((n) => `${n}@example.com`);

let dovecot: Dovecot;
let gmail: TestGmail;
let app: RunningApp;
let browser: Browser;
let page: Page;
let dataDir: string;
const pageProblems: string[] = [];

beforeAll(async () => {
  dovecot = await startDovecot();
  gmail = await startTestGmail({ mailbox: dovecot, accounts: [ALICE] });
  dataDir = mkdtempSync(join(tmpdir(), 'trickle-e2e-mailbox-'));
  app = await startApp(dataDir);
  await api(app, 'settings.update', { batchIntervalSeconds: 1, messageDelayMs: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => {
    if (m.type() === 'error') pageProblems.push(m.text());
  });
  page.on('pageerror', (e) => pageProblems.push(String(e)));
}, 600_000);

afterAll(async () => {
  await browser?.close();
  const code = await app?.stop();
  await gmail?.close();
  await dovecot?.close();
  rmSync(dataDir, { recursive: true, force: true });
  expect(code).toBe(0);
});

async function shot(name: string, size?: { width: number; height: number }): Promise<void> {
  if (size) await page.setViewportSize(size);
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}${size ? `-${size.width}` : ''}.png`), fullPage: !size });
  if (size) await page.setViewportSize({ width: 1280, height: 800 });
}

const main = () => page.locator('main').textContent();

describe('what comes back, in a real browser', () => {
  it('bounces, an unsubscribe, a reply, an in-doubt message settled from Sent Mail, a cap lowered by outside mail — the mailbox untouched', async () => {
    // Before Trickle: the user sent a message from Gmail itself, to three people.
    await gmail.sendOutside(ALICE.email, { to: ['friend1@example.org', 'friend2@example.org'], cc: ['friend3@example.org'] });
    // Gmail accepts the two unknown addresses and reports them later; dan's line breaks after the data.
    gmail.bounce({ rcpt: 'gone1@example.com' });
    gmail.bounce({ rcpt: 'gone2@example.com', form: 'gmail-legacy' });
    gmail.fail({ stage: 'data', rcpt: 'dan@example.com', times: 1, fault: { drop: 'after-data' } });
    await gmail.mailboxIdle();

    // The account, with its mailbox on the test IMAP server, added in the window.
    await page.goto(app.link);
    await expect.poll(() => page.url()).toBe(`${app.origin}/`);
    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('button', { name: 'Add account' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Gmail address', { exact: true }).fill(ALICE.email);
    await dialog.getByLabel('App password', { exact: true }).fill(ALICE.appPassword);
    await dialog.getByLabel('Daily cap', { exact: true }).fill('20');
    await dialog.getByRole('button', { name: /Advanced: mail server/ }).click();
    await dialog.getByLabel('SMTP server').fill('127.0.0.1');
    await dialog.getByLabel('Port', { exact: true }).fill(String(gmail.port));
    await dialog.getByLabel('Security', { exact: true }).selectOption('none');
    await dialog.getByLabel(/^IMAP server/).fill('127.0.0.1');
    await dialog.getByLabel('IMAP port', { exact: true }).fill(String(dovecot.port));
    await dialog.getByLabel('IMAP security', { exact: true }).selectOption('none');
    await shot('mailbox-1-account-dialog', { width: 1280, height: 800 });
    await dialog.getByRole('button', { name: 'Check and add' }).click();
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await expect.poll(main).toContain('Not looked at yet.');

    // A campaign of six, sent through the test Gmail: it says 250 to all of them.
    const { campaign } = await api<{ campaign: { id: number } }>(app, 'campaigns.create', {
      name: 'Spring fair',
      subject: 'See you Saturday',
      text: 'The fair opens at 10:00.',
      csv: ['email', ...RECIPIENTS].join('\n'),
    });
    await api(app, 'campaigns.queue', { id: campaign.id });
    await expect
      .poll(async () => (await api<{ status: string }>(app, 'campaigns.get', { id: campaign.id })).status, {
        timeout: 30_000,
        interval: 250,
      })
      .toBe('completed');
    const sentBefore = await api<{ counts: Record<string, number> }>(app, 'campaigns.get', { id: campaign.id });
    expect(sentBefore.counts).toMatchObject({ sent: 5, in_doubt: 1, bounced: 0 });

    // What comes back: ben replies, cat asks to unsubscribe (the notices are in already).
    const to = (who: string) => gmail.acceptedBy(ALICE.email).find((m) => m.envelope.to[0] === who)!;
    await gmail.answer(to('ben@example.com'), 'reply', { FIRST_LINE: 'Count me in!' });
    await gmail.answer(to('cat@example.com'), 'reply', { FIRST_LINE: 'Unsubscribe' });
    await gmail.mailboxIdle();
    const before = await mailboxSnapshot(dovecot, ALICE.email);

    // "Check now" reads the mailbox.
    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('button', { name: 'Check now' }).click();
    await expect
      .poll(main, { timeout: 15_000 })
      .toMatch(/Last looked .*: bounces, unsubscribe requests and replies are read from its inbox/);
    await expect
      .poll(() => page.locator('.tr-toasts').textContent())
      .toContain(`${ALICE.email}: 2 bounces, 1 unsubscribe request, 1 reply, 1 message in doubt settled.`);
    // The cap counts what Gmail counts: 6 sends by Trickle and 3 recipients of the outside message.
    await expect.poll(main).toContain('9 of 20 sent in 24 h');
    expect(await main()).toContain('3 of them sent outside Trickle (Gmail counts them too)');
    await shot('mailbox-2-accounts', { width: 1280, height: 800 });
    await shot('mailbox-2-accounts', { width: 1024, height: 700 });

    // The campaign: the unknown recipients bounced (with Gmail's reason), dan settled as sent.
    await page.goto(`${app.origin}/#/campaigns/${campaign.id}`);
    await expect.poll(main, { timeout: 10_000 }).toContain('2 messages bounced');
    await expect.poll(main, { timeout: 10_000 }).toContain('gone1@example.com');
    const progress = (await main()) ?? '';
    expect(progress).toContain('gone1@example.com');
    expect(progress).toContain('gone2@example.com');
    expect(progress).toContain('The address does not exist');
    expect(progress).toContain('550-5.1.1 The email account that you tried to reach does not exist');
    expect(progress).not.toContain('in doubt');
    expect(progress).toContain('4 of 6 sent');
    // (The toasts, read above, would cover the screenshots.)
    const dismiss = page.locator('.tr-toasts').getByRole('button', { name: 'Dismiss' });
    while ((await dismiss.count()) > 0)
      await dismiss
        .first()
        .click({ timeout: 1000 })
        .catch(() => undefined);
    await shot('mailbox-3-campaign-top', { width: 1280, height: 800 });
    await shot('mailbox-3-campaign-top', { width: 1024, height: 700 });
    await page.getByRole('region', { name: /bounced$/ }).scrollIntoViewIfNeeded();
    await shot('mailbox-3-campaign-bounced', { width: 1280, height: 800 });
    const what = page.getByRole('region', { name: 'What came back' });
    await expect.poll(() => what.textContent()).toMatch(/1\s*Replied.*1\s*Unsubscribed.*0\s*Auto-replies/);
    await what.getByRole('button', { name: /Replied/ }).click();
    await expect.poll(() => what.textContent()).toContain('ben@example.com');
    await what.scrollIntoViewIfNeeded();
    await shot('mailbox-4-campaign-came-back', { width: 1280, height: 800 });
    await shot('mailbox-4-campaign-came-back', { width: 1024, height: 700 });
    const { items } = await api<{ items: { email: string; status: string; settled?: { how: string } }[] }>(app, 'campaigns.messages', {
      id: campaign.id,
    });
    expect(items.find((m) => m.email === 'dan@example.com')).toMatchObject({ status: 'sent', settled: { how: 'confirmed_in_sent_mail' } });

    // The suppression list: the bounced addresses and the one who asked, with where each came from.
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect.poll(main, { timeout: 10_000 }).toContain('gone1@example.com');
    await page.getByRole('region', { name: /Suppression/ }).scrollIntoViewIfNeeded();
    await shot('mailbox-6-suppressions', { width: 1280, height: 800 });
    const settings = (await main()) ?? '';
    for (const address of ['gone1@example.com', 'gone2@example.com', 'cat@example.com']) expect(settings).toContain(address);
    expect(settings).toContain(`From ${ALICE.email}’s inbox · “Spring fair”`);
    expect(settings).toContain('Asked to unsubscribe by email');
    expect(settings).toContain('Mailbox checks');
    await page.getByRole('region', { name: 'Mailbox checks' }).scrollIntoViewIfNeeded();
    await shot('mailbox-5-settings', { width: 1280, height: 800 });
    await shot('mailbox-5-settings', { width: 1024, height: 700 });

    // The mailbox is as it was: no flag, count, UIDVALIDITY or UIDNEXT changed.
    expect(await mailboxSnapshot(dovecot, ALICE.email)).toEqual(before);
    expect(pageProblems).toEqual([]);
  }, 120_000);
});
