import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

// electron-vite 6 looks for src/main, src/preload and src/renderer by default; Trickle keeps
// its processes in src-main/ and src-renderer/, so every entry is named here explicitly.
// Output goes to electron-vite's default out/main, out/preload and out/renderer.
const fromRoot = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

// Dev server only: Vite's client injects <style> elements and @vitejs/plugin-react injects an
// inline React Refresh preamble, both of which the strict CSP in index.html forbids. Relax the
// CSP for `electron-vite dev` alone; the production build keeps the strict policy untouched.
function devServerCsp(): Plugin {
  return {
    name: 'trickle:dev-server-csp',
    apply: 'serve',
    transformIndexHtml(html: string): string {
      return html.replace(
        /(<meta\s+http-equiv="Content-Security-Policy"\s+content=")[^"]*(")/,
        `$1default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; ` +
          `img-src 'self' data:; connect-src 'self' ws://localhost:* ws://127.0.0.1:*; ` +
          `object-src 'none'; base-uri 'none'; frame-ancestors 'none'$2`,
      );
    },
  };
}

// Production build only: every text asset of the window also as .br and .gz beside it, made once
// at the highest levels, so headless mode serves them compressed without compressing on each
// request (src-main/headless/static-files.ts). The desktop app reads the plain files; the
// packaged app leaves the compressed copies out (electron-builder.yml).
const COMPRESSIBLE = /\.(js|css|html|svg|json)$/;
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'trickle:precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    writeBundle(_options, bundle) {
      for (const name of Object.keys(bundle)) {
        if (!COMPRESSIBLE.test(name)) continue;
        const file = join(outDir, name);
        const data = readFileSync(file);
        if (data.length < 1024) continue;
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
        );
        writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  main: {
    build: {
      // package.json has "type": "module" and Electron >= 28, so electron-vite emits ESM here:
      // out/main/index.js, which is package.json's "main".
      rolldownOptions: {
        input: { index: fromRoot('./src-main/electron/main.ts') },
      },
      // Runtime dependencies (better-sqlite3 — native —, kysely, nodemailer, …) are loaded
      // from node_modules at run time rather than bundled. This is electron-vite's default;
      // it is spelled out so that nobody turns it off and breaks the native module.
      externalizeDeps: { include: ['better-sqlite3'] },
    },
  },
  preload: {
    build: {
      rolldownOptions: {
        input: { index: fromRoot('./src-main/preload/index.ts') },
        // A sandboxed preload must be a single CommonJS script: no ESM, no require() of
        // anything but a few Electron/Node built-ins. The .cjs extension keeps Node from
        // reading it as ESM under package.json's "type": "module".
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
      // Bundle everything (the preload has no dependencies today; keep it that way).
      externalizeDeps: false,
    },
  },
  renderer: {
    root: fromRoot('./src-renderer'),
    build: {
      // electron-vite leaves the renderer unminified; the same files are served over HTTP by
      // headless mode, where every kilobyte is a wait (issue 17).
      minify: true,
      rolldownOptions: {
        input: { index: fromRoot('./src-renderer/index.html') },
      },
    },
    plugins: [react(), devServerCsp(), precompress()],
  },
});
