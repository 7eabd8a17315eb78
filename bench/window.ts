// 7. The window in Chromium through headless mode: first contentful paint and the longest task
// while loading, while importing a big CSV and while a campaign sends, each beside a baseline
// page of the same size served the same way.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApiHandlers } from '../src-main/api/handlers';
import { createEngine, silentLogger } from '../src-main/engine';
import type { Engine } from '../src-main/engine';
import { createHeadlessServer } from '../src-main/headless/server';
import { type BrowserFacts, chooseChromium, launchTestChromium, realBrowserFacts } from '../test/support/chromium';
import { startTestGmail } from '../test/support/test-gmail';
import { SIZES, percentile, round, tempDir } from './support';
import { csvOf } from './fixtures';

const RENDERER = fileURLToPath(new URL('../../out/renderer', import.meta.url));
/** Enough daily capacity (2,000 each) for the app's campaign and the baseline's. */
const ACCOUNTS = [
  { email: 'window1@gmail.test', appPassword: 'wwwwxxxxyyyyzzzz' },
  { email: 'window2@gmail.test', appPassword: 'xxxxyyyyzzzzwwww' },
  { email: 'window3@gmail.test', appPassword: 'yyyyzzzzwwwwxxxx' },
];

/**
 * What every page measured here gets before its own scripts run: long tasks (the browser's
 * own PerformanceObserver, tasks over 50 ms), first contentful paint, and named marks so a
 * long task can be placed in a phase (loading, importing, sending).
 */
const PERF_PROBE = `
  window.__perf = { longTasks: [], marks: {} };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__perf.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  window.__mark = (name) => { window.__perf.marks[name] = performance.now(); };
`;

interface PerfState {
  longTasks: { start: number; duration: number }[];
  marks: Record<string, number>;
}

export interface PhaseResult {
  /** Longest task in the phase, ms (0: none over 50 ms, the browser's threshold for a long task). */
  longestTaskMs: number;
  longTasks: number;
}

export interface LoadResult extends PhaseResult {
  fcpMs: number;
  /** JavaScript the page loaded, compressed as sent (encodedBodySize) and as run (decodedBodySize). */
  jsEncodedKB: number;
  jsDecodedKB: number;
  cssEncodedKB: number;
  scripts: string[];
}

