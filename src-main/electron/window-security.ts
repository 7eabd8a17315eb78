// PURE (Electron types only) — the window's lock-down, from Electron's security checklist:
// the BrowserWindow options, what a page may navigate to, what `window.open` does, which
// links leave for the browser, and the session's permission answers. window.ts applies
// these to real Electron objects; tests assert them on plain fakes.

import type { BrowserWindowConstructorOptions, HandlerDetails, Session, WebContents, WindowOpenHandlerResponse } from 'electron';

export interface MainWindowPaths {
  /** out/preload/index.cjs */
  preload: string;
  /** The window icon (Linux, Windows). */
  icon?: string;
}

/** The main window's options. Every security-relevant preference is spelled out. */
export function mainWindowOptions(paths: MainWindowPaths): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 520,
    show: false,
    title: 'Trickle',
    ...(paths.icon ? { icon: paths.icon } : {}),
    autoHideMenuBar: true,
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: true,
      // Middle-click would otherwise ask for a new window (refused anyway by the open handler).
      disableBlinkFeatures: 'Auxclick',
    },
  };
}

/**
 * The only links that leave Trickle: https: pages and mailto: addresses, opened in the
 * user's browser or mail program. Returns the URL to open, normalised, or null.
 */
export function safeExternalUrl(url: unknown): string | null {
  if (typeof url !== 'string' || url.length === 0 || url.length > 2048) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol === 'https:') {
    if (!parsed.hostname || parsed.username || parsed.password) return null;
    return parsed.href;
  }
  if (parsed.protocol === 'mailto:') return parsed.href;
  return null;
}

/**
 * Whether a frame may go to `url`. The main frame stays on Trickle's own pages; a subframe
 * (the message preview) may show Trickle's pages or an inline document.
 */
export function navigationAllowed(url: string, isMainFrame: boolean, isAppUrl: (url: string) => boolean): boolean {
  if (isAppUrl(url)) return true;
  return !isMainFrame && (url === 'about:srcdoc' || url === 'about:blank');
}

/** `window.open` / target=_blank: never a new Electron window; safe links go to the browser. */
export function windowOpenHandler(
  openExternal: (url: string) => unknown,
): (details: Pick<HandlerDetails, 'url'>) => WindowOpenHandlerResponse {
  return ({ url }) => {
    if (safeExternalUrl(url) !== null) openExternal(url);
    return { action: 'deny' };
  };
}

type GuardedContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/**
 * Applies the navigation and popup rules to a page (every WebContents Trickle ever has,
 * through app 'web-contents-created'): no navigation or redirect away, no new windows, no
 * <webview>.
 */
export function hardenWebContents(
  contents: GuardedContents,
  rules: { isAppUrl: (url: string) => boolean; openExternal: (url: string) => unknown },
): void {
  contents.setWindowOpenHandler(windowOpenHandler(rules.openExternal));
  contents.on('will-navigate', (event) => {
    if (!navigationAllowed(event.url, true, rules.isAppUrl)) event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    if (!navigationAllowed(event.url, event.isMainFrame, rules.isAppUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!navigationAllowed(event.url, event.isMainFrame, rules.isAppUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

type LockableSession = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'>;

/** Trickle's pages need no permission at all (camera, notifications, clipboard, HID…): every request and check says no. */
export function denyAllPermissions(session: LockableSession): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
