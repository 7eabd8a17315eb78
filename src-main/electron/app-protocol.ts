// PURE (no `electron` import) — what the window's own scheme, trickle://app/…, answers:
// the built renderer's files with a strict Content-Security-Policy, and the same
// `/preview?campaign=&message=` page headless mode serves, for the editor's sandboxed
// preview frame. protocol.ts hands each request to `handleAppRequest` and turns the answer
// into a Response; nothing else decides what the window may load.

import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { ApiHandlers } from '../api/handlers';
import { APP_CSP, PREVIEW_CSP } from '../api/content-policy';
import { renderPreviewPage } from '../api/preview-page';

export const APP_SCHEME = 'trickle';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** What the window loads. */
export const APP_START_URL = `${APP_ORIGIN}/index.html`;

export { APP_CSP } from '../api/content-policy';

export interface AppRequest {
  url: string;
  method?: string;
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  /** null for HEAD and for empty answers. */
  body: Buffer | string | null;
}

export interface AppProtocolOptions {
  /** The built renderer folder (out/renderer), absolute. */
  rendererDir: string;
  /** The API handler table; the preview page is rendered through `campaigns.preview`. */
  handlers: ApiHandlers;
  /** Reports an unexpected error inside the preview method. */
  onUnexpected?: (error: unknown, method: string) => void;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

/** True for trickle://app/… — the only pages that may use the API or stay in the window. */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}

export async function handleAppRequest(request: AppRequest, options: AppProtocolOptions): Promise<AppResponse> {
  const method = (request.method ?? 'GET').toUpperCase();
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return text(400, 'Bad request.');
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return text(404, 'Not found.');
  if (method !== 'GET' && method !== 'HEAD') {
    const refused = text(405, 'Not allowed.');
    refused.headers.allow = 'GET, HEAD';
    return refused;
  }

  if (url.pathname === '/preview') {
    const page = await renderPreviewPage(options.handlers, url.searchParams, options.onUnexpected);
    return {
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': PREVIEW_CSP,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      },
      body: method === 'HEAD' ? null : page,
    };
  }

  const file = resolveRendererPath(options.rendererDir, url.pathname);
  if (file === undefined) return text(404, 'Not found.');
  let found = await readIfFile(file);
  // A path without an extension is one of the page's own routes: serve the page.
  if (!found && !extname(file)) found = await readIfFile(resolve(options.rendererDir, 'index.html'));
  if (!found) return text(404, 'Not found.');
  const type = TYPES[extname(found.path).toLowerCase()] ?? 'application/octet-stream';
  return {
    status: 200,
    headers: {
      'content-type': type,
      'content-security-policy': APP_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cache-control': type.startsWith('text/html') ? 'no-store' : 'public, max-age=3600',
    },
    body: method === 'HEAD' ? null : found.body,
  };
}

/**
 * The file a URL path names inside the renderer folder, or undefined when it would leave the
 * folder (`..`, encoded or not), contains a NUL or a backslash, or names a dotfile.
 */
export function resolveRendererPath(rendererDir: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s.startsWith('.'))) return undefined;
  const root = resolve(rendererDir);
  const file = segments.length === 0 ? resolve(root, 'index.html') : resolve(root, ...segments);
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  return file;
}

async function readIfFile(path: string): Promise<{ path: string; body: Buffer } | undefined> {
  try {
    if (!(await stat(path)).isFile()) return undefined;
    return { path, body: await readFile(path) };
  } catch {
    return undefined;
  }
}

function text(status: number, body: string): AppResponse {
  return {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-security-policy': APP_CSP },
    body,
  };
}
