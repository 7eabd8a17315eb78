import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Headless mode is a plain Node program: built as one ESM file next to the renderer
// (out/headless/serve.js serves out/renderer). Dependencies stay in node_modules
// (better-sqlite3 is native), as in an SSR build.
export default defineConfig({
  build: {
    ssr: fileURLToPath(new URL('./src-main/headless/serve.ts', import.meta.url)),
    outDir: 'out/headless',
    emptyOutDir: true,
    target: 'node22',
    sourcemap: true,
    rolldownOptions: { output: { entryFileNames: 'serve.js' } },
  },
});
