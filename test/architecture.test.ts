// The direction of the arrows (docs/ARCHITECTURE.md), checked by a kept tool: dependency-cruiser
// with the rules in .dependency-cruiser.cjs (the engine is plain Node and layered in rooms;
// rooms use each other's primitives, never operations; the doors use the engine through its
// index; the window takes only types from src-main and values from src-shared; src-shared
// imports nothing of the app; migrations take no app code; no import cycles).

import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['src-main', 'src-renderer', 'src-shared', 'migrations'];

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: { name: string }[];
}

/** Runs dependency-cruiser as `npm run check:deps` does, and returns what it found. */
async function cruise(paths: string[]): Promise<{ violations: Violation[]; modules: number }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      './build/typescript6-for-tools.mjs',
      'node_modules/dependency-cruiser/bin/dependency-cruise.mjs',
      '--config',
      '.dependency-cruiser.cjs',
      '--output-type',
      'json',
      ...paths,
    ],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  ).catch((error: { stdout?: string }) => {
    // It exits non-zero when it finds violations; the JSON on stdout says which.
    if (error.stdout) return { stdout: error.stdout };
    throw error;
  });
  const result = JSON.parse(stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  return { violations: result.summary.violations, modules: result.summary.totalCruised };
}

function describeViolation(v: Violation): string {
  return `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`;
}

describe('architecture', () => {
  it('the arrows hold across the whole tree: dependency-cruiser finds no violation', async () => {
    const { violations, modules } = await cruise(SOURCES);
    expect(modules, 'dependency-cruiser read the tree').toBeGreaterThan(100);
    expect(violations.map(describeViolation), 'run `npm run check:deps` for the same report').toEqual([]);
  });

  // The rules must be able to fail: probe files that break them are written into the tree,
  // cruised, and removed.
  it('the rules catch a broken arrow: the engine importing a door, the window importing engine code, a room importing a higher room, a cycle', async () => {
    const probes: Record<string, string> = {
      'src-main/engine/core/zz-probe-door.ts': "import { API_METHODS } from '../../api/methods';\nexport const probe = API_METHODS;\n",
      'src-renderer/zz-probe-engine.ts': "import { createEngine } from '../src-main/engine';\nexport const probe = createEngine;\n",
      'src-main/engine/accounts/zz-probe-layer.ts': "import { runBatch } from '../sending/batch';\nexport const probe = runBatch;\n",
      'src-shared/zz-probe-a.ts': "import { b } from './zz-probe-b';\nexport const a = () => b;\n",
      'src-shared/zz-probe-b.ts': "import { a } from './zz-probe-a';\nexport const b = () => a;\n",
    };
    try {
      for (const [file, text] of Object.entries(probes)) {
        mkdirSync(dirname(join(ROOT, file)), { recursive: true });
        writeFileSync(join(ROOT, file), text);
      }
      const { violations } = await cruise(Object.keys(probes));
      const found = violations.map(describeViolation);
      expect(found).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^engine-is-plain-node: src-main\/engine\/core\/zz-probe-door\.ts → src-main\/api\/methods\.ts/),
          expect.stringMatching(/^renderer-takes-only-types-from-main: src-renderer\/zz-probe-engine\.ts → src-main\/engine\/index\.ts/),
          expect.stringMatching(
            /^engine-accounts-imports-only-lower-rooms: src-main\/engine\/accounts\/zz-probe-layer\.ts → src-main\/engine\/sending\/batch\.ts/,
          ),
          expect.stringMatching(/^no-circular: src-shared\/zz-probe-a\.ts → src-shared\/zz-probe-b\.ts/),
        ]),
      );
    } finally {
      for (const file of Object.keys(probes)) rmSync(join(ROOT, file), { force: true });
    }
  });
});
