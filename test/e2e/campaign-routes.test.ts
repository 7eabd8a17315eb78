import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, api, launchChromium, startApp } from './support/app';

/**
 * Which page a campaign's address opens, in the built window: a draft opens in the editor
 * whether the link says #/campaigns/12 or #/campaigns/12/edit; a queued campaign opens on its
 * progress, and its /edit address says it can no longer be edited; a paused one shows its
 * progress and can be edited from there. No account is set up, so nothing is ever sent.
 */

let app: RunningApp;
let browser: Browser;
let page: Page;
let dataDir: string;
const ids = { draft: 0, queued: 0, paused: 0 };
const pageProblems: string[] = [];

async function create(name: string): Promise<number> {
  const created = await api<{ campaign: { id: number } }>(app, 'campaigns.create', {
    name,
    subject: 'Hello',
    text: 'Hello {{name|there}}',
    recipients: [{ email: 'ann@example.org' }, { email: 'bob@example.org' }],
  });
  return created.campaign.id;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'trickle-e2e-routes-'));
  app = await startApp(dataDir);
  ids.draft = await create('Summer draft');
  ids.queued = await create('Spring news');
  await api(app, 'campaigns.queue', { id: ids.queued });
  ids.paused = await create('Autumn news');
  await api(app, 'campaigns.queue', { id: ids.paused });
  await api(app, 'campaigns.pause', { id: ids.paused });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => pageProblems.push(String(e)));
  await page.goto(app.link);
  await page.getByRole('heading', { level: 1 }).waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  const code = await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  expect(code).toBe(0);
});

/** Goes to an address within the window, as a link does, and waits for the page to load. */
async function open(hash: string): Promise<string> {
  await page.evaluate((h) => (location.hash = h), hash);
  // Two frames: the new route has rendered (its "Loading…" shown) before the wait for it to go.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await expect.poll(() => page.locator('main [role="status"]').count()).toBe(0);
  return (await page.locator('main').textContent()) ?? '';
}

const heading = () => page.getByRole('heading', { level: 1 }).textContent();

describe('a campaign’s address', () => {
  it('opens a draft in the editor, from either address', async () => {
    for (const hash of [`#/campaigns/${ids.draft}`, `#/campaigns/${ids.draft}/edit`]) {
      const text = await open(hash);
      expect(await heading()).toBe('Summer draft');
      expect(text).toContain('Ready to send?');
      expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(1);
    }
  });

  it('opens a queued campaign on its progress; its edit address says why it cannot be edited', async () => {
    let text = await open(`#/campaigns/${ids.queued}`);
    expect(await heading()).toBe('Spring news');
    expect(await page.getByRole('button', { name: 'Export CSV' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);

    text = await open(`#/campaigns/${ids.queued}/edit`);
    expect(text).toContain('This campaign is queued: it can no longer be edited.');
    await page.getByRole('link', { name: 'See its progress' }).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/campaigns/${ids.queued}`);
    await expect.poll(() => page.getByRole('button', { name: 'Export CSV' }).count()).toBe(1);
  });

  it('shows a paused campaign’s progress, with Edit leading to its editor and back', async () => {
    await open(`#/campaigns/${ids.paused}`);
    expect(await page.getByRole('button', { name: 'Resume' }).count()).toBe(1);
    await page.getByRole('link', { name: 'Edit' }).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/campaigns/${ids.paused}/edit`);
    await expect.poll(() => page.locator('main').textContent()).toContain('Paused: changes apply to the messages not sent yet.');
    expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(1);
    await page.getByRole('link', { name: 'See progress' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Resume' }).count()).toBe(1);
  });

  it('links each campaign in the list to the page it opens on', async () => {
    await open('#/campaigns');
    expect(await page.getByRole('link', { name: 'Summer draft' }).getAttribute('href')).toBe(`#/campaigns/${ids.draft}/edit`);
    expect(await page.getByRole('link', { name: 'Spring news' }).getAttribute('href')).toBe(`#/campaigns/${ids.queued}`);
    expect(await page.getByRole('link', { name: 'Autumn news' }).getAttribute('href')).toBe(`#/campaigns/${ids.paused}`);
  });

  it('turns into the progress page when the draft opened at #/campaigns/12 is queued', async () => {
    await open(`#/campaigns/${ids.draft}`);
    await page.getByRole('button', { name: 'Queue 2 emails' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Queue 2 emails' }).click();
    await expect.poll(() => page.locator('main').textContent(), { timeout: 10_000 }).toContain('Queued 2 emails');
    expect(await page.evaluate(() => location.hash)).toBe(`#/campaigns/${ids.draft}`);
    expect(await page.getByRole('button', { name: 'Export CSV' }).count()).toBe(1);
  });

  it('says so, under the page’s title, when the campaign does not exist', async () => {
    const text = await open('#/campaigns/999999');
    expect(await heading()).toBe('Campaign');
    expect(text).toMatch(/999999 does not exist/);
    expect(pageProblems).toEqual([]);
  });
});
