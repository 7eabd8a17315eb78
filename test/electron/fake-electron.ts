// A small stand-in for the `electron` module, for `vi.mock('electron', () => import('./fake-electron'))`.
// The Electron binary cannot be downloaded here, so the desktop shell's wiring is tested
// against these fakes: each records what the code under test asked of it and lets a test
// play the user or the system (click a menu item, close the window, quit, send an IPC call).
//
// State is module-level (as Electron's is); `resetFakeElectron()` clears it between tests.

import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

let nextId = 1;

export interface FakeFrame {
  url: string;
  processId: number;
  routingId: number;
}

/** An Electron-style event: preventDefault() is recorded. */
export function fakeEvent<T extends object>(extra: T = {} as T): T & { defaultPrevented: boolean; preventDefault(): void } {
  const event = {
    ...extra,
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true;
    },
  };
  return event;
}

export class FakeWebContents extends EventEmitter {
  readonly id = nextId++;
  readonly mainFrame: FakeFrame;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  readonly sent: unknown[][] = [];
  destroyed = false;

  constructor() {
    super();
    this.mainFrame = { url: '', processId: 100 + this.id, routingId: 1 };
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** A subframe of this page (e.g. the preview iframe). */
  subframe(url: string): FakeFrame {
    return { url, processId: this.mainFrame.processId, routingId: 2 };
  }
}

export class BrowserWindow extends EventEmitter {
  static instances: BrowserWindow[] = [];
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.instances.filter((w) => !w.destroyed);
  }
  readonly webContents = new FakeWebContents();
  visible = false;
  destroyed = false;
  minimized = false;
  readonly loadURL = vi.fn(async (url: string) => {
    this.webContents.mainFrame.url = url;
  });

  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.instances.push(this);
    fake.webContentsCreated(this.webContents);
  }
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  focus(): void {}
  restore(): void {
    this.minimized = false;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** What the user's click on the window's close button does. */
  userClose(): { defaultPrevented: boolean } {
    const event = fakeEvent();
    this.emit('close', event);
    if (!event.defaultPrevented) {
      this.destroyed = true;
      this.webContents.destroyed = true;
      this.emit('closed');
      if (BrowserWindow.getAllWindows().length === 0) app.emit('window-all-closed');
    }
    return event;
  }
}

export interface FakeImage {
  path: string;
  template: boolean;
  setTemplateImage(value: boolean): void;
}

export const nativeImage = {
  createFromPath(path: string): FakeImage {
    return {
      path,
      template: false,
      setTemplateImage(value: boolean) {
        this.template = value;
      },
    };
  },
};

export interface FakeMenuItem {
  label?: string;
  type?: string;
  enabled?: boolean;
  click?: () => void;
}

export const Menu = {
  buildFromTemplate(template: FakeMenuItem[]) {
    return { items: template };
  },
};

export class Tray extends EventEmitter {
  static instances: Tray[] = [];
  image: FakeImage;
  tooltip = '';
  menu: { items: FakeMenuItem[] } | undefined;
  destroyed = false;
  readonly images: FakeImage[] = [];

  constructor(image: FakeImage) {
    super();
    this.image = image;
    this.images.push(image);
    Tray.instances.push(this);
  }
  setImage(image: FakeImage): void {
    this.image = image;
    this.images.push(image);
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: { items: FakeMenuItem[] }): void {
    this.menu = menu;
  }
  destroy(): void {
    this.destroyed = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** The menu's labels, separators as '---'. */
  labels(): string[] {
    return (this.menu?.items ?? []).map((i) => (i.type === 'separator' ? '---' : (i.label ?? '')));
  }
  /** Clicks the menu item with this label. */
  click(label: string): void {
    const item = this.menu?.items.find((i) => i.label === label);
    if (!item?.click) throw new Error(`no clickable menu item “${label}” in ${JSON.stringify(this.labels())}`);
    item.click();
  }
}

export class Notification extends EventEmitter {
  static shown: { title: string; body: string; notification: Notification }[] = [];
  static supported = true;
  static isSupported(): boolean {
    return Notification.supported;
  }
  constructor(readonly options: { title: string; body: string }) {
    super();
  }
  show(): void {
    Notification.shown.push({ title: this.options.title, body: this.options.body, notification: this });
  }
}

class FakeApp extends EventEmitter {
  paths = new Map<string, string>();
  appPath = process.cwd();
  packaged = false;
  gotLock = true;
  private readyNow = false;
  private readyResolve!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.readyResolve = resolve));
  loginItemSettings: { openAtLogin: boolean; args?: string[] }[] = [];
  quitCalls = 0;
  exitCodes: number[] = [];
  userModelId: string | undefined;
  /** Test side: the app becomes ready (whenReady resolves). */
  makeReady(): void {
    this.readyNow = true;
    this.readyResolve();
  }
  isReady(): boolean {
    return this.readyNow;
  }
  get isPackaged(): boolean {
    return this.packaged;
  }
  getPath(name: string): string {
    const path = this.paths.get(name);
    if (!path) throw new Error(`fake app: no path for ${name}`);
    return path;
  }
  setPath(name: string, path: string): void {
    this.paths.set(name, path);
  }
  getAppPath(): string {
    return this.appPath;
  }
  getVersion(): string {
    return '0.1.0-test';
  }
  requestSingleInstanceLock(): boolean {
    return this.gotLock;
  }
  whenReady(): Promise<void> {
    return this.ready;
  }
  setAppUserModelId(id: string): void {
    this.userModelId = id;
  }
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void {
    this.loginItemSettings.push(settings);
  }
  getLoginItemSettings(): { openAtLogin: boolean; wasOpenedAtLogin: boolean } {
    return { openAtLogin: false, wasOpenedAtLogin: false };
  }
  /** Like Electron: emits before-quit, and quits unless a listener prevented it. */
  quit(): void {
    this.quitCalls++;
    const event = fakeEvent();
    this.emit('before-quit', event);
    if (!event.defaultPrevented) this.emit('will-quit');
  }
  exit(code: number): void {
    this.exitCodes.push(code);
  }
}

