// ELECTRON — Trickle's main process (built to out/main/index.js): the app's lifecycle and the
// wiring of the desktop door. Everything that decides something lives in the pure modules
// beside this file; this one only connects them to Electron.
//
//   before ready  user-data folder, single-instance lock, trickle:// registered as privileged
//   on ready      desktop settings → secret store (safeStorage) → engine, started (a refusal
//                 that names a remedy — restore a backup, make a new key — is offered in a
//                 dialog) → trickle:// served → IPC → tray, notifications → window
//   on quit       before-quit is held until engine.stop() has let the message in hand finish

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserWindow, Notification, app, dialog, ipcMain, safeStorage, session } from 'electron';
import { createApiHandlers, invoke } from '../api/handlers';
import { type Engine, consoleLogger, createEngine, restoreFromBackup } from '../engine';
import { APP_ID, PRODUCT_NAME } from './app-id';
import { APP_START_URL, isAppUrl } from './app-protocol';
import { createDesktopServices } from './desktop-api';
import { DesktopSettingsFile } from './desktop-settings';
import { createInvokeHandler, forwardEngineEvents, registerInvoke } from './ipc-bridge';
import { applyStartAtLogin, startedHidden } from './login-item';
import { type Notice, watchNotices } from './notices';
import { registerAppScheme, serveAppScheme } from './protocol';
import { createQuitGuard } from './quit';
import { StartDeclined, startRemedy } from './start-remedies';
import { SafeStorageSecretStore } from './secret-storage';
import { type TrickleTray, createTray } from './tray';
import { createMainWindow, openExternalSafely } from './window';
import { denyAllPermissions, hardenWebContents } from './window-security';

// Built layout (electron-vite), from the app's root (the project folder, or app.asar when
// packaged): out/main/index.js (this file), out/preload/index.cjs, out/renderer/, and
// resources/ (unpacked beside the asar when packaged).
const APP_ROOT = app.getAppPath();
const PRELOAD_PATH = join(APP_ROOT, 'out', 'preload', 'index.cjs');
const RENDERER_DIR = join(APP_ROOT, 'out', 'renderer');
const RESOURCES_DIR = unpacked(join(APP_ROOT, 'resources'));

/** Set by `electron-vite dev` to the renderer's dev-server address; never in a packaged app. */
const DEV_SERVER_URL = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;

const logger = consoleLogger;

/** Files listed in electron-builder.yml's asarUnpack live beside the archive, not in it. */
function unpacked(path: string): string {
  return path.replace(/([\\/])app\.asar(?=[\\/]|$)/, '$1app.asar.unpacked');
}

/** Our pages: trickle://app/…, or the dev server under `electron-vite dev`. */
function isOurPage(url: string): boolean {
  if (isAppUrl(url)) return true;
  if (!DEV_SERVER_URL) return false;
  try {
    return new URL(url).origin === new URL(DEV_SERVER_URL).origin;
  } catch {
    return false;
  }
}

// ---- Before ready ------------------------------------------------------------------------

// The same per-user folder as headless mode's default (src-main/headless/data-dir.ts), so both
// open one database. TRICKLE_DATA_DIR points a test run elsewhere.
app.setPath('userData', process.env.TRICKLE_DATA_DIR || join(app.getPath('appData'), PRODUCT_NAME));
registerAppScheme();

let mainWindow: BrowserWindow | null = null;
let showWindow: () => void = () => undefined;

if (!app.requestSingleInstanceLock()) {
  // Another Trickle runs with this data: it gets a 'second-instance' event and shows its window.
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  // Every page Trickle ever hosts — the window, the preview frame's contents, anything a bug
  // might create — gets the same rules: no navigation away, no popups, no <webview>.
  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents, { isAppUrl: isOurPage, openExternal: openExternalSafely });
  });
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      logger.error('Trickle could not start', { error: String(error) });
      // Declined in the start-up dialog, which already showed why.
      if (!(error instanceof StartDeclined))
        dialog.showErrorBox('Trickle could not start', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });
}

// ---- On ready ----------------------------------------------------------------------------

/**
 * Opens the engine and starts it (ownership, recovery). When it refuses with a remedy — its
 * database damaged or lost with a backup at hand, or the key to the stored passwords gone — the
 * user is asked in a dialog; if they accept, it is applied and the start tried again.
 */
