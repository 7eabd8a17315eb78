import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The crash test's programs, built like the benchmark (bench/vite.config.ts) into
// test/chaos/out/ (git-ignored): plain ESM for Node 22, dependencies left in node_modules
// (better-sqlite3 is native). chaos-child.js is the engine process the test kills;
// chaos-main.js is `npm run chaos`, the long run.
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export default defineConfig({
  build: {
    ssr: true,
    outDir: here('./out'),
    emptyOutDir: true,
    target: 'node22',
    sourcemap: true,
    rolldownOptions: {
      input: { 'chaos-child': here('./chaos-child.ts'), 'chaos-main': here('./chaos-main.ts') },
      output: { entryFileNames: '[name].js' },
    },
  },
});