export const app = new FakeApp();

export const protocol = {
  privileged: [] as { scheme: string; privileges: Record<string, boolean> }[],
  handlers: new Map<string, (request: Request) => Promise<Response>>(),
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void {
    // Electron refuses this once the app is ready.
    if (app.isReady()) throw new Error('protocol.registerSchemesAsPrivileged should be called before app is ready');
    protocol.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void {
    protocol.handlers.set(scheme, handler);
  },
};

type AnyHandler = (...args: any[]) => unknown;

export const ipcMain = {
  handlers: new Map<string, AnyHandler>(),
  handle(channel: string, handler: AnyHandler): void {
    if (ipcMain.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    ipcMain.handlers.set(channel, handler);
  },
  removeHandler(channel: string): void {
    ipcMain.handlers.delete(channel);
  },
};

export interface FakeSession {
  permissionRequest?: (wc: unknown, permission: string, callback: (granted: boolean) => void) => void;
  permissionCheck?: (...args: unknown[]) => boolean;
  devicePermission?: (...args: unknown[]) => boolean;
  setPermissionRequestHandler(h: FakeSession['permissionRequest']): void;
  setPermissionCheckHandler(h: FakeSession['permissionCheck']): void;
  setDevicePermissionHandler(h: FakeSession['devicePermission']): void;
}

function makeSession(): FakeSession {
  const s: FakeSession = {
    setPermissionRequestHandler(h) {
      s.permissionRequest = h;
    },
    setPermissionCheckHandler(h) {
      s.permissionCheck = h;
    },
    setDevicePermissionHandler(h) {
      s.devicePermission = h;
    },
  };
  return s;
}

export const session = { defaultSession: makeSession() };

export const shell = {
  openExternal: vi.fn(async (_url: string) => undefined),
};

export interface FakeMessageBoxOptions {
  type?: string;
  title?: string;
  message: string;
  detail?: string;
  buttons?: string[];
  defaultId?: number;
  cancelId?: number;
}

export const dialog = {
  showErrorBox: vi.fn((_title: string, _content: string) => undefined),
  /** The user's clicks, by button index, taken in order (the cancel button when none is left). */
  answers: [] as number[],
  showMessageBox: vi.fn(async (options: FakeMessageBoxOptions) => ({
    response: dialog.answers.shift() ?? options.cancelId ?? 0,
    checkboxChecked: false,
  })),
};

/** A safeStorage whose "keyring" is a tag per backend: what one backend sealed, another cannot open. */
export const safeStorage = {
  available: true,
  backend: 'gnome_libsecret',
  isEncryptionAvailable(): boolean {
    return safeStorage.available;
  },
  getSelectedStorageBackend(): string {
    return safeStorage.backend;
  },
  encryptString(plainText: string): Buffer {
    if (!safeStorage.available) throw new Error('Encryption is not available.');
    return Buffer.from(`${safeStorage.backend}|${Buffer.from(plainText, 'utf8').toString('hex')}`, 'utf8');
  },
  decryptString(encrypted: Buffer): string {
    const [backend, hex] = encrypted.toString('utf8').split('|');
    if (backend !== safeStorage.backend || hex === undefined) {
      throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    }
    return Buffer.from(hex, 'hex').toString('utf8');
  },
};

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown): void {
    contextBridge.exposed.set(key, api);
  },
};

export const ipcRenderer = Object.assign(new EventEmitter(), {
  invoke: vi.fn(async (..._args: unknown[]): Promise<unknown> => ({ ok: true, value: null })),
});

/** Test-side controls. */
export const fake = {
  webContentsCreated(contents: FakeWebContents): void {
    app.emit('web-contents-created', fakeEvent(), contents);
  },
};

export function resetFakeElectron(): void {
  BrowserWindow.instances = [];
  Tray.instances = [];
  Notification.shown = [];
  Notification.supported = true;
  protocol.privileged = [];
  protocol.handlers.clear();
  ipcMain.handlers.clear();
  session.defaultSession = makeSession();
  shell.openExternal.mockClear();
  dialog.showErrorBox.mockClear();
  dialog.showMessageBox.mockClear();
  dialog.answers = [];
  safeStorage.available = true;
  safeStorage.backend = 'gnome_libsecret';
  contextBridge.exposed.clear();
  ipcRenderer.removeAllListeners();
  ipcRenderer.invoke.mockClear();
}

export default {
  app,
  BrowserWindow,
  Menu,
  Notification,
  Tray,
  contextBridge,
  dialog,
  ipcMain,
  ipcRenderer,
  nativeImage,
  protocol,
  safeStorage,
  session,
  shell,
};
