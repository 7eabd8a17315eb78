import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningApp, startApp } from './support/app';

/**
 * The README's first command, `npm install && npm run serve`, as a newcomer meets it: the built
 * headless app (what `npm run serve` runs after building) prints a link; opening it lands on
 * the app's page; Ctrl-C stops it cleanly. (`.ci/run` also runs the literal `npm run serve`.)
 *
 * The link is followed the way a browser would (redirects, cookies kept). Since issue #11 the
 * link sets no cookie and sends no redirect: it serves the app's page, which takes the token
 * out of the address itself (test/e2e/token-origin.test.ts checks that in a real browser).
 */

let dataDir: string;
let app: RunningApp;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'trickle-quick-start-'));
  app = await startApp(dataDir);
}, 30_000);

afterAll(async () => {
  await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Hop {
  url: string;
  status: number;
  location: string | null;
}

/** GET `link` and follow its redirects like a browser: cookies kept, at most 5 hops. */
async function openLikeABrowser(link: string): Promise<{ hops: Hop[]; final: Response; body: string }> {
  const jar = new Map<string, string>();
  const hops: Hop[] = [];
  let url = link;
  for (let hop = 0; hop < 5; hop++) {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at).trim(), pair!.slice(at + 1).trim());
    }
    const location = response.headers.get('location');
    hops.push({ url, status: response.status, location });
    if (response.status >= 300 && response.status < 400 && location) {
      await response.arrayBuffer();
      url = new URL(location, url).href;
      continue;
    }
    return { hops, final: response, body: await response.text() };
  }
  throw new Error(`More than 5 redirects from ${link}: ${JSON.stringify(hops)}`);
}

it('prints a link to open; the link opens the app, whose page loads', async () => {
  expect(app.output()).toMatch(/^Trickle is running\. Data: /m);
  expect(app.link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);

  const { hops, final, body } = await openLikeABrowser(app.link);
  // The link itself answers with the app: no redirect, and no cookie another port's server could receive.
  expect(hops).toHaveLength(1);
  expect(hops[0]!.url).toBe(app.link);
  expect(final.headers.getSetCookie()).toEqual([]);
  // The page it lands on is the app.
  expect(final.status).toBe(200);
  expect(final.headers.get('content-type')).toMatch(/^text\/html/);
  expect(/<title>([^<]*)<\/title>/.exec(body)?.[1]).toBe('Trickle');
  const script = /<script type="module"[^>]* src="([^"]+)"/.exec(body)?.[1];
  expect(script, 'the page names its script').toBeDefined();
  const code = await fetch(new URL(script!, `${app.origin}/`));
  expect(code.status).toBe(200);
  expect(code.headers.get('content-type')).toMatch(/javascript/);
});

it('stops cleanly on Ctrl-C, saying nothing queued was lost', async () => {
  const code = await app.stop();
  expect(code).toBe(0);
  expect(app.output()).toContain('SIGINT: stopping…');
  expect(app.output()).toContain('Stopped. Nothing queued was lost.');
});