async function openEngine(dataDir: string, secrets: SafeStorageSecretStore): Promise<{ engine: Engine; recovered: { inDoubt: number } }> {
  let replaceLostKey = false;
  for (;;) {
    let engine: Engine | undefined;
    try {
      engine = await createEngine({ dataDir, secrets, logger, replaceLostKey });
      return { engine, recovered: await engine.start() };
    } catch (error) {
      await engine?.stop().catch(() => undefined);
      const remedy = startRemedy(error);
      if (!remedy) throw error;
      const { response } = await dialog.showMessageBox({
        type: 'error',
        title: 'Trickle could not start',
        message: 'Trickle could not start',
        detail: (error as Error).message,
        buttons: [remedy.button, 'Quit'],
        defaultId: 0,
        cancelId: 1,
        noLink: true,
      });
      if (response !== 0) throw new StartDeclined((error as Error).message);
      if (remedy.kind === 'replace-lost-key') {
        replaceLostKey = true;
      } else {
        const restored = await restoreFromBackup({ dataDir, logger });
        await dialog.showMessageBox({
          type: 'info',
          title: 'Backup restored',
          message: 'Trickle’s database was restored',
          detail: restored.message,
          buttons: ['OK'],
        });
      }
    }
  }
}

async function start(): Promise<void> {
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  const dataDir = app.getPath('userData');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  const settings = DesktopSettingsFile.load(dataDir, logger);
  const secrets = new SafeStorageSecretStore({ safeStorage, platform: process.platform, settings, dataDir });
  const secretStatus = secrets.status();
  logger.info('password storage', { backend: secretStatus.backend, protection: secretStatus.protection, canStore: secretStatus.canStore });
  if (secretStatus.previousBackend) {
    logger.warn('password storage changed since the last password was saved', {
      from: secretStatus.previousBackend,
      to: secretStatus.writesWith,
    });
  }

  const { engine, recovered } = await openEngine(dataDir, secrets);
  const loginItem = (enabled: boolean) =>
    applyStartAtLogin(enabled, {
      platform: process.platform,
      setLoginItemSettings: (s) => app.setLoginItemSettings(s),
      executable: process.env.APPIMAGE || process.execPath,
    });
  const desktop = createDesktopServices({ settings, secretStatus: () => secrets.status(), applyStartAtLogin: loginItem });
  const handlers = createApiHandlers(engine, { version: app.getVersion(), door: 'desktop' }, desktop);
  const onUnexpected = (error: unknown, method: string) => logger.error('API method failed', { method, error: String(error) });

  denyAllPermissions(session.defaultSession);
  serveAppScheme({ rendererDir: RENDERER_DIR, handlers, onUnexpected });
  const removeInvoke = registerInvoke(
    ipcMain,
    createInvokeHandler({
      getWindow: () => mainWindow,
      isAppUrl: isOurPage,
      call: (name, args) => invoke(handlers, name, args, onUnexpected),
      onRefused: (name, url) => logger.warn('IPC call refused: not from Trickle’s window', { method: name, url }),
    }),
  );
  const stopForwarding = forwardEngineEvents(engine.events, () => mainWindow?.webContents);

  let tray: TrickleTray | undefined;
  let stopNotices: () => void = () => undefined;
  const quitGuard = createQuitGuard({
    async stop() {
      tray?.destroy();
      stopNotices();
      stopForwarding();
      removeInvoke();
      await engine.stop();
      logger.info('stopped; nothing queued was lost');
    },
    quit: () => app.quit(),
    exit: (code) => app.exit(code),
    log: logger,
  });
  app.on('before-quit', (event) => quitGuard.beforeQuit(event));

  if (recovered.inDoubt > 0) {
    logger.warn('messages in doubt after the last stop', { inDoubt: recovered.inDoubt });
  }

  showWindow = () => {
    if (quitGuard.quitting) return;
    if (!mainWindow || mainWindow.isDestroyed()) {
      mainWindow = createMainWindow({
        preload: PRELOAD_PATH,
        icon: join(RESOURCES_DIR, 'icon.png'),
        startUrl: DEV_SERVER_URL ?? APP_START_URL,
        hideOnClose: () => settings.get().closeToTray && !quitGuard.quitting,
        show: true,
      });
      const created = mainWindow;
      created.on('closed', () => {
        if (mainWindow === created) mainWindow = null;
      });
      return;
    }
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  };

  tray = createTray({
    engine,
    iconDir: RESOURCES_DIR,
    platform: process.platform,
    onOpen: () => showWindow(),
    onQuit: () => app.quit(),
    log: logger,
  });
  const showNotice = (notice: Notice) => {
    if (!Notification.isSupported()) return;
    const n = new Notification({ title: notice.title, body: notice.body });
    n.on('click', () => showWindow());
    n.show();
  };
  stopNotices = watchNotices(engine, showNotice, logger);

  // Keep the login item pointing at this copy of Trickle (it may have been moved or updated).
  if (app.isPackaged && settings.get().startAtLogin) {
    try {
      loginItem(true);
    } catch (error) {
      logger.warn('could not refresh the login item', { error: String(error) });
    }
  }

  // Closing the window with "close to tray" off: nothing keeps Trickle open, so it quits.
  app.on('window-all-closed', () => app.quit());
  // macOS: clicking the Dock icon brings the window back.
  app.on('activate', () => showWindow());

  const wasOpenedAtLogin = process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
  if (!startedHidden(process.argv, wasOpenedAtLogin)) showWindow();
}
