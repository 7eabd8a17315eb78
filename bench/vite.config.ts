import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The benchmark is a plain Node program built like headless mode (vite.headless.config.ts)
// into bench/out/ (git-ignored; kept out of out/, which electron-builder packages):
// one ESM file, dependencies left in node_modules (better-sqlite3 is native). It imports the
// real engine from src-main/ and the loopback test Gmail and fake clock from test/support/.
export default defineConfig({
  build: {
    ssr: fileURLToPath(new URL('./bench.ts', import.meta.url)),
    outDir: fileURLToPath(new URL('./out', import.meta.url)),
    emptyOutDir: true,
    target: 'node22',
    sourcemap: true,
    rolldownOptions: { output: { entryFileNames: 'bench.js' } },
  },
});
