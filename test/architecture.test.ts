// The direction of the arrows in shared/ARCHITECTURE.md, checked on the source text:
//
//   - src-main/engine and migrations/ are plain Node: they never import `electron`, `react`
//     (or react-dom), nor anything under src-main/electron, src-main/preload or src-renderer;
//   - migrations/ never import values from src-main (app code); `import type` is fine;
//   - src-renderer/ imports only types from src-main (`import type …` / `export type … from`)
//     and never imports `electron`.
//
// Imports are found with plain regular expressions over the text with comments removed:
// static `import … from`, side-effect `import '…'`, `export … from`, `require('…')` and
// dynamic `import('…')`. A dynamic import() always counts as a value import; everything a
// .d.ts file imports counts as a type import. The engine and migrations may not import
// electron or react at all, not even types.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_EXT = /\.(?:[cm]?ts|tsx|[cm]?js|jsx)$/;

interface FoundImport {
  specifier: string;
  /** True for `import type …` and `export type … from`: erased at compile time. */
  typeOnly: boolean;
  line: number;
  /** The statement as written, on one line, for messages. */
  text: string;
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

function listSources(dirFromRoot: string): string[] {
  const dir = join(ROOT, dirFromRoot);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const name of entries.sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) files.push(...listSources(join(dirFromRoot, name)));
    else if (SOURCE_EXT.test(name)) files.push(full);
  }
  return files;
}

/** Blanks out comments (keeping newlines, so line numbers hold) and leaves strings alone. */
function stripComments(source: string): string {
  return source.replace(
    /\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g,
    (match) => (match.startsWith('/') ? match.replace(/[^\n]/g, ' ') : match),
  );
}

// What can stand between `import`/`export` and `from`: names, `*`, `as`, `type`, braces, commas.
const CLAUSE = String.raw`[\w$*{}\s,]*?`;

