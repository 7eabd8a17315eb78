/**
 * Packaging and static checks that stand in for what cannot run here (`npm run dist` needs
 * internet and the Electron binary):
 *   - electron-builder.yml passes electron-builder's own configuration schema (offline), with
 *     the targets, icons, asar and hook the issue lists;
 *   - the afterPack hook flips the fuses as listed — run for real with @electron/fuses on a
 *     stand-in binary that carries Electron's fuse wire;
 *   - electronegativity, run on src-main/electron + src-main/preload + the built page, reports
 *     no HIGH-severity finding (its exit code is always 0, so its report is parsed);
 *   - which files import Electron: only the thin ones, never the engine, api or headless.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, PRODUCT_NAME } from '../../src-main/electron/app-id';

const ROOT = join(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

interface BuilderConfig {
  appId: string;
  productName: string;
  directories: { buildResources: string; output: string };
  files: (string | { filter: string[] })[];
  asar: boolean;
  asarUnpack: string[];
  npmRebuild: boolean;
  afterPack: string;
  linux: { target: string[]; icon: string; executableName: string };
  mac: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
  publish: null;
}

async function loadBuilderConfig(): Promise<BuilderConfig> {
  // electron-builder's own loader and validator (app-builder-lib), as `electron-builder` runs them.
  const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js');
  const { DebugLogger } = require('builder-util');
  const config = await getConfig(ROOT, null, null);
  await validateConfiguration(config, new DebugLogger(false));
  return config as BuilderConfig;
}

describe('electron-builder configuration', () => {
  it('passes electron-builder’s configuration schema', async () => {
    await expect(loadBuilderConfig()).resolves.toBeTruthy();
  });

  it('a wrong key would have been caught (the validator is really running)', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js');
    const { DebugLogger } = require('builder-util');
    await expect(validateConfiguration({ linux: { targett: 'deb' } }, new DebugLogger(false))).rejects.toThrow(
      /configuration\.linux should be/,
    );
  });

  it('targets: AppImage and deb, dmg, nsis; icons from build/; asar on; the hook and no publishing', async () => {
    const config = await loadBuilderConfig();
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.directories.buildResources).toBe('build');
    for (const icon of [config.linux.icon, config.mac.icon, config.win.icon]) {
      expect(icon).toBe('build/icon.png');
      const png = readFileSync(join(ROOT, icon));
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
    }
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('node_modules/better-sqlite3/**/*.node');
    expect(config.asarUnpack).toContain('resources/**');
    const files = config.files.flatMap((f) => (typeof f === 'string' ? [f] : f.filter));
    expect(files).toEqual(expect.arrayContaining(['out/**', '!out/headless/**', 'resources/**', 'package.json']));
    expect(config.afterPack).toBe('./build/after-pack.cjs');
    expect(existsSync(join(ROOT, config.afterPack))).toBe(true);
    expect(config.publish).toBeNull();
    expect(config.npmRebuild).toBe(false);
  });

  it('names the app as main.ts does (appId for Windows notifications, product name for the data folder)', async () => {
    const config = await loadBuilderConfig();
    expect(config.appId).toBe(APP_ID);
    expect(config.productName).toBe(PRODUCT_NAME);
  });

  it('package.json: main is the built main process; `npm run dist` builds then packages', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('out/main/index.js');
    expect(pkg.scripts.dist).toMatch(/^npm run build && electron-builder\b/);
    // Runtime dependencies are loaded from node_modules by out/main/index.js, so they must be
    // "dependencies" (packaged), not "devDependencies" (left out of the app).
    for (const dep of ['better-sqlite3', 'kysely', 'nodemailer', 'zod', 'croner']) expect(pkg.dependencies).toHaveProperty(dep);
    expect(pkg.dependencies).not.toHaveProperty('electron');
  });
});

