import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchTestChromium } from '../../support/chromium';

const ROOT = join(import.meta.dirname, '../../..');
export const SCREENSHOT_DIR = join(ROOT, 'test-artifacts', 'screenshots');

export interface RunningApp {
  /** The link `npm run serve` printed, token included. */
  link: string;
  origin: string;
  token: string;
  output: () => string;
  /** Ctrl-C, as a user would; resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
}

/**
 * Starts the built headless app (what `npm run serve` runs after building) as its own
 * process, on a free port and the given data directory, and waits for its link.
 */
export async function startApp(dataDir: string, env: Record<string, string> = {}): Promise<RunningApp> {
  const entry = join(ROOT, 'out/headless/serve.js');
  if (!existsSync(entry)) throw new Error('out/headless/serve.js is missing: run `npm run build` first (npm test does).');
  const child: ChildProcess = spawn(process.execPath, [entry, '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const link = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app printed no link in 15 s:\n${output}`)), 15_000);
    const check = () => {
      const match = /^Open (http:\/\/\S+)\r?\n/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`the app exited before printing its link:\n${output}`)));
  });
  const url = new URL(link);
  return {
    link,
    origin: url.origin,
    token: url.searchParams.get('token')!,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

/**
 * A headless Chromium for the browser tests: TRICKLE_CHROMIUM, else the system's, else the one
 * that `npm install` brought (test/support/chromium.ts). A missing browser fails the test; it
 * never skips.
 */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return launchTestChromium();
}

/** Calls the running app's API with its token, as a script would. */
export async function api<T = unknown>(app: RunningApp, method: string, args: unknown = {}): Promise<T> {
  const response = await fetch(`${app.origin}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(args),
  });
  const body = (await response.json()) as { ok: boolean; value?: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${method} failed: ${body.error?.message}`);
  return body.value as T;
}
