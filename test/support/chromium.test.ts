import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BrowserFacts, chooseChromium, launchTestChromium, unpackBundledChromium } from './chromium';
import { findOnMachine } from './system-service';

/**
 * Which browser the browser tests use, in the order the README promises, and the bundled one
 * for real: it comes with `npm install`, starts here, and renders text.
 */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trickle-chromium-choice-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** This machine as seen through injected facts; `present` lists what `find` finds. */
function facts(overrides: Partial<BrowserFacts> & { present?: string[] } = {}): BrowserFacts {
  const present = new Set(overrides.present ?? []);
  const find = (look: string[]) => look.find((p) => present.has(p));
  // Libraries are looked up for real: the bundled browser needs them on this machine.
  const findLibraryOrFake = (look: string[]) => (look.some((p) => p.endsWith('.so')) ? findOnMachine(look) : find(look));
  return {
    env: {},
    platform: 'linux',
    arch: 'x64',
    find,
    machine: {
      isRoot: false,
      isDebian: true,
      find: findLibraryOrFake,
      aptGet: join(dir, 'no-apt-get'),
      log: () => {},
      lockPath: join(dir, 'apt.lock'),
    },
    ...overrides,
  };
}

describe('choosing the browser', () => {
  it('TRICKLE_CHROMIUM comes first, even where a system browser exists', async () => {
    const choice = await chooseChromium(facts({ env: { TRICKLE_CHROMIUM: process.execPath }, present: ['/usr/bin/chromium'] }));
    expect(choice.launch).toEqual({ executablePath: process.execPath });
    expect(choice.label).toBe(`TRICKLE_CHROMIUM (${process.execPath})`);
  });

  it('a TRICKLE_CHROMIUM that points nowhere fails and says so, rather than quietly using another browser', async () => {
    await expect(chooseChromium(facts({ env: { TRICKLE_CHROMIUM: '/opt/no/chrome' } }))).rejects.toThrow(
      'TRICKLE_CHROMIUM is set to /opt/no/chrome, but there is no file there.',
    );
  });

  it('on Linux, the system Chromium or Chrome, in the order /usr/bin/chromium, chromium-browser, google-chrome', async () => {
    expect((await chooseChromium(facts({ present: ['/usr/bin/chromium', 'google-chrome'] }))).launch.executablePath).toBe(
      '/usr/bin/chromium',
    );
    expect((await chooseChromium(facts({ present: ['google-chrome', 'chromium-browser'] }))).launch.executablePath).toBe(
      'chromium-browser',
    );
    const chrome = await chooseChromium(facts({ present: ['google-chrome'] }));
    expect(chrome).toEqual({ label: "the system's browser (google-chrome)", launch: { executablePath: 'google-chrome' } });
  });

  it('on macOS and Windows, the installed Chrome through playwright-core', async () => {
    for (const platform of ['darwin', 'win32'] as const) {
      expect((await chooseChromium(facts({ platform }))).launch).toEqual({ channel: 'chrome' });
    }
  });

  it('on Linux ARM, where nothing is bundled, the rule of system services applies: the exact command to run', async () => {
    await expect(chooseChromium(facts({ arch: 'arm64' }))).rejects.toThrow(
      'Run: sudo apt-get install -y chromium — then run the tests again.',
    );
  });
});

// The bundled browser is a Linux x64 build: elsewhere it cannot run, and the tests above choose Chrome.
describe.runIf(process.platform === 'linux' && process.arch === 'x64')('the bundled Chromium, for real (Linux x64)', () => {
  it('on Linux x64 without a system browser: the one @sparticuz/chromium brought, with fonts', async () => {
    const choice = await chooseChromium(facts());
    expect(choice.label).toMatch(/^the Chromium shipped in @sparticuz\/chromium \d+\.\d+\.\d+ \(unpacked in /);
    expect(existsSync(choice.launch.executablePath!)).toBe(true);
    expect(choice.launch.env?.FONTCONFIG_FILE).toMatch(/fonts\.conf$/);
  });

  it('TRICKLE_NO_SYSTEM_CHROMIUM=1 takes the bundled one although a system browser exists', async () => {
    const choice = await chooseChromium(facts({ env: { TRICKLE_NO_SYSTEM_CHROMIUM: '1' }, present: ['/usr/bin/chromium'] }));
    expect(choice.launch.executablePath).toBe((await unpackBundledChromium()).executablePath);
  });

  let browser: Browser | undefined;
  afterAll(async () => browser?.close());

  /** Ink in a canvas after drawing a word: zero when no font could render it. */
  async function inkOfText(fontconfigFile: string, executablePath: string): Promise<{ ink: number; title: string }> {
    browser = await launchTestChromium({
      choice: {
        label: 'the bundled Chromium (test)',
        launch: { executablePath, env: { ...process.env, FONTCONFIG_FILE: fontconfigFile } },
      },
    });
    const page = await browser.newPage();
    await page.setContent('<title>Trickle — fonts</title><h1 style="font-family: sans-serif">Trickle sends gently — àéü</h1>');
    mkdirSync(join(import.meta.dirname, '../../test-artifacts/screenshots'), { recursive: true });
    await page.screenshot({
      path: join(
        import.meta.dirname,
        `../../test-artifacts/screenshots/bundled-chromium-${fontconfigFile.endsWith('only.conf') ? 'bundled-fonts' : 'system-fonts'}.png`,
      ),
    });
    const ink = await page.evaluate(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 300;
      canvas.height = 60;
      const context = canvas.getContext('2d')!;
      context.font = '32px sans-serif';
      context.fillText('Trickle', 10, 40);
      return context.getImageData(0, 0, 300, 60).data.filter((alpha, i) => i % 4 === 3 && alpha > 0).length;
    });
    const title = await page.title();
    await browser.close();
    browser = undefined;
    return { ink, title };
  }

  it('starts and renders text with the system fonts', async () => {
    const bundled = await unpackBundledChromium();
    const { ink, title } = await inkOfText(bundled.fontconfig.withSystemFonts, bundled.executablePath);
    expect(title).toBe('Trickle — fonts');
    expect(ink).toBeGreaterThan(200);
  }, 60_000);

  it('renders text on a machine without any fonts, with the Open Sans it ships', async () => {
    const bundled = await unpackBundledChromium();
    const { ink } = await inkOfText(bundled.fontconfig.bundledOnly, bundled.executablePath);
    expect(ink).toBeGreaterThan(200);
  }, 60_000);
});
