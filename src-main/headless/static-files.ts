import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Text the build also wrote as .br and .gz (electron.vite.config.ts, precompress). */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json']);
/** Encodings the build writes, best first, with the file suffix of each. */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;
export type ContentEncoding = (typeof ENCODINGS)[number]['name'];

export interface StaticFile {
  body: Buffer;
  type: string;
  /** Set when `body` is the file's compressed copy. */
  encoding?: ContentEncoding;
  /** Text that may be sent compressed: the answer depends on Accept-Encoding. */
  compressible: boolean;
  /**
   * A build output named by its content (Vite's `assets/<name>-<hash>.<ext>`): it never
   * changes under its name, so a browser may keep it for good.
   */
  immutable: boolean;
}

/**
 * A file of the built renderer, or undefined when the path is outside it or missing. With
 * `acceptEncoding` (the request's Accept-Encoding), the compressed copy the build wrote beside
 * the file is chosen when the browser takes it (brotli, else gzip).
 */
export async function readStaticFile(root: string, urlPath: string, acceptEncoding?: string): Promise<StaticFile | undefined> {
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (relative.includes('\0')) return undefined;
  const file = normalize(join(root, relative === '/' ? 'index.html' : relative));
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  if (!(await isFile(file))) return undefined;
  const extension = extname(file);
  const type = TYPES[extension] ?? 'application/octet-stream';
  const compressible = COMPRESSIBLE.has(extension);
  const immutable = /^\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(relative);
  try {
    if (compressible) {
      const accepted = acceptedEncodings(acceptEncoding);
      for (const { name, suffix } of ENCODINGS) {
        if (accepted.has(name) && (await isFile(file + suffix))) {
          return { body: await readFile(file + suffix), type, encoding: name, compressible, immutable };
        }
      }
    }
    return { body: await readFile(file), type, compressible, immutable };
  } catch {
    return undefined;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The encodings an Accept-Encoding header takes (q > 0); `*` takes any. */
export function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name === '' || (q !== undefined && !(Number(q.slice(2)) > 0))) continue;
    if (name === '*') for (const e of ENCODINGS) accepted.add(e.name);
    else accepted.add(name);
  }
  return accepted;
}
