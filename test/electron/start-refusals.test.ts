/**
 * The desktop app's start when the engine refuses with a remedy (issue #11, point 8): its
 * database damaged, a backup at hand. The start-up dialog says why and offers to restore the
 * latest good backup; accepted, the backup is put back and Trickle starts, sending paused. On the
 * fake `electron` (test/electron/fake-electron.ts), the whole main process, as main.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEngine } from '../../src-main/engine/engine';
import { EngineError } from '../../src-main/engine/core/errors';
import { INVOKE_CHANNEL } from '../../src-main/electron/ipc-channels';
import { startRemedy } from '../../src-main/electron/start-remedies';
import { overwritePageOf } from '../support/damage';
import { recipientsCsv } from '../support/test-engine';
import { BrowserWindow, app, dialog, ipcMain } from './fake-electron';

vi.mock('electron', () => import('./fake-electron'));

const ROOT = join(import.meta.dirname, '../..');
let appData: string;
let dataDir: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'out/renderer/index.html'))) {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  }
  appData = mkdtempSync(join(tmpdir(), 'trickle-start-refusal-'));
  dataDir = join(appData, 'Trickle');
  app.setPath('appData', appData);
  app.appPath = ROOT;
  Reflect.deleteProperty(process.env, 'TRICKLE_DATA_DIR');
  Reflect.deleteProperty(process.env, 'ELECTRON_RENDERER_URL');
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  vi.spyOn(console, 'error').mockImplementation(() => undefined);

  // Trickle was used here: a campaign, and the day's backup. Then its database is damaged.
  const engine = await createEngine({ dataDir });
  await engine.campaigns.create({ name: 'Members', subject: 'News', text: 'Hello', csv: recipientsCsv(4) });
  await engine.backupIfDue();
  await engine.stop();
  overwritePageOf(join(dataDir, 'trickle.sqlite'), 'campaigns');
}, 300_000);

afterAll(async () => {
  if (ipcMain.handlers.size > 0) app.quit();
  await vi.waitFor(() => expect(ipcMain.handlers.size).toBe(0), { timeout: 10_000 }).catch(() => undefined);
  rmSync(appData, { recursive: true, force: true });
});

function call(name: string, args?: unknown) {
  const w = BrowserWindow.getAllWindows()[0]!;
  return ipcMain.handlers.get(INVOKE_CHANNEL)!({ sender: w.webContents, senderFrame: w.webContents.mainFrame }, name, args) as Promise<{
    ok: boolean;
    value?: unknown;
  }>;
}

describe('the desktop start-up dialog', () => {
  it('offers to restore the latest backup of a damaged database; accepted, Trickle starts on it, sending paused', async () => {
    dialog.answers = [0, 0]; // "Restore the backup of …", then "OK"
    await import('../../src-main/electron/main');
    app.makeReady();
    await vi.waitFor(() => expect(BrowserWindow.instances).toHaveLength(1), { timeout: 10_000 });

    expect(dialog.showMessageBox).toHaveBeenCalledTimes(2);
    const [asked] = dialog.showMessageBox.mock.calls[0]!;
    expect(asked).toMatchObject({
      type: 'error',
      title: 'Trickle could not start',
      detail: expect.stringMatching(
        /^Trickle could not start: its database .*trickle\.sqlite is damaged .*Restore the latest backup \(taken .*\); the damaged file is kept beside it\.$/,
      ),
      buttons: [expect.stringMatching(/^Restore the backup of \d{4}-\d\d-\d\d \d\d:\d\d UTC$/), 'Quit'],
      cancelId: 1,
    });
    const [told] = dialog.showMessageBox.mock.calls[1]!;
    expect(told).toMatchObject({
      type: 'info',
      detail: expect.stringMatching(/^Trickle's database was restored from the backup taken .* Sending is paused/),
    });
    expect(dialog.showErrorBox).not.toHaveBeenCalled();
    expect(app.exitCodes).toEqual([]);

    expect(await call('campaigns.list')).toMatchObject({ ok: true, value: [{ name: 'Members' }] });
    expect(await call('sending.status')).toMatchObject({ ok: true, value: { paused: true } });
    expect(readdirSync(dataDir).some((name) => /^trickle\.sqlite\.damaged-/.test(name))).toBe(true);
  });

  it('the buttons it offers, by remedy', () => {
    expect(
      startRemedy(new EngineError('storage_damaged', 'x', { remedy: 'restore-backup', backup: { takenAt: '2026-11-23T09:00:00.000Z' } })),
    ).toEqual({ kind: 'restore-backup', button: 'Restore the backup of 2026-11-23 09:00 UTC' });
    expect(startRemedy(new EngineError('secret_key_missing', 'x', { remedy: 'replace-lost-key' }))).toEqual({
      kind: 'replace-lost-key',
      button: 'Make a new key (enter the app passwords again)',
    });
    expect(startRemedy(new EngineError('already_running', 'x'))).toBeUndefined();
    expect(startRemedy(new Error('x'))).toBeUndefined();
  });
});
