import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, type LaunchOptions, chromium } from 'playwright-core';
import { withFileLock } from './file-lock';
import { type MachineFacts, type SystemService, findOnMachine, realMachine, requireSystemService } from './system-service';

/**
 * The browser the browser tests drive, found in this order:
 *
 * 1. `TRICKLE_CHROMIUM`: the path of a Chromium or Chrome to use;
 * 2. the system's: Chromium or Chrome on Linux; on macOS and Windows, the installed Chrome
 *    (playwright-core's `channel: 'chrome'`);
 * 3. the Chromium shipped inside the npm package `@sparticuz/chromium` (a devDependency, Linux
 *    x64), unpacked once into the temporary folder, so `npm install && npm test` needs nothing else.
 *
 * `TRICKLE_NO_SYSTEM_CHROMIUM=1` skips step 2, to check the fresh-machine case on a machine
 * that has a system browser.
 */

/** The flags this machine needs: headless, no sandbox (root), no GPU, no calls home. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserChoice {
  /** Where the browser came from, for the test output. */
  label: string;
  launch: Pick<LaunchOptions, 'executablePath' | 'channel' | 'env'>;
}

export interface BrowserFacts {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  arch: string;
  find(look: string[]): string | undefined;
  /** For the system libraries or browser the rule of system services may install. */
  machine: MachineFacts;
}

export function realBrowserFacts(): BrowserFacts {
  return { env: process.env, platform: process.platform, arch: process.arch, find: findOnMachine, machine: realMachine() };
}

