import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtherServer, startOtherServer } from '../support/other-server';
import { type RunningApp, api, launchChromium, startApp } from './support/app';

/**
 * Issue #11, item 3, in a real browser: cookies ignore the port, so a cookie holding the access
 * token reached every server on 127.0.0.1. The printed link now hands the token to Trickle's
 * page once; the page keeps it in storage that belongs to its own origin
 * (http://127.0.0.1:PORT) and sends it as a header — live events and the preview frame
 * included, through short-lived one-use tickets. Another local app on another port gets nothing.
 */

let app: RunningApp;
let other: OtherServer;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'trickle-e2e-origin-'));
  app = await startApp(dataDir);
  other = await startOtherServer();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await other?.close();
  const code = await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  expect(code).toBe(0);
});

describe('the access token in a real browser', () => {
  it('works for Trickle’s page (calls, events, preview) and reaches no server on another port', async () => {
    const { id } = (
      await api<{ campaign: { id: number } }>(app, 'campaigns.create', {
        name: 'Spring fair',
        subject: 'Hello {{first_name}}',
        html: '<p>Dear {{first_name}},</p>',
        csv: 'email,first_name\nann@example.com,Ann',
      })
    ).campaign;

    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    const apiRequests: { url: string; headers: Record<string, string> }[] = [];
    const eventStreams: number[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(`${app.origin}/api/`)) apiRequests.push({ url: r.url(), headers: r.headers() });
    });
    page.on('response', (r) => {
      if (r.url().startsWith(`${app.origin}/api/events`)) eventStreams.push(r.status());
    });

    // The printed link: the page takes the token, and the address bar loses it.
    await page.goto(app.link);
    await expect.poll(() => page.url()).toBe(`${app.origin}/`);
    await expect.poll(() => page.getByRole('link', { name: 'Accounts' }).count()).toBeGreaterThan(0);

    // The page's calls carry the token as a header; live events connect.
    await expect.poll(() => apiRequests.filter((r) => r.url.includes('/api/sending.status')).length).toBeGreaterThan(0);
    for (const r of apiRequests.filter((r) => !r.url.includes('/api/events'))) {
      expect(r.headers.authorization, r.url).toBe(`Bearer ${app.token}`);
      expect(r.headers.cookie, r.url).toBeUndefined();
    }
    await expect.poll(() => eventStreams.includes(200), { timeout: 10_000 }).toBe(true);
    // An event arrives: pausing from a script shows in the page without a reload.
    await api(app, 'sending.pause');
    await expect.poll(() => page.locator('body').textContent(), { timeout: 10_000 }).toContain('Resume sending');

    // The preview frame loads (its one-use ticket in the address).
    await page.goto(`${app.origin}/#/campaigns/${id}/edit`);
    await expect.poll(() => page.frameLocator('iframe').locator('body').textContent(), { timeout: 10_000 }).toContain('Dear Ann,');

    // No cookie at all: nothing for the browser to send anywhere else.
    expect(await context.cookies()).toEqual([]);

    // Another local web app, on another port of the same address.
    await page.goto(`http://127.0.0.1:${other.port}/`);
    await expect.poll(() => page.locator('body').textContent()).toContain('Another local app');
    expect(other.requests.length).toBeGreaterThan(0);
    for (const request of other.requests) {
      expect(JSON.stringify(request)).not.toContain(app.token);
      expect(request.headers.cookie).toBeUndefined();
      expect(request.headers.authorization).toBeUndefined();
    }
    // Its pages cannot read what Trickle's page keeps: storage belongs to an origin, port included.
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }) + document.cookie)).not.toContain(app.token);

    // Back on Trickle's address without the link, in a new tab: still signed in.
    const again = await context.newPage();
    await again.goto(`${app.origin}/#/accounts`);
    await expect.poll(() => again.getByRole('button', { name: 'Add account' }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
