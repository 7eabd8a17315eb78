/**
 * The whole main process (src-main/electron/main.ts) on a fake `electron`: what it does
 * before the app is ready, what it builds when it is (engine in the user-data folder, the
 * trickle:// scheme, IPC, the window, the tray, notifications), how the window's close and
 * a second launch behave, and the graceful quit. The Electron binary cannot run here; this is
 * the closest this machine gets to `npm start`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_CSP, APP_START_URL } from '../../src-main/electron/app-protocol';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../../src-main/electron/ipc-channels';
import { type TestGmail, startTestGmail } from '../support/test-gmail';
import { BrowserWindow, Notification, Tray, app, fakeEvent, ipcMain, protocol, session, shell } from './fake-electron';

vi.mock('electron', () => import('./fake-electron'));

const ROOT = join(import.meta.dirname, '../..');
let appData: string;
let gmail: TestGmail;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'out/renderer/index.html'))) {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  }
  appData = mkdtempSync(join(tmpdir(), 'trickle-main-'));
  app.setPath('appData', appData);
  app.appPath = ROOT;
  Reflect.deleteProperty(process.env, 'TRICKLE_DATA_DIR');
  Reflect.deleteProperty(process.env, 'ELECTRON_RENDERER_URL');
  // main.ts logs to the console, as the app does; keep the test output readable.
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  gmail = await startTestGmail({ accounts: [{ email: 'club@gmail.test', appPassword: 'rightrightrightr' }] });
}, 300_000);

afterAll(async () => {
  // Whatever happened, stop the engine (the app's before-quit does it).
  if (ipcMain.handlers.size > 0) app.quit();
  await vi.waitFor(() => expect(ipcMain.handlers.size).toBe(0), { timeout: 10_000 }).catch(() => undefined);
  await gmail.close();
  rmSync(appData, { recursive: true, force: true });
});

function win(): BrowserWindow {
  const w = BrowserWindow.getAllWindows()[0];
  if (!w) throw new Error('no window');
  return w;
}

function call(name: string, args?: unknown, from?: { sender: unknown; senderFrame: unknown }) {
  const handler = ipcMain.handlers.get(INVOKE_CHANNEL);
  if (!handler) throw new Error('trickle:invoke is not registered');
  const w = win();
  return handler(from ?? { sender: w.webContents, senderFrame: w.webContents.mainFrame }, name, args) as Promise<{
    ok: boolean;
    value?: Record<string, unknown>;
    error?: { code: string; message: string };
  }>;
}

describe('main process', () => {
  it('before ready: user-data folder, single-instance lock, trickle:// privileged; nothing else yet', async () => {
    await import('../../src-main/electron/main');
    expect(app.getPath('userData')).toBe(join(appData, 'Trickle'));
    expect(protocol.privileged).toEqual([
      { scheme: 'trickle', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
    ]);
    expect(app.listenerCount('second-instance')).toBe(1);
    expect(app.listenerCount('web-contents-created')).toBe(1);
    expect(BrowserWindow.instances).toHaveLength(0);
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('on ready: engine in the user-data folder, locked-down session, trickle:// served, IPC, tray, window', async () => {
    app.makeReady();
    await vi.waitFor(() => expect(BrowserWindow.instances).toHaveLength(1), { timeout: 10_000 });
    expect(existsSync(join(appData, 'Trickle', 'trickle.sqlite'))).toBe(true);

    const w = win();
    expect(w.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      preload: join(ROOT, 'out', 'preload', 'index.cjs'),
    });
    expect(w.loadURL).toHaveBeenCalledWith(APP_START_URL);
    w.emit('ready-to-show');
    expect(w.visible).toBe(true);

    const page = await protocol.handlers.get('trickle')!(new Request(APP_START_URL));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(APP_CSP);
    expect(await page.text()).toMatch(/<div id="root">/);

    const denied = vi.fn();
    session.defaultSession.permissionRequest!({}, 'media', denied);
    expect(denied).toHaveBeenCalledWith(false);
    expect(session.defaultSession.permissionCheck!({}, 'notifications', 'trickle://app')).toBe(false);

    expect(Tray.instances).toHaveLength(1);
    await vi.waitFor(() =>
      expect(Tray.instances[0]!.labels()).toEqual(['Idle: nothing left to send', '---', 'Open Trickle', 'Pause sending', '---', 'Quit']),
    );
    expect(Tray.instances[0]!.image.path).toBe(join(ROOT, 'resources', 'tray-idle.png'));
  });

  it('the window’s page is guarded: no navigation away, no popups (https goes to the browser), no webview', () => {
    const contents = win().webContents;
    const away = fakeEvent({ url: 'https://evil.example/', isMainFrame: true });
    contents.emit('will-navigate', away);
    expect(away.defaultPrevented).toBe(true);
    expect(contents.windowOpenHandler!({ url: 'https://support.google.com/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(shell.openExternal.mock.calls).toEqual([['https://support.google.com/']]);
    const webview = fakeEvent();
    contents.emit('will-attach-webview', webview);
    expect(webview.defaultPrevented).toBe(true);
  });

  it('IPC answers the window, refuses others, validates, and serves the desktop settings', async () => {
    expect(await call('app.info')).toMatchObject({ ok: true, value: { door: 'desktop', dataDir: join(appData, 'Trickle') } });
    const w = win();
    const frame = { ...w.webContents.mainFrame, routingId: 7 };
    expect(await call('sending.pause', undefined, { sender: w.webContents, senderFrame: frame })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await call('sending.status')).toMatchObject({ ok: true, value: { paused: false } });
    expect(await call('campaigns.get', { id: -1 })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await call('desktop.settings.get')).toMatchObject({
      ok: true,
      value: { closeToTray: true, startAtLogin: false, secretStorage: { backend: 'gnome_libsecret', canStore: true } },
    });
  });

  it('pausing from the tray reaches the engine and the window hears of it', async () => {
    const tray = Tray.instances[0]!;
    tray.click('Pause sending');
    await vi.waitFor(async () => expect(await call('sending.status')).toMatchObject({ value: { paused: true } }));
    await vi.waitFor(() => expect(tray.labels()).toContain('Resume sending'));
    expect(win().webContents.sent).toContainEqual([EVENT_CHANNEL, 'status', null]);
    tray.click('Resume sending');
    await vi.waitFor(async () => expect(await call('sending.status')).toMatchObject({ value: { paused: false } }));
  });

  it('an account that needs a new app password: notification, and the tray needs attention', async () => {
    const added = await call('accounts.add', {
      email: 'club@gmail.test',
      appPassword: 'wrongwrongwrongw',
      host: gmail.host,
      port: gmail.port,
      security: 'none',
      verify: false,
    });
    expect(added).toMatchObject({ ok: true });
    const verified = await call('accounts.verify', { id: added.value!.id });
    expect(verified).toMatchObject({ ok: true, value: { state: 'auth_failed' } });
    await vi.waitFor(() => expect(Notification.shown.map((n) => n.title)).toContain('An account needs attention'));
    const notice = Notification.shown.find((n) => n.title === 'An account needs attention')!;
    expect(notice.body).toMatch(/^club@gmail\.test: /);
    await vi.waitFor(() => expect(Tray.instances[0]!.image.path).toBe(join(ROOT, 'resources', 'tray-attention.png')));
    expect(Tray.instances[0]!.tooltip).toBe('Trickle — needs attention: 1 account needs a new app password');

    // Clicking the notification brings the window forward.
    win().hide();
    notice.notification.emit('click');
    expect(win().visible).toBe(true);
  });

  it('closing the window keeps Trickle in the tray; a second launch or "Open Trickle" shows it again', async () => {
    const w = win();
    expect(w.userClose().defaultPrevented).toBe(true);
    expect(w.visible).toBe(false);
    expect(ipcMain.handlers.has(INVOKE_CHANNEL)).toBe(true);
    app.emit('second-instance', fakeEvent(), ['trickle']);
    expect(w.visible).toBe(true);
    w.hide();
    Tray.instances[0]!.click('Open Trickle');
    expect(w.visible).toBe(true);
    expect(BrowserWindow.getAllWindows()).toHaveLength(1);
  });

  it('with "close to tray" off, closing the window quits — after the engine has stopped', async () => {
    expect(await call('desktop.settings.update', { closeToTray: false })).toMatchObject({ ok: true, value: { closeToTray: false } });
    const quitsBefore = app.quitCalls;
    const willQuit = vi.fn();
    app.on('will-quit', willQuit);
    expect(win().userClose().defaultPrevented).toBe(false);
    // window-all-closed → app.quit() → before-quit held while the engine stops → app.quit() again.
    await vi.waitFor(() => expect(willQuit).toHaveBeenCalledTimes(1), { timeout: 10_000 });
    expect(app.quitCalls).toBe(quitsBefore + 2);
    expect(app.exitCodes).toEqual([]);
    expect(ipcMain.handlers.has(INVOKE_CHANNEL)).toBe(false);
    expect(Tray.instances[0]!.destroyed).toBe(true);
  });
});