describe('Electron fuses (build/after-pack.cjs)', () => {
  const afterPack = require(join(ROOT, 'build/after-pack.cjs'));
  const { FuseV1Options, FuseVersion } = require('@electron/fuses');
  const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'trickle-fuses-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are the ones listed: RunAsNode, NODE_OPTIONS, --inspect off; asar integrity and only-from-asar on', () => {
    expect(afterPack.FUSES).toEqual({
      RunAsNode: false,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      GrantFileProtocolExtraPrivileges: false,
    });
    const config = afterPack.fuseConfig('linux');
    expect(config.version).toBe(FuseVersion.V1);
    expect(config[FuseV1Options.RunAsNode]).toBe(false);
    expect(config[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(config[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false);
    expect(config[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(config[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
    expect(config.resetAdHocDarwinSignature).toBe(false);
    expect(afterPack.fuseConfig('darwin').resetAdHocDarwinSignature).toBe(true);
  });

  it('the packaged executable is found for each platform', () => {
    const packager = { executableName: 'trickle', appInfo: { productFilename: 'Trickle' } };
    const at = (electronPlatformName: string) => afterPack.electronBinaryPath({ electronPlatformName, appOutDir: '/out', packager });
    expect(at('linux')).toBe(join('/out', 'trickle'));
    expect(at('win32')).toBe(join('/out', 'Trickle.exe'));
    expect(at('darwin')).toBe(join('/out', 'Trickle.app'));
    expect(() => at('beos')).toThrow(/unknown platform/);
  });

  it('flips them in a binary for real (a stand-in carrying Electron’s 8-fuse wire, all as Electron ships them)', async () => {
    // Electron's defaults: RunAsNode 1, CookieEncryption 0, NODE_OPTIONS 1, inspect 1,
    // asar integrity 0, only-from-asar 0, V8 snapshot 0, file:// privileges 1.
    const shipped = '10110001';
    const binary = Buffer.concat([
      Buffer.alloc(4096, 0x90),
      Buffer.from(SENTINEL),
      Buffer.from([1, 8]),
      Buffer.from(shipped),
      Buffer.alloc(4096, 0x90),
    ]);
    writeFileSync(join(dir, 'trickle'), binary);
    const logs: unknown[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => logs.push(args);
    try {
      await afterPack({
        electronPlatformName: 'linux',
        appOutDir: dir,
        packager: { executableName: 'trickle', appInfo: { productFilename: 'Trickle' } },
      });
    } finally {
      console.log = log;
    }
    const after = readFileSync(join(dir, 'trickle'));
    const at = after.indexOf(SENTINEL) + SENTINEL.length;
    expect(after[at]).toBe(1);
    expect(after.subarray(at + 2, at + 10).toString('ascii')).toBe(
      // RunAsNode, Cookie (unchanged), NODE_OPTIONS, inspect, asar integrity, only-from-asar, V8 (unchanged), file://
      '0' + '0' + '0' + '0' + '1' + '1' + '0' + '0',
    );
    expect(after.length).toBe(binary.length);
  });
});

describe('electronegativity on the desktop shell', () => {
  let report: {
    electronVersion: string;
    files: number;
    checks: number;
    issues: { id: string; severity: string; confidence: string; file: string; line: number; sample: string }[];
    errors: { file: string; message: string }[];
  };

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'out/renderer/index.html'))) {
      execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    }
    const stdout = execFileSync(
      process.execPath,
      [join(ROOT, 'build/electronegativity.cjs'), '--json', 'src-main/electron', 'src-main/preload', 'out/renderer/index.html'],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
    );
    report = JSON.parse(stdout);
  }, 180_000);

  it('parsed every file, against the installed Electron', () => {
    const electron = JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')).version;
    expect(report.electronVersion).toBe(electron);
    expect(report.errors).toEqual([]);
    const expected =
      readdirSync(join(ROOT, 'src-main/electron')).filter((f) => /\.ts$/.test(f)).length +
      readdirSync(join(ROOT, 'src-main/preload')).filter((f) => /\.ts$/.test(f)).length +
      1;
    expect(report.files).toBe(expected);
    expect(report.checks).toBeGreaterThan(30);
  });

  it('reports no HIGH-severity finding', () => {
    const high = report.issues.filter((i) => i.severity === 'HIGH');
    expect(high, JSON.stringify(high, null, 2)).toEqual([]);
  });

  it('sees the window’s lock-down where the window is made (no context-isolation, sandbox or navigation finding)', () => {
    const ids = report.issues.map((i) => i.id);
    for (const id of [
      'CONTEXT_ISOLATION_JS_CHECK',
      'NODE_INTEGRATION_JS_CHECK',
      'SANDBOX_JS_CHECK',
      'LIMIT_NAVIGATION_GLOBAL_CHECK',
      'PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK',
      'AUXCLICK_JS_CHECK',
    ]) {
      expect(ids, id).not.toContain(id);
    }
    // What remains is for a person to review: the one openExternal call, behind its allow-list.
    for (const issue of report.issues.filter((i) => i.id === 'OPEN_EXTERNAL_JS_CHECK')) {
      expect(issue.file).toBe('electron/window.ts');
      expect(issue.sample).toContain('shell.openExternal(safe)');
    }
  });
});

describe('which files are Electron', () => {
  const importsElectron = (file: string) =>
    /from\s+['"]electron['"]|require\(['"]electron['"]\)/.test(readFileSync(file, 'utf8').replace(/import type [^;]+;/g, ''));
  const list = (dir: string) =>
    readdirSync(join(ROOT, dir), { recursive: true })
      .map(String)
      .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.test.ts'))
      .map((f) => join(ROOT, dir, f));

  it('only the thin Electron files in src-main/electron import it; the rest there is plain Node', () => {
    const electronFiles = list('src-main/electron')
      .filter(importsElectron)
      .map((f) => f.slice(join(ROOT, 'src-main/electron/').length))
      .sort();
    expect(electronFiles).toEqual(['main.ts', 'protocol.ts', 'tray.ts', 'window.ts']);
    // …and each says so in its first line.
    for (const file of electronFiles) expect(readFileSync(join(ROOT, 'src-main/electron', file), 'utf8')).toMatch(/^\/\/ ELECTRON — /);
    for (const file of list('src-main/electron').filter((f) => !importsElectron(f) && !f.endsWith('.d.ts'))) {
      expect(readFileSync(file, 'utf8'), file).toMatch(/^\/\/ PURE /);
    }
  });

  it('the engine, the API and headless mode never import Electron', () => {
    for (const dir of ['src-main/engine', 'src-main/api', 'src-main/headless']) {
      const offenders = list(dir).filter((f) => /['"]electron['"]/.test(readFileSync(f, 'utf8')));
      expect(offenders, dir).toEqual([]);
    }
  });
});
