/**
 * Window security, from Electron's checklist: the BrowserWindow options, the navigation
 * guards, window.open denied (https/mailto to the browser through one vetted function),
 * webviews refused, every permission request and check denied; and the window's own
 * behaviour (close hides it to the tray when the setting is on).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { APP_START_URL, isAppUrl } from '../../src-main/electron/app-protocol';
import {
  denyAllPermissions,
  hardenWebContents,
  mainWindowOptions,
  navigationAllowed,
  safeExternalUrl,
  windowOpenHandler,
} from '../../src-main/electron/window-security';
import { BrowserWindow, FakeWebContents, fakeEvent, session, shell, resetFakeElectron } from './fake-electron';

vi.mock('electron', () => import('./fake-electron'));

beforeEach(() => resetFakeElectron());

const SECURE_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
};

describe('BrowserWindow options', () => {
  it('mainWindowOptions: isolated, sandboxed, no Node, web security on, no webview, the preload given', () => {
    const options = mainWindowOptions({ preload: '/app/out/preload/index.cjs', icon: '/app/resources/icon.png' });
    expect(options.webPreferences).toMatchObject({ ...SECURE_PREFERENCES, preload: '/app/out/preload/index.cjs' });
    expect(options.webPreferences).not.toHaveProperty('enableBlinkFeatures');
    expect(options.webPreferences).not.toHaveProperty('additionalArguments');
    expect(options).toMatchObject({ show: false, title: 'Trickle', icon: '/app/resources/icon.png' });
  });

  it('createMainWindow builds the window with those options and loads trickle://app/index.html', async () => {
    const { createMainWindow } = await import('../../src-main/electron/window');
    const win = createMainWindow({
      preload: '/p.cjs',
      startUrl: APP_START_URL,
      hideOnClose: () => true,
      show: true,
    }) as unknown as BrowserWindow;
    expect(BrowserWindow.instances).toEqual([win]);
    expect(win.options.webPreferences).toMatchObject({ ...SECURE_PREFERENCES, preload: '/p.cjs' });
    expect(win.loadURL).toHaveBeenCalledWith('trickle://app/index.html');
    expect(win.visible).toBe(false);
    win.emit('ready-to-show');
    expect(win.visible).toBe(true);
  });

  it('closing hides the window while "close to tray" is on, and closes it otherwise', async () => {
    const { createMainWindow } = await import('../../src-main/electron/window');
    let closeToTray = true;
    const win = createMainWindow({
      preload: '/p.cjs',
      startUrl: APP_START_URL,
      hideOnClose: () => closeToTray,
      show: true,
    }) as unknown as BrowserWindow;
    win.show();
    expect(win.userClose().defaultPrevented).toBe(true);
    expect(win.visible).toBe(false);
    expect(win.isDestroyed()).toBe(false);
    closeToTray = false;
    expect(win.userClose().defaultPrevented).toBe(false);
    expect(win.isDestroyed()).toBe(true);
  });
});

describe('links that leave Trickle', () => {
  it.each([
    ['https://support.google.com/mail/answer/185833', 'https://support.google.com/mail/answer/185833'],
    ['HTTPS://Example.COM/a b', 'https://example.com/a%20b'],
    ['mailto:club@example.com?subject=Hi', 'mailto:club@example.com?subject=Hi'],
  ])('allows %s', (url, normalised) => {
    expect(safeExternalUrl(url)).toBe(normalised);
  });

  it.each([
    'http://example.com/',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'trickle://app/index.html',
    'smb://host/share',
    'ms-msdt:/id PCWDiagnostic',
    'data:text/html,<script>alert(1)</script>',
    'https://user:pass@example.com/',
    'not a url',
    '',
    `https://example.com/${'a'.repeat(3000)}`,
  ])('refuses %s', (url) => {
    expect(safeExternalUrl(url)).toBeNull();
  });

  it('openExternalSafely is the only door: shell.openExternal only for https: and mailto:', async () => {
    const { openExternalSafely } = await import('../../src-main/electron/window');
    expect(openExternalSafely('https://example.com/help')).toBe(true);
    expect(openExternalSafely('mailto:a@example.com')).toBe(true);
    expect(openExternalSafely('file:///etc/passwd')).toBe(false);
    expect(openExternalSafely('javascript:alert(1)')).toBe(false);
    expect(shell.openExternal.mock.calls).toEqual([['https://example.com/help'], ['mailto:a@example.com']]);
  });
});

describe('navigation and popups', () => {
  it('window.open is always denied; safe links are handed to the vetted opener', () => {
    const opened: string[] = [];
    const handler = windowOpenHandler((url) => opened.push(url));
    for (const url of [
      'https://example.com/',
      'mailto:a@example.com',
      'http://example.com/',
      'trickle://app/index.html',
      'file:///x',
      'about:blank',
    ]) {
      expect(handler({ url })).toEqual({ action: 'deny' });
    }
    expect(opened).toEqual(['https://example.com/', 'mailto:a@example.com']);
  });

  it('the main frame stays on trickle://app; a subframe may also show an inline document', () => {
    expect(navigationAllowed('trickle://app/index.html', true, isAppUrl)).toBe(true);
    expect(navigationAllowed('trickle://app/preview?campaign=1', false, isAppUrl)).toBe(true);
    expect(navigationAllowed('about:srcdoc', false, isAppUrl)).toBe(true);
    for (const url of [
      'https://example.com/',
      'file:///etc/passwd',
      'trickle://other/index.html',
      'about:blank',
      'about:srcdoc',
      'http://localhost:5173/',
    ]) {
      expect(navigationAllowed(url, true, isAppUrl), url).toBe(false);
    }
    expect(navigationAllowed('https://example.com/', false, isAppUrl)).toBe(false);
  });

  it('hardenWebContents: will-navigate, will-frame-navigate and will-redirect away are prevented; <webview> is refused', () => {
    const contents = new FakeWebContents();
    const opened: string[] = [];
    hardenWebContents(contents as never, { isAppUrl, openExternal: (url) => opened.push(url) });

    const navigate = (event: string, url: string, isMainFrame = true) => {
      const e = fakeEvent({ url, isMainFrame });
      contents.emit(event, e);
      return e.defaultPrevented;
    };
    expect(navigate('will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate('will-navigate', 'trickle://app/index.html')).toBe(false);
    expect(navigate('will-frame-navigate', 'https://evil.example/', false)).toBe(true);
    expect(navigate('will-frame-navigate', 'trickle://app/preview?campaign=2', false)).toBe(false);
    expect(navigate('will-redirect', 'https://evil.example/')).toBe(true);

    const webview = fakeEvent();
    contents.emit('will-attach-webview', webview, {}, {});
    expect(webview.defaultPrevented).toBe(true);

    expect(contents.windowOpenHandler!({ url: 'https://example.com/x' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://example.com/x']);
  });

  it('every permission request and check is denied', () => {
    denyAllPermissions(session.defaultSession as never);
    for (const permission of ['notifications', 'media', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen']) {
      const callback = vi.fn();
      session.defaultSession.permissionRequest!({}, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
      expect(session.defaultSession.permissionCheck!({}, permission, 'trickle://app')).toBe(false);
    }
    expect(session.defaultSession.devicePermission!({ deviceType: 'hid' })).toBe(false);
  });
});