const PATTERNS: { re: RegExp; kind: 'static' | 'export' | 'bare' | 'call' }[] = [
  // import x from 'a' · import { a, type B } from 'a' · import * as a from 'a' · import type { A } from 'a'
  { re: new RegExp(String.raw`\bimport\s+(${CLAUSE})\s*\bfrom\s*(['"])([^'"\n]+)\2`, 'g'), kind: 'static' },
  // export * from 'a' · export { a } from 'a' · export type { A } from 'a'
  { re: new RegExp(String.raw`\bexport\s+(${CLAUSE})\s*\bfrom\s*(['"])([^'"\n]+)\2`, 'g'), kind: 'export' },
  // import 'a'
  { re: /\bimport\s*()(['"])([^'"\n]+)\2/g, kind: 'bare' },
  // require('a') · import('a') · import x = require('a')   (group 1 is the keyword, unused)
  { re: /\b(require|import)\s*\(\s*(['"])([^'"\n]+)\2\s*\)/g, kind: 'call' },
];

function findImports(source: string): FoundImport[] {
  const code = stripComments(source);
  const found: FoundImport[] = [];
  for (const { re, kind } of PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(code); m; m = re.exec(code)) {
      const clause = (m[1] ?? '').trim();
      const specifier = m[3] ?? '';
      // `import type X from` / `import type { X } from` / `export type { X } from` are erased;
      // but `import type from 'a'` imports a default binding named "type".
      const typeOnly = (kind === 'static' || kind === 'export') && /^type\s+\S/.test(clause);
      const before = code.slice(0, m.index);
      found.push({
        specifier,
        typeOnly,
        line: before.split('\n').length,
        text: m[0].replace(/\s+/g, ' '),
      });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/** Where a specifier points, as a path relative to the repository root, or null if bare. */
function resolvedPath(fromFile: string, specifier: string): string | null {
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return null;
  return toPosix(relative(ROOT, resolve(dirname(fromFile), specifier)));
}

function isPackage(specifier: string, name: string): boolean {
  return specifier === name || specifier.startsWith(`${name}/`);
}

function isUnder(path: string | null, dir: string): boolean {
  return path !== null && (path === dir || path.startsWith(`${dir}/`));
}

interface Rule {
  /** Why the import is refused, or null if it is allowed. */
  (imp: FoundImport, target: string | null): string | null;
}

function violations(files: string[], rule: Rule): string[] {
  const out: string[] = [];
  for (const file of files) {
    // Everything a declaration file imports is erased at compile time.
    const declarationFile = /\.d\.[cm]?ts$/.test(file);
    for (const found of findImports(readFileSync(file, 'utf8'))) {
      const imp = declarationFile ? { ...found, typeOnly: true } : found;
      const reason = rule(imp, resolvedPath(file, imp.specifier));
      if (reason) {
        out.push(`${toPosix(relative(ROOT, file))}:${imp.line} imports '${imp.specifier}' — ${reason} [${imp.text}]`);
      }
    }
  }
  return out;
}

const plainNodeRule: Rule = (imp, target) => {
  if (isPackage(imp.specifier, 'electron')) return 'the engine and migrations must not depend on Electron';
  if (isPackage(imp.specifier, 'react') || isPackage(imp.specifier, 'react-dom')) {
    return 'the engine and migrations must not depend on React';
  }
  for (const door of ['src-main/electron', 'src-main/preload', 'src-renderer']) {
    if (isUnder(target, door)) return `the engine and migrations must not import from ${door}`;
  }
  return null;
};

describe('architecture boundaries', () => {
  const engineFiles = listSources('src-main/engine');
  const migrationFiles = listSources('migrations');
  const rendererFiles = listSources('src-renderer');

  it('src-main/engine never imports electron, react or the doors (electron, preload, renderer)', () => {
    const found = violations(engineFiles, plainNodeRule);
    expect(found, `Boundary violations:\n${found.join('\n')}`).toEqual([]);
  });

  it('migrations/ never import electron, react, the doors, or values from src-main', () => {
    const found = violations(migrationFiles, (imp, target) => {
      const reason = plainNodeRule(imp, target);
      if (reason) return reason;
      if (isUnder(target, 'src-main') && !imp.typeOnly) return 'migrations never import app code (import type only)';
      return null;
    });
    expect(found, `Boundary violations:\n${found.join('\n')}`).toEqual([]);
  });

  it('src-renderer imports only types from src-main, and never electron', () => {
    expect(rendererFiles.length, 'no files found under src-renderer/').toBeGreaterThan(0);
    const found = violations(rendererFiles, (imp, target) => {
      if (imp.typeOnly) return null;
      if (isUnder(target, 'src-main')) return 'the renderer may only `import type` from src-main';
      if (isPackage(imp.specifier, 'electron')) return 'the renderer talks to main only through window.trickle';
      return null;
    });
    expect(found, `Boundary violations:\n${found.join('\n')}`).toEqual([]);
  });
});

describe('the import scanner used above', () => {
  it('finds every form of import, with its line and whether it is type-only', () => {
    const source = [
      "import a from 'pkg-a';", // 1
      "import type { B } from '../src-main/b';", // 2
      "import { type C, d } from './c';", // 3
      "import * as e from 'e';", // 4
      "import './side-effect.css';", // 5
      "export * from './f';", // 6
      "export type { G } from './g';", // 7
      "const h = require('h');", // 8
      "const i = await import('i');", // 9
      'import {', // 10
      '  j,', // 11
      "} from 'j';", // 12
      "import type from 'k';", // 13 (a default import named "type")
      "import l = require('l');", // 14
      "// import x from 'commented-line';", // 15
      "/* import y from 'commented-block'; */", // 16
      "const s = 'from here';", // 17
    ].join('\n');
    const summary = findImports(source).map((f) => `${f.line}:${f.specifier}:${f.typeOnly ? 'type' : 'value'}`);
    expect(summary).toEqual([
      '1:pkg-a:value',
      '2:../src-main/b:type',
      '3:./c:value',
      '4:e:value',
      '5:./side-effect.css:value',
      '6:./f:value',
      '7:./g:type',
      '8:h:value',
      '9:i:value',
      '10:j:value',
      '13:k:value',
      '14:l:value',
    ]);
  });

  it('reports a forbidden import with the file and the import', () => {
    const found = findImports("import { app } from 'electron';\n");
    expect(found).toHaveLength(1);
    expect(plainNodeRule(found[0]!, null)).toMatch(/Electron/);
  });
});
