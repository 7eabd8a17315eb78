/**
 * trickle://app — the window's own scheme: serves the built renderer with the strict CSP,
 * refuses path traversal, and offers the same /preview page as headless mode (byte for byte,
 * with the preview's own sandboxing CSP). Also the built out/renderer/index.html itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiHandlers } from '../../src-main/api/handlers';
import { PREVIEW_CSP } from '../../src-main/api/preview-page';
import { APP_CSP, APP_START_URL, handleAppRequest, isAppUrl, resolveRendererPath } from '../../src-main/electron/app-protocol';
import { type Engine, createEngine } from '../../src-main/engine/engine';
import { silentLogger } from '../../src-main/engine/context';
import { createHeadlessServer } from '../../src-main/headless/server';
import { protocol, resetFakeElectron } from './fake-electron';

vi.mock('electron', () => import('./fake-electron'));

const ROOT = join(import.meta.dirname, '../..');

let root: string;
let rendererDir: string;
let engine: Engine;
let handlers: ReturnType<typeof createApiHandlers>;
let campaignId: number;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'trickle-protocol-'));
  rendererDir = join(root, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Trickle</title>');
  writeFileSync(join(rendererDir, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(rendererDir, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(join(rendererDir, '.secret'), 'dotfile');
  writeFileSync(join(root, 'outside.txt'), 'SECRET OUTSIDE');
  engine = await createEngine({ dataDir: join(root, 'data') });
  handlers = createApiHandlers(engine, { version: 'test', door: 'desktop' });
  const { campaign } = await engine.campaigns.create({
    name: 'Fair',
    subject: 'Hello {{first_name}}',
    html: '<p style="color:red">Hi {{first_name}}</p><script>alert(1)</script>',
    csv: 'email,first_name\nann@example.com,Ann\n',
  });
  campaignId = campaign.id;
});
afterAll(async () => {
  await engine.stop();
  rmSync(root, { recursive: true, force: true });
});

const get = (url: string, method = 'GET') => handleAppRequest({ url, method }, { rendererDir, handlers });

describe('serving the renderer', () => {
  it('serves index.html at / and /index.html with the strict CSP', async () => {
    for (const url of ['trickle://app/', APP_START_URL]) {
      const answer = await get(url);
      expect(answer.status).toBe(200);
      expect(String(answer.body)).toBe('<!doctype html><title>Trickle</title>');
      expect(answer.headers).toMatchObject({
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': APP_CSP,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      });
    }
    expect(APP_CSP).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(APP_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('serves assets with their types; a page route without an extension gets the page; HEAD has no body', async () => {
    expect(await get('trickle://app/assets/index-abc.js')).toMatchObject({
      status: 200,
      headers: { 'content-type': 'text/javascript; charset=utf-8' },
    });
    expect(await get('trickle://app/assets/index-abc.css')).toMatchObject({
      status: 200,
      headers: { 'content-type': 'text/css; charset=utf-8' },
    });
    expect(String((await get('trickle://app/campaigns/3')).body)).toContain('<title>Trickle</title>');
    expect((await get('trickle://app/missing.js')).status).toBe(404);
    const head = await get(APP_START_URL, 'HEAD');
    expect(head).toMatchObject({ status: 200, body: null });
  });

  it.each([
    'trickle://app/../outside.txt',
    'trickle://app/%2e%2e/outside.txt',
    'trickle://app/..%2foutside.txt',
    'trickle://app/assets/..%2f..%2foutside.txt',
    'trickle://app/assets/%2e%2e%2f%2e%2e%2foutside.txt',
    'trickle://app/..%5coutside.txt',
    'trickle://app/%2e%2e%5c%2e%2e%5coutside.txt',
    'trickle://app/%00index.html',
    'trickle://app/.secret',
    'trickle://app/%E0%A4%A',
    'trickle://app/%2Fetc%2Fpasswd',
    'trickle://app//etc/passwd',
  ])('refuses path traversal and odd paths: %s', async (url) => {
    const answer = await get(url);
    expect(String(answer.body)).not.toContain('SECRET OUTSIDE');
    expect(String(answer.body)).not.toContain('dotfile');
    expect([200, 404]).toContain(answer.status);
    if (answer.status === 200) expect(String(answer.body)).toContain('<title>Trickle</title>');
  });

  it('an absolute path to a file outside, encoded, is not served either', async () => {
    const answer = await get(`trickle://app/${encodeURIComponent(join(root, 'outside.txt'))}`);
    expect(answer.status).toBe(404);
  });

  it('resolveRendererPath never leaves the folder', () => {
    expect(resolveRendererPath(rendererDir, '/')).toBe(join(rendererDir, 'index.html'));
    expect(resolveRendererPath(rendererDir, '/assets/index-abc.js')).toBe(join(rendererDir, 'assets', 'index-abc.js'));
    for (const path of ['/../outside.txt', '/a/../../outside.txt', '/%2e%2e/x', '/a\\..\\b', '/x%00', '/.git/config', '/%zz']) {
      expect(resolveRendererPath(rendererDir, path), path).toBeUndefined();
    }
  });

  it('answers only trickle://app, and only GET and HEAD', async () => {
    expect((await get('trickle://other/index.html')).status).toBe(404);
    expect((await get('https://app/index.html')).status).toBe(404);
    expect((await get('not a url')).status).toBe(400);
    const post = await get(APP_START_URL, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(isAppUrl('trickle://app/x')).toBe(true);
    expect(isAppUrl('trickle://user:pw@app/x')).toBe(false);
    expect(isAppUrl('trickle://application/x')).toBe(false);
  });
});

describe('the preview route', () => {
  it('renders a recipient’s message through campaigns.preview, with the sandboxing CSP', async () => {
    const answer = await get(`trickle://app/preview?campaign=${campaignId}`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-security-policy']).toBe(PREVIEW_CSP);
    expect(PREVIEW_CSP).toMatch(/(^|; )sandbox($|;)/);
    expect(PREVIEW_CSP).toContain("default-src 'none'");
    expect(PREVIEW_CSP).not.toContain('script-src');
    expect(String(answer.body)).toContain('<p style="color:red">Hi Ann</p>');
  });

  it('an unknown campaign gives the error as text, escaped', async () => {
    const answer = await get('trickle://app/preview?campaign=999');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-security-policy']).toBe(PREVIEW_CSP);
    expect(String(answer.body)).toMatch(/<p style="[^"]*">Campaign 999 does not exist/);
  });

  it('is the same page, with the same CSP, as headless mode’s /preview', async () => {
    const server = createHeadlessServer({ engine, handlers, token: 't0ken', staticDir: rendererDir, logger: silentLogger });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      for (const query of [`campaign=${campaignId}`, 'campaign=999', 'campaign=abc']) {
        const response = await fetch(`http://127.0.0.1:${port}/preview?${query}`, { headers: { authorization: 'Bearer t0ken' } });
        const desktop = await get(`trickle://app/preview?${query}`);
        expect(desktop.headers['content-security-policy'], query).toBe(response.headers.get('content-security-policy'));
        expect(String(desktop.body), query).toBe(await response.text());
      }
    } finally {
      server.close();
    }
  });
});

describe('the Electron side (protocol.ts)', () => {
  beforeEach(() => resetFakeElectron());

  it('registers trickle as a standard, secure scheme — no CSP bypass, no CORS', async () => {
    const { registerAppScheme } = await import('../../src-main/electron/protocol');
    registerAppScheme();
    expect(protocol.privileged).toEqual([
      { scheme: 'trickle', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
    ]);
  });

  it('serves requests through handleAppRequest as Responses', async () => {
    const { serveAppScheme } = await import('../../src-main/electron/protocol');
    serveAppScheme({ rendererDir, handlers });
    const handler = protocol.handlers.get('trickle')!;
    const page = await handler(new Request(APP_START_URL));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(APP_CSP);
    expect(await page.text()).toContain('<title>Trickle</title>');
    const preview = await handler(new Request(`trickle://app/preview?campaign=${campaignId}`));
    expect(preview.headers.get('content-security-policy')).toBe(PREVIEW_CSP);
    const refused = await handler(new Request('trickle://app/..%2foutside.txt'));
    expect(refused.status).toBe(404);
    expect(await refused.text()).not.toContain('SECRET');
  });
});

describe('the built renderer (out/renderer/index.html)', () => {
  beforeAll(() => {
    // `npm test` builds first; a bare `vitest run` on a fresh clone builds here.
    if (!existsSync(join(ROOT, 'out/renderer/index.html'))) {
      execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    }
  }, 300_000);

  it('carries a strict CSP meta: scripts only from itself, no inline or eval, no plugins', () => {
    const html = readFileSync(join(ROOT, 'out/renderer/index.html'), 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
    expect(meta, 'no CSP meta in out/renderer/index.html').not.toBeNull();
    const directives = new Map(
      meta![1]!
        .split(';')
        .map((d) => d.trim())
        .filter(Boolean)
        .map((d) => {
          const [name, ...values] = d.split(/\s+/);
          return [name!, values] as const;
        }),
    );
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(meta![1]).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|https?:|\*/);
    // Only module scripts from the bundle: no inline script the CSP would have to allow.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    for (const [, src] of html.matchAll(/<script[^>]*\bsrc="([^"]+)"/gi)) expect(src).toMatch(/^\.?\/assets\//);
  });

  it('the built main, preload and renderer exist where main.ts looks for them', () => {
    for (const file of ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
      expect(existsSync(join(ROOT, file)), file).toBe(true);
    }
    const preload = readFileSync(join(ROOT, 'out/preload/index.cjs'), 'utf8');
    // A sandboxed preload is one CommonJS script: no ESM syntax, and it requires nothing but electron.
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
    expect([...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])).toEqual(['electron']);
    const main = readFileSync(join(ROOT, 'out/main/index.js'), 'utf8');
    expect(main).toMatch(/^import .* from "electron";$/m);
  });
});
