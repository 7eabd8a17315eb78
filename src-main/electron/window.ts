// ELECTRON — the main window and the one door to the user's browser. The options and the
// navigation rules themselves are in window-security.ts (pure, asserted by tests).

import { BrowserWindow, shell } from 'electron';
import { type MainWindowPaths, mainWindowOptions, safeExternalUrl } from './window-security';

/**
 * The only place Trickle opens anything outside itself: an https: page or a mailto: address,
 * in the user's browser or mail program. Anything else is refused (returns false).
 */
export function openExternalSafely(url: string): boolean {
  const safe = safeExternalUrl(url);
  if (safe === null) return false;
  shell.openExternal(safe).catch(() => undefined);
  return true;
}

export interface MainWindowOptions extends MainWindowPaths {
  /** trickle://app/index.html, or the dev server's address under `electron-vite dev`. */
  startUrl: string;
  /** Read at each close: true hides the window (sending goes on from the tray). */
  hideOnClose: () => boolean;
  /** Show as soon as the page is ready (false when started hidden at login). */
  show: boolean;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const base = mainWindowOptions(options);
  const win = new BrowserWindow({
    ...base,
    webPreferences: {
      ...base.webPreferences,
      // The lock-down again, literally, where the window is made: nothing in `base` can undo
      // it, and a reader (or a scanner such as electronegativity) sees it here.
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
    },
  });
  if (options.show) win.once('ready-to-show', () => win.show());
  win.on('close', (event) => {
    if (options.hideOnClose()) {
      event.preventDefault();
      win.hide();
    }
  });
  void win.loadURL(options.startUrl);
  return win;
}