const SYSTEM_CHROMIUM_ON_LINUX = ['/usr/bin/chromium', 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** The bundled Chromium links to NSS, which Debian has in libnss3 (it brings libnspr4). */
export const NSS: SystemService = {
  name: 'NSS (libnss3, needed by the Chromium from @sparticuz/chromium)',
  look: ['/usr/lib/x86_64-linux-gnu/libnss3.so', '/lib/x86_64-linux-gnu/libnss3.so', '/usr/lib64/libnss3.so', '/usr/lib/libnss3.so'],
  debianPackage: 'libnss3',
  elsewhere: 'the package is called nss or libnss3',
};

/** Where @sparticuz/chromium has no build (Linux on ARM): the distribution's Chromium. */
export const SYSTEM_CHROMIUM: SystemService = {
  name: 'Chromium (the npm-shipped one is for Linux x64 only)',
  look: SYSTEM_CHROMIUM_ON_LINUX,
  debianPackage: 'chromium',
  elsewhere: 'or set TRICKLE_CHROMIUM to the path of a Chromium or Chrome',
};

export async function chooseChromium(facts: BrowserFacts = realBrowserFacts()): Promise<BrowserChoice> {
  const given = facts.env.TRICKLE_CHROMIUM;
  if (given) {
    if (!existsSync(given)) {
      throw new Error(
        `TRICKLE_CHROMIUM is set to ${given}, but there is no file there. Point it at a Chromium or Chrome executable, or unset it to use the system's or the bundled one.`,
      );
    }
    return { label: `TRICKLE_CHROMIUM (${given})`, launch: { executablePath: given } };
  }

  const lookAtSystem = facts.env.TRICKLE_NO_SYSTEM_CHROMIUM !== '1';
  if (lookAtSystem && (facts.platform === 'darwin' || facts.platform === 'win32')) {
    return { label: 'the installed Google Chrome (channel "chrome")', launch: { channel: 'chrome' } };
  }
  if (lookAtSystem) {
    const system = facts.find(SYSTEM_CHROMIUM_ON_LINUX);
    if (system) return { label: `the system's browser (${system})`, launch: { executablePath: system } };
  }

  if (facts.platform === 'linux' && facts.arch === 'x64') {
    await requireSystemService(NSS, facts.machine);
    const bundled = await unpackBundledChromium();
    return {
      label: `the Chromium shipped in @sparticuz/chromium ${bundled.packageVersion} (unpacked in ${dirname(bundled.executablePath)})`,
      launch: { executablePath: bundled.executablePath, env: { ...facts.env, FONTCONFIG_FILE: bundled.fontconfig.withSystemFonts } },
    };
  }
  if (facts.platform === 'linux') {
    const system = await requireSystemService(SYSTEM_CHROMIUM, facts.machine);
    return { label: `the system's browser (${system})`, launch: { executablePath: system } };
  }
  throw new Error(
    `No browser for the tests on ${facts.platform}: install Google Chrome, or set TRICKLE_CHROMIUM to the path of a Chromium or Chrome executable.`,
  );
}

/** Chooses the browser, launches it headless and says in the test output which one runs. */
export async function launchTestChromium(options: { facts?: BrowserFacts; choice?: BrowserChoice } = {}): Promise<Browser> {
  const choice = options.choice ?? (await chooseChromium(options.facts));
  let browser: Browser;
  try {
    browser = await chromium.launch({ ...choice.launch, args: CHROMIUM_FLAGS });
  } catch (error) {
    throw new Error(
      `Could not start ${choice.label}: ${error instanceof Error ? error.message : String(error)}\n` +
        'Set TRICKLE_CHROMIUM to the path of a Chromium or Chrome that runs here, or unset it to use the bundled one.',
    );
  }
  console.log(`Browser: ${choice.label}, version ${browser.version()}`);
  return browser;
}

export interface BundledChromium {
  executablePath: string;
  packageVersion: string;
  /** fontconfig files: the system's fonts plus the bundled Open Sans; or the bundled ones alone. */
  fontconfig: { withSystemFonts: string; bundledOnly: string };
}

/**
 * Unpacks @sparticuz/chromium's browser once per version into the temporary folder (about
 * 200 MB, a second or two) and returns it. Concurrent test files wait for one unpacking; a
 * half-finished one (a killed run) is never used, because the folder appears only when complete.
 */
export async function unpackBundledChromium(): Promise<BundledChromium> {
  const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
  const packageDir = dirname(dirname(entry));
  const packageVersion = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  const target = join(tmpdir(), `trickle-chromium-${packageVersion}-${process.getuid?.() ?? 'user'}`);
  const result: BundledChromium = {
    executablePath: join(target, 'chromium'),
    packageVersion,
    fontconfig: { withSystemFonts: join(target, 'fonts.conf'), bundledOnly: join(target, 'fonts-bundled-only.conf') },
  };
  const complete = join(target, 'unpacked');
  if (existsSync(complete)) return result;

  await withFileLock(`${target}.lock`, async () => {
    if (existsSync(complete)) return;
    rmSync(target, { recursive: true, force: true });
    const staging = `${target}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    // The package unpacks into os.tmpdir(); a child process with TMPDIR set puts it in our folder.
    const unpacked = await runNode(
      `const { default: chromium } = await import(${JSON.stringify(pathToFileURL(entry).href)});` +
        'process.stdout.write(await chromium.executablePath());',
      { ...process.env, TMPDIR: staging, TMP: staging, TEMP: staging },
    );
    if (unpacked !== join(staging, 'chromium')) {
      throw new Error(`@sparticuz/chromium unpacked its browser to ${unpacked}, not into ${staging}; its layout has changed.`);
    }
    const fontsConf = (systemFonts: boolean) => `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
${systemFonts ? '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n' : ''}  <dir>${join(target, 'fonts', 'fonts')}</dir>
  <cachedir>${join(target, 'fonts-cache')}</cachedir>
</fontconfig>
`;
    writeFileSync(join(staging, 'fonts.conf'), fontsConf(true));
    writeFileSync(join(staging, 'fonts-bundled-only.conf'), fontsConf(false));
    writeFileSync(join(staging, 'unpacked'), `@sparticuz/chromium ${packageVersion}\n`);
    renameSync(staging, target);
  });
  return result;
}

function runNode(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve(stdout.trim())
        : reject(new Error(`Unpacking the bundled Chromium failed (exit code ${code}):\n${stderr.trim()}`)),
    );
  });
}
