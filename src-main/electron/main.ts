// Trickle's Electron main process — a placeholder shell.
//
// It opens one locked-down window on the renderer and nothing else. The engine, the IPC
// handlers (see ipc-channels.ts), the tray, notifications and the safeStorage secret store
// arrive in a later release; until then this file deliberately imports nothing from
// src-main/engine.

import { join } from 'node:path';
import { app, BrowserWindow, session, shell } from 'electron';
import appIcon from '../../resources/icon.png?asset';

// Built layout (electron-vite): out/main/index.js (this file), out/preload/index.cjs,
// out/renderer/index.html.
const PRELOAD_PATH = join(import.meta.dirname, '../preload/index.cjs');
const RENDERER_HTML = join(import.meta.dirname, '../renderer/index.html');

/** Set by `electron-vite dev` to the renderer's dev-server origin; unset in a built app. */
const DEV_SERVER_URL = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];

let mainWindow: BrowserWindow | null = null;

function isAppUrl(url: string): boolean {
  if (DEV_SERVER_URL) return new URL(url).origin === new URL(DEV_SERVER_URL).origin;
  return url.startsWith('file://');
}

function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 520,
    show: false,
    title: 'Trickle',
    icon: appIcon,
    autoHideMenuBar: true,
    webPreferences: {
      preload: PRELOAD_PATH,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      spellcheck: true,
    },
  });

  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });

  // The window shows Trickle's own page and nothing else: links to the web open in the
  // user's browser, every other navigation or popup is refused.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//i.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });

  if (DEV_SERVER_URL) {
    void win.loadURL(DEV_SERVER_URL);
  } else {
    void win.loadFile(RENDERER_HTML);
  }
  return win;
}

function showMainWindow(): void {
  if (!mainWindow || mainWindow.isDestroyed()) {
    mainWindow = createMainWindow();
    return;
  }
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

// One Trickle at a time: a second launch focuses the first one's window and exits.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (app.isReady()) showMainWindow();
  });

  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  void app.whenReady().then(() => {
    // The page asks for no permissions (camera, notifications, geolocation, …): refuse all.
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

    showMainWindow();

    // macOS: clicking the dock icon with no window open brings one back.
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) showMainWindow();
    });
  });

  // Until the tray arrives, closing the last window quits (except on macOS, by convention).
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
