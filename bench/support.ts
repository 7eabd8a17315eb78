// What every measure shares: the sizes (full or --smoke), the result rows, timing statistics.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type BetterSqlite3 from 'better-sqlite3';
import type { EngineContext } from '../src-main/engine/context';
import type { Engine } from '../src-main/engine/engine';

export const argv = process.argv.slice(2);
export const SMOKE = argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';

export function num(name: string, full: number, smoke: number): number {
  const raw = process.env[name];
  return raw ? Number(raw) : SMOKE ? smoke : full;
}
export function nums(name: string, full: number[], smoke: number[]): number[] {
  const raw = process.env[name];
  return raw ? raw.split(',').map(Number) : SMOKE ? smoke : full;
}

export const SIZES = {
  claimSmall: num('BENCH_CLAIM_SMALL', 10_000, 1_000),
  claimLarge: num('BENCH_CLAIM_LARGE', 1_000_000, 20_000),
  claimRuns: num('BENCH_CLAIM_RUNS', 300, 50),
  imports: nums('BENCH_IMPORT', [100_000, 1_000_000], [2_000, 10_000]),
  send: num('BENCH_SEND', 5_000, 300),
  /** Messages and reply delay of the send path's far-server diagnostic. */
  sendFar: num('BENCH_SEND_FAR', 500, 50),
  sendFarDelayMs: num('BENCH_SEND_FAR_DELAY_MS', 5, 5),
  /** Messages each sender sends at Gmail's distance (about a third of a second each). */
  sendGmail: num('BENCH_SEND_GMAIL', 100, 4),
  /** Gmail from a home connection: the round trip, and the time to the reply to the message data. */
  gmailRttMs: num('BENCH_GMAIL_RTT_MS', 30, 30),
  gmailDataMs: num('BENCH_GMAIL_DATA_MS', 250, 250),
  /** Messages each send path runs before it is timed. */
  sendWarmUp: num('BENCH_SEND_WARM_UP', 500, 20),
  quotaDays: num('BENCH_QUOTA_DAYS', 7, 2),
  /** Caps are 100, 180, … 500 times this (the smoke run divides them by 10). */
  quotaCapScale: num('BENCH_QUOTA_CAP_SCALE', 1, 0.1),
  dashboardRuns: num('BENCH_DASHBOARD_RUNS', 10, 5),
  /** The window in Chromium: page loads of each page, rows of the CSV imported in the editor, messages sent while it watches. */
  windowLoads: num('BENCH_WINDOW_LOADS', 5, 1),
  windowImport: num('BENCH_WINDOW_IMPORT', 20_000, 500),
  windowSend: num('BENCH_WINDOW_SEND', 2_000, 50),
  /** Messages in the inbox the mailbox reader looks at (PRODUCT.md §5b). */
  inboxMessages: num('BENCH_INBOX', 10_000, 500),
};

/** BENCH_ONLY=send,import runs only those parts (claim, dashboard, start, import, send, gmail, quota, window, inbox): for working on one. */
export const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
export const wanted = (part: string) => !ONLY || ONLY.has(part);

export interface Row {
  measure: string;
  size: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean | null;
}
export const rows: Row[] = [];
export const results: Record<string, unknown> = {};

export function row(r: Row): void {
  rows.push(r);
  const mark = r.met === null ? 'info' : r.met ? 'MET' : 'MISSED';
  console.log(
    `  ${mark.padEnd(6)} ${r.measure} [${r.size}] ${r.value}${r.baseline ? ` | baseline ${r.baseline}` : ''}${r.ratio ? ` | ${r.ratio}` : ''}`,
  );
}

export const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x)} ms`;
export const fmt = (n: number) => n.toLocaleString('en-US');
export const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function stats(samples: number[]) {
  return {
    runs: samples.length,
    p50: round(percentile(samples, 50)),
    p95: round(percentile(samples, 95)),
    max: round(Math.max(...samples)),
  };
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `trickle-bench-${tag}-`));
}

/** The engine's own better-sqlite3 handle and context (its @internal accessor; the bench only reads them). */
export function internals(engine: Engine): { sqlite: BetterSqlite3.Database; ctx: EngineContext } {
  return engine.internals;
}

export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * The event loop's stalls, two ways: Node's monitorEventLoopDelay histogram (10 ms
 * resolution), and a 5 ms interval timer's gaps past its period, which also count a stall
 * still in progress when it is stopped. The larger maximum is reported, and the timer gaps'
 * 99th percentile (over every tick, so over the whole run's time).
 */
export function watchEventLoop() {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let last = performance.now();
  let gapMax = 0;
  const gaps: number[] = [];
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = Math.max(0, now - last - 5);
    gaps.push(gap);
    gapMax = Math.max(gapMax, gap);
    // BENCH_TRACE=1 prints each long gap, to find which step of an import holds the loop.
    if (process.env.BENCH_TRACE && now - last > Number(process.env.BENCH_TRACE_MS ?? 35))
      console.log(`    gap ${(now - last).toFixed(0)} ms ending at ${now.toFixed(0)}`);
    last = now;
  }, 5);
  return async () => {
    await new Promise((r) => setTimeout(r, 30)); // one more sample after the last stretch
    clearInterval(timer);
    h.disable();
    const eldMaxMs = h.max / 1e6;
    return {
      maxMs: round(Math.max(eldMaxMs, gapMax), 1),
      p99Ms: round(gaps.length ? percentile(gaps, 99) : 0, 1),
      eldMaxMs: round(eldMaxMs, 1),
      eldSamples: h.count,
      timerGapMaxMs: round(gapMax, 1),
      ticks: gaps.length,
    };
  };
}
