#!/usr/bin/env node
// Runs electronegativity (Doyensec's Electron security scanner) offline, with the TypeScript
// it was built for and against the Electron version this project installs.
//
//   node build/electronegativity.cjs -i DIR [-o report.csv] [other options]   its own CLI
//   node build/electronegativity.cjs --json DIR...                             for tests
//   npm run audit:electron          (src-main/electron, src-main/preload and the built page)
//
// --json scans the given folders and files together (copied side by side into a temporary
// folder, so that its app-wide checks see the whole app) and prints one JSON object:
// { electronVersion, files, issues: [{ id, severity, confidence, file, line, column, sample }],
//   errors: [{ file, message, tolerable }] } — parse errors included, which its CLI shows only
// on the console and leaves out of its -o report.
//
// Three adjustments, none of which changes what it checks:
//   - its parser (@typescript-eslint/typescript-estree 4) requires `typescript` as a peer and
//     would get this project's TypeScript 7, which has no JavaScript API: that require is
//     pointed at the TypeScript 4.2 electronegativity ships with;
//   - it fetches translations and Electron's release list from the internet at each run; its
//     HTTP client is replaced by one that fails at once, which it already handles ("No
//     connectivity?"), so nothing leaves the machine;
//   - without `-e`, it cannot find the Electron version in a source folder and assumes 0.1.0,
//     whose defaults differ; `-e <installed electron version>` is added when not given.
// Its exit code is always 0: read its report (a test parses the CSV output).
'use strict';
const Module = require('node:module');
const path = require('node:path');

const packageDir = path.dirname(require.resolve('@doyensec/electronegativity/package.json'));
const ownTypeScript = require.resolve('typescript', { paths: [packageDir] });
const OFFLINE_GOT = path.join(__dirname, '__electronegativity-offline-got__.cjs');

const offline = () => Promise.reject(new Error('electronegativity runs offline here'));
const offlineModule = new Module(OFFLINE_GOT);
offlineModule.filename = OFFLINE_GOT;
offlineModule.loaded = true;
offlineModule.exports = Object.assign(offline, { default: offline, get: offline });
require.cache[OFFLINE_GOT] = offlineModule;

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const from = parent?.filename ?? '';
  if (request === 'typescript' && from.includes(`${path.sep}@typescript-eslint${path.sep}`)) return ownTypeScript;
  if (request === 'got' && from.startsWith(packageDir + path.sep)) return OFFLINE_GOT;
  return resolveFilename.call(this, request, parent, ...rest);
};

const installedElectron = () => require('electron/package.json').version;

if (process.argv[2] === '--json') {
  jsonScan(process.argv.slice(3)).catch((error) => {
    console.error(error?.stack ? error.stack : String(error));
    process.exit(1);
  });
} else {
  if (!process.argv.includes('-e') && !process.argv.includes('--electron-version')) {
    process.argv.push('-e', installedElectron());
  }
  require(path.join(packageDir, 'dist', 'index.js'));
}

async function jsonScan(inputs) {
  const fs = require('node:fs');
  const os = require('node:os');
  if (inputs.length === 0) throw new Error('usage: electronegativity.cjs --json DIR_OR_FILE...');
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'electronegativity-'));
  try {
    for (const input of inputs) {
      const source = path.resolve(input);
      fs.cpSync(source, path.join(stage, path.basename(source)), { recursive: true });
    }
    const files = fs.readdirSync(stage, { recursive: true }).filter((f) => /\.(?:[cm]?[jt]sx?|html?)$/.test(String(f))).length;
    const electronVersion = installedElectron();
    // Its messages and progress go to the console: keep stdout for the JSON alone.
    const log = console.log;
    console.log = (...args) => console.error(...args);
    let result;
    try {
      const runner = require(path.join(packageDir, 'dist', 'runner.js'));
      const run = typeof runner === 'function' ? runner : runner.default;
      result = await run({
        input: stage,
        customScan: [],
        excludeFromScan: [],
        isRelative: false,
        isVerbose: false,
        electronVersionOverride: electronVersion,
        parserPlugins: [],
      });
    } finally {
      console.log = log;
    }
    const relative = (file) => path.relative(stage, file).split(path.sep).join('/');
    const report = {
      electronVersion,
      files,
      checks: result.globalChecks + result.atomicChecks,
      issues: result.issues.map((i) => ({
        id: i.id,
        severity: i.severity.name,
        confidence: i.confidence.name,
        file: i.file === 'N/A' ? 'N/A' : relative(i.file),
        line: i.location.line,
        column: i.location.column,
        sample: i.sample,
        manualReview: Boolean(i.manualReview),
      })),
      errors: result.errors.map((e) => ({ file: relative(e.file), message: e.message, tolerable: e.tolerable })),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}