export async function windowMeasure() {
  if (!existsSync(join(RENDERER, 'index.html')))
    throw new Error('out/renderer is missing: `npm run bench` builds it first (electron-vite build).');
  const root = tempDir('window');
  const staticDir = join(root, 'www');
  cpSync(RENDERER, staticDir, { recursive: true });
  const baseline = writeBaselinePage(staticDir);

  const gmail = await startTestGmail({ accounts: ACCOUNTS, keepBodies: false });
  const engine = await createEngine({ dataDir: join(root, 'data'), logger: silentLogger });
  const token = 'b'.repeat(43);
  const server = createHeadlessServer({
    engine,
    handlers: createApiHandlers(engine, { version: 'bench', door: 'headless' }),
    token,
    staticDir,
    logger: silentLogger,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await engine.settings.update({ batchSize: 100, messageDelayMs: 0, batchIntervalSeconds: 1 });
  for (const account of ACCOUNTS)
    await engine.accounts.add({ ...account, host: gmail.host, port: gmail.port, security: 'none', dailyCap: 2000 });
  await engine.start();

  // The browser of the fresh-machine issue: the one npm brought (@sparticuz/chromium), unless
  // TRICKLE_CHROMIUM names another. BENCH_SYSTEM_CHROMIUM=1 lets the helper take the system's.
  const facts: BrowserFacts = realBrowserFacts();
  if (process.env.BENCH_SYSTEM_CHROMIUM !== '1') facts.env = { ...facts.env, TRICKLE_NO_SYSTEM_CHROMIUM: '1' };
  const choice = await chooseChromium(facts);
  const browser = await launchTestChromium({ choice });
  try {
    const loads: { app: LoadResult[]; baseline: LoadResult[] } = { app: [], baseline: [] };
    // Alternated, each in a fresh context (an empty cache, as the first visit).
    for (let i = 0; i < SIZES.windowLoads; i++) {
      loads.app.push(await measureLoad(browser, `${origin}/?token=${token}`, appReady));
      loads.baseline.push(await measureLoad(browser, `${origin}/${baseline.page}`, baselineReady));
    }

    const rows = SIZES.windowImport;
    const csv = csvOf(rows);
    const importApp = await measureAppImport(browser, origin, token, csv, rows);
    const importBaseline = await measureBaselineImport(browser, origin, token, baseline.page, csv, rows);

    const sends = SIZES.windowSend;
    const sendApp = await measureSending(engine, gmail.accepted, browser, origin, token, sends, 'app');
    const sendBaseline = await measureSending(engine, gmail.accepted, browser, origin, token, sends, baseline.page);

    const summary = (list: LoadResult[]) => ({
      fcpMsMedian: round(
        percentile(
          list.map((l) => l.fcpMs),
          50,
        ),
        1,
      ),
      fcpMsMax: round(Math.max(...list.map((l) => l.fcpMs)), 1),
      longestTaskMsMax: round(Math.max(...list.map((l) => l.longestTaskMs)), 1),
      longestTaskMsMedian: round(
        percentile(
          list.map((l) => l.longestTaskMs),
          50,
        ),
        1,
      ),
      jsEncodedKB: list[0]!.jsEncodedKB,
      jsDecodedKB: list[0]!.jsDecodedKB,
      cssEncodedKB: list[0]!.cssEncodedKB,
      scripts: list[0]!.scripts,
    });
    return {
      browser: `${choice.label}, version ${browser.version()}`,
      loads: SIZES.windowLoads,
      load: { app: summary(loads.app), baseline: summary(loads.baseline), all: loads },
      importRows: rows,
      import: { app: importApp, baseline: importBaseline },
      sends,
      sending: { app: sendApp, baseline: sendBaseline },
    };
  } finally {
    await browser.close();
    await closeServer(server);
    await engine.stop();
    await gmail.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The app's first page is up: the window's shell and the Progress page's heading. */
async function appReady(page: Page): Promise<void> {
  await page.locator('main h1, main h2').first().waitFor({ state: 'visible', timeout: 30_000 });
}

async function baselineReady(page: Page): Promise<void> {
  await page.locator('#baseline-ready').waitFor({ state: 'attached', timeout: 30_000 });
}

async function newPage(browser: Browser, token: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript({ content: `${PERF_PROBE}\nwindow.__token = ${JSON.stringify(token)};` });
  return { context, page: await context.newPage() };
}

async function measureLoad(browser: Browser, url: string, ready: (page: Page) => Promise<void>): Promise<LoadResult> {
  const { context, page } = await newPage(browser, '');
  try {
    await page.goto(url, { waitUntil: 'load' });
    await ready(page);
    // Whatever the first page does once it is up (its first data, a second render) counts too.
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(500);
    return await page.evaluate(() => {
      const perf = (window as unknown as { __perf: PerfState }).__perf;
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
      const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const scripts = resources.filter((r) => /\.js(\?|$)/.test(r.name));
      const styles = resources.filter((r) => /\.css(\?|$)/.test(r.name));
      const kb = (list: PerformanceResourceTiming[], key: 'encodedBodySize' | 'decodedBodySize') =>
        Math.round((list.reduce((a, r) => a + r[key], 0) / 1024) * 10) / 10;
      return {
        fcpMs: fcp,
        longestTaskMs: Math.max(0, ...perf.longTasks.map((t) => t.duration)),
        longTasks: perf.longTasks.length,
        jsEncodedKB: kb(scripts, 'encodedBodySize'),
        jsDecodedKB: kb(scripts, 'decodedBodySize'),
        cssEncodedKB: kb(styles, 'encodedBodySize'),
        scripts: scripts.map((s) => new URL(s.name).pathname),
      };
    });
  } finally {
    await context.close();
  }
}

/** Long tasks that started between two marks (or after the first, until now). */
async function phase(page: Page, from: string, to: string): Promise<PhaseResult> {
  return page.evaluate(
    ([a, b]) => {
      const perf = (window as unknown as { __perf: PerfState }).__perf;
      const start = perf.marks[a!] ?? 0;
      const end = perf.marks[b!] ?? performance.now();
      const tasks = perf.longTasks.filter((t) => t.start + t.duration >= start && t.start <= end);
      return { longestTaskMs: Math.max(0, ...tasks.map((t) => t.duration)), longTasks: tasks.length };
    },
    [from, to],
  );
}

const mark = (page: Page, name: string) => page.evaluate((n) => (window as unknown as { __mark(n: string): void }).__mark(n), name);

/**
 * The editor: a new campaign, the CSV chosen (read and looked at by the page), Save draft,
 * until the import report shows every row. The phase starts as the file is chosen.
 */
async function measureAppImport(
  browser: Browser,
  origin: string,
  token: string,
  csv: string,
  rows: number,
): Promise<PhaseResult & { ms: number; parts: Record<string, number> }> {
  const { context, page } = await newPage(browser, token);
  try {
    await page.goto(`${origin}/?token=${token}`);
    await appReady(page);
    await page.goto(`${origin}/#/campaigns/new`);
    await page.getByLabel('Campaign name').fill('Window import');
    await page.getByLabel('Subject').fill('Hello {{first_name}}');
    await page.getByLabel('Message body').fill('<p>Hi {{first_name}}</p>');
    await page.waitForTimeout(300);
    await mark(page, 'import-start');
    const started = Date.now();
    await page
      .locator('input[type=file]')
      .first()
      .setInputFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByText('list.csv').first().waitFor({ timeout: 60_000 });
    await mark(page, 'import-picked');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page
      .getByText(`Imported ${rows.toLocaleString('en-US')} recipients`)
      .first()
      .waitFor({ timeout: 120_000 });
    await mark(page, 'import-saved');
    const ms = Date.now() - started;
    await page.waitForTimeout(500);
    await mark(page, 'import-end');
    // Where the longest tasks fell: choosing the file (read, parsed), saving it (the request,
    // the engine's answer, the report shown), and the half second after.
    const parts = {
      choosing: (await phase(page, 'import-start', 'import-picked')).longestTaskMs,
      saving: (await phase(page, 'import-picked', 'import-saved')).longestTaskMs,
      after: (await phase(page, 'import-saved', 'import-end')).longestTaskMs,
    };
    return { ...(await phase(page, 'import-start', 'import-end')), ms, parts };
  } finally {
    await context.close();
  }
}

/** The least a page must do: the file's text read by the browser and sent to campaigns.create as it is. */
async function measureBaselineImport(
  browser: Browser,
  origin: string,
  token: string,
  pageName: string,
  csv: string,
  rows: number,
): Promise<PhaseResult & { ms: number }> {
  const { context, page } = await newPage(browser, token);
  try {
    await page.goto(`${origin}/${pageName}`);
    await baselineReady(page);
    await page.waitForTimeout(300);
    await mark(page, 'import-start');
    const started = Date.now();
    await page.locator('input[type=file]').setInputFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.locator('#baseline-imported').waitFor({ state: 'attached', timeout: 120_000 });
    const imported = await page.locator('#baseline-imported').textContent();
    if (Number(imported) !== rows) throw new Error(`baseline import: ${imported} imported, expected ${rows}`);
    const ms = Date.now() - started;
    await page.waitForTimeout(500);
    await mark(page, 'import-end');
    return { ...(await phase(page, 'import-start', 'import-end')), ms };
  } finally {
    await context.close();
  }
}

/**
 * A campaign of `n` sent by the engine (loopback, no pause: events as fast as they come) while
 * the page watches it: the app on the campaign's progress page, or the baseline page, which
 * only counts the events it receives.
 */
async function measureSending(
  engine: Engine,
  accepted: readonly unknown[],
  browser: Browser,
  origin: string,
  token: string,
  n: number,
  pageName: 'app' | string,
): Promise<PhaseResult & { ms: number }> {
  const { campaign } = await engine.campaigns.create({
    name: `Window send ${pageName}`,
    subject: 'Hello {{first_name}}',
    text: 'Hi {{first_name}}',
    csv: csvOf(n),
  });
  const { context, page } = await newPage(browser, token);
  try {
    if (pageName === 'app') {
      await page.goto(`${origin}/?token=${token}`);
      await appReady(page);
      await page.goto(`${origin}/#/campaigns/${campaign.id}`);
      await appReady(page);
    } else {
      await page.goto(`${origin}/${pageName}`);
      await baselineReady(page);
      await page.locator('#baseline-listening').waitFor({ state: 'attached', timeout: 30_000 });
    }
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(500);
    await mark(page, 'send-start');
    const before = accepted.length;
    const started = Date.now();
    await engine.campaigns.queue({ id: campaign.id });
    const deadline = Date.now() + 120_000;
    while ((await engine.campaigns.get({ id: campaign.id })).status !== 'completed') {
      if (Date.now() > deadline)
        throw new Error(
          `window send: the campaign did not complete in 2 minutes (${JSON.stringify((await engine.campaigns.get({ id: campaign.id })).counts)}; ${(await engine.sending.status()).waitingReason ?? ''})`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
    const ms = Date.now() - started;
    if (accepted.length - before !== n) throw new Error(`window send: ${accepted.length - before} accepted, expected ${n}`);
    await page.waitForTimeout(1000);
    await mark(page, 'send-end');
    return { ...(await phase(page, 'send-start', 'send-end')), ms };
  } finally {
    await context.close();
  }
}

/**
 * The baseline page: the same CSS, and as much JavaScript as the app's first page loads
 * (its bytes, as one string literal: downloaded, decompressed and parsed alike, never run),
 * compressed and served the same way, plus the least a page needs to import a file and to
 * listen to the engine's events.
 */
function writeBaselinePage(staticDir: string): { page: string } {
  const index = readFileSync(join(staticDir, 'index.html'), 'utf8');
  const firstPage = [...index.matchAll(/<(?:script|link)[^>]+(?:src|href)="\.?\/?(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
  const styles = [...index.matchAll(/<link[^>]+href="\.?\/?(assets\/[^"]+\.css)"/g)].map((m) => m[1]!);
  const code = firstPage.map((f) => readFileSync(join(staticDir, f), 'utf8')).join('\n');
  const work = `
const token = window.__token;
const call = (method, args) => fetch('/api/' + method, { method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' }, body: JSON.stringify(args) }).then((r) => r.json());
document.querySelector('input[type=file]').addEventListener('change', async (event) => {
  const text = await event.target.files[0].text();
  const answer = await call('campaigns.create', { name: 'Baseline import', subject: 'Hello', text: 'Hi', csv: text });
  const done = document.createElement('p');
  done.id = 'baseline-imported';
  done.textContent = String(answer.value.report.imported);
  document.body.append(done);
});
(async () => {
  if (!token) return;
  const { value } = await call('ticket', { for: 'events' });
  const events = new EventSource('/api/events?ticket=' + encodeURIComponent(value.ticket));
  let received = 0;
  events.addEventListener('message', () => received++);
  events.addEventListener('open', () => {
    const ready = document.createElement('p');
    ready.id = 'baseline-listening';
    document.body.append(ready);
  });
})();
const ready = document.createElement('p');
ready.id = 'baseline-ready';
ready.textContent = 'Baseline page';
document.body.append(ready);
`;
  const script = `const unused = ${JSON.stringify(code)};\n${work}`;
  const name = 'assets/baseline-00000000.js';
  writeAsset(staticDir, name, script);
  const page = 'baseline.html';
  const html = `<!doctype html><html lang="en"><head><meta charset="UTF-8" /><title>Baseline</title>
${styles.map((s) => `<link rel="stylesheet" href="./${s}">`).join('\n')}
<script type="module" src="./${name}"></script></head>
<body><h1>Baseline</h1><input type="file" accept=".csv" /></body></html>`;
  writeFileSync(join(staticDir, page), html);
  return { page };
}

/** As the build writes the window's assets: the file, and its .br and .gz copies. */
function writeAsset(staticDir: string, name: string, text: string): void {
  const file = join(staticDir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  const data = Buffer.from(text);
  writeFileSync(file, data);
  writeFileSync(
    `${file}.br`,
    brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
  );
  writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Sizes of the built window, by file (raw and brotli), for the record. */
export function builtWindowFiles(): { file: string; kb: number; brKB: number | null }[] {
  const dir = join(RENDERER, 'assets');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.(js|css)$/.test(f))
    .map((f) => {
      const br = join(dir, `${f}.br`);
      return {
        file: f,
        kb: round(readFileSync(join(dir, f)).length / 1024, 1),
        brKB: existsSync(br) ? round(readFileSync(br).length / 1024, 1) : null,
      };
    });
}
