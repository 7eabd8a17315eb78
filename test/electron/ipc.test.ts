/**
 * The desktop door's IPC: a call is answered only from our window's main frame showing a
 * trickle://app page — anything else gets a `forbidden` envelope and nothing runs; arguments
 * are validated before anything runs; engine events reach the window; and the preload bridge
 * exposes exactly invoke() and on(), never ipcRenderer or the event object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiHandlers, invoke } from '../../src-main/api/handlers';
import { APP_START_URL, isAppUrl } from '../../src-main/electron/app-protocol';
import { createDesktopServices } from '../../src-main/electron/desktop-api';
import { DesktopSettingsFile } from '../../src-main/electron/desktop-settings';
import { FORBIDDEN, createInvokeHandler, forwardEngineEvents, registerInvoke } from '../../src-main/electron/ipc-bridge';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../../src-main/electron/ipc-channels';
import { type Engine, createEngine } from '../../src-main/engine/engine';
import { BrowserWindow, type FakeFrame, ipcMain, resetFakeElectron } from './fake-electron';

vi.mock('electron', () => import('./fake-electron'));

let dir: string;
let engine: Engine;
let window: BrowserWindow;
let invokeHandler: ReturnType<typeof createInvokeHandler>;
let calls: string[];
let refused: string[];

beforeEach(async () => {
  resetFakeElectron();
  dir = mkdtempSync(join(tmpdir(), 'trickle-ipc-'));
  engine = await createEngine({ dataDir: dir });
  const settings = DesktopSettingsFile.load(dir);
  const desktop = createDesktopServices({
    settings,
    secretStatus: () => ({
      backend: 'gnome_libsecret',
      protection: 'os',
      weakAccepted: false,
      canStore: true,
      writesWith: 'gnome_libsecret',
    }),
    applyStartAtLogin: () => undefined,
  });
  const handlers = createApiHandlers(engine, { version: 'test', door: 'desktop' }, desktop);
  window = new BrowserWindow({});
  await window.loadURL(APP_START_URL);
  calls = [];
  refused = [];
  invokeHandler = createInvokeHandler({
    getWindow: () => window,
    isAppUrl,
    call: (name, args) => {
      calls.push(name);
      return invoke(handlers, name, args);
    },
    onRefused: (name) => refused.push(name),
  });
});
afterEach(async () => {
  await engine.stop();
  rmSync(dir, { recursive: true, force: true });
});

const fromOurPage = () => ({ sender: window.webContents, senderFrame: window.webContents.mainFrame });

describe('trickle:invoke', () => {
  it('answers our window’s main frame with the method’s envelope', async () => {
    const answer = await invokeHandler(fromOurPage(), 'sending.status', undefined);
    expect(answer).toMatchObject({ ok: true, value: { paused: false, queued: 0 } });
    expect(await invokeHandler(fromOurPage(), 'app.info', {})).toMatchObject({ ok: true, value: { door: 'desktop', version: 'test' } });
    expect(await invokeHandler(fromOurPage(), 'desktop.settings.get', undefined)).toMatchObject({
      ok: true,
      value: { closeToTray: true, secretStorage: { canStore: true } },
    });
  });

  const foreign: [string, () => { sender: unknown; senderFrame: FakeFrame | null }][] = [
    [
      'another window',
      () => {
        const other = new BrowserWindow({});
        other.webContents.mainFrame.url = APP_START_URL;
        return { sender: other.webContents, senderFrame: other.webContents.mainFrame };
      },
    ],
    [
      'a subframe of our window (the preview)',
      () => ({
        sender: window.webContents,
        senderFrame: window.webContents.subframe(`${APP_START_URL.replace('index.html', 'preview')}?campaign=1`),
      }),
    ],
    [
      'our main frame showing a web page',
      () => ({ sender: window.webContents, senderFrame: { ...window.webContents.mainFrame, url: 'https://evil.example/' } }),
    ],
    [
      'our main frame showing a file:// page',
      () => ({ sender: window.webContents, senderFrame: { ...window.webContents.mainFrame, url: 'file:///tmp/x.html' } }),
    ],
    [
      'trickle:// with another host',
      () => ({ sender: window.webContents, senderFrame: { ...window.webContents.mainFrame, url: 'trickle://evil/index.html' } }),
    ],
    ['a frame that is gone (null senderFrame)', () => ({ sender: window.webContents, senderFrame: null })],
    [
      'a frame from another process',
      () => ({ sender: window.webContents, senderFrame: { ...window.webContents.mainFrame, processId: 9999 } }),
    ],
  ];

  it.each(foreign)('refuses %s: forbidden envelope, nothing runs', async (_label, event) => {
    const answer = await invokeHandler(event(), 'sending.pause', undefined);
    expect(answer).toEqual(FORBIDDEN);
    expect(answer).toEqual({
      ok: false,
      error: { code: 'forbidden', message: expect.stringMatching(/did not come from Trickle’s window/) },
    });
    expect(calls).toEqual([]);
    expect(refused).toEqual(['sending.pause']);
    expect((await engine.sending.status()).paused).toBe(false);
  });

  it('refuses everything once the window is destroyed', async () => {
    window.destroyed = true;
    expect(await invokeHandler(fromOurPage(), 'campaigns.list', undefined)).toEqual(FORBIDDEN);
    expect(calls).toEqual([]);
  });

  it('validates arguments with the contract’s schemas before anything runs', async () => {
    const badAccount = await invokeHandler(fromOurPage(), 'accounts.add', { email: 'not an address', appPassword: 'x' });
    expect(badAccount).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await engine.accounts.list()).toEqual([]);

    const before = await engine.settings.get();
    const badSettings = await invokeHandler(fromOurPage(), 'settings.update', { batchSize: -5, sneaky: true });
    expect(badSettings).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await engine.settings.get()).toEqual(before);

    const extra = await invokeHandler(fromOurPage(), 'sending.pause', { now: true });
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect((await engine.sending.status()).paused).toBe(false);

    expect(await invokeHandler(fromOurPage(), 'campaigns.get', { id: 'one' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', field: 'id' },
    });
    expect(await invokeHandler(fromOurPage(), 'desktop.settings.update', { closeToTray: 1 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
  });

  it('an unknown method or a name that is not a string is an error envelope', async () => {
    expect(await invokeHandler(fromOurPage(), 'engine.stop', undefined)).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(await invokeHandler(fromOurPage(), { toString: () => 'sending.pause' }, undefined)).toMatchObject({
      ok: false,
      error: { code: 'unknown_method' },
    });
    expect(await invokeHandler(fromOurPage(), '__proto__', undefined)).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect((await engine.sending.status()).paused).toBe(false);
  });

  it('is registered on the one invoke channel, and can be removed', async () => {
    const remove = registerInvoke(ipcMain, invokeHandler);
    const registered = ipcMain.handlers.get(INVOKE_CHANNEL)!;
    expect(INVOKE_CHANNEL).toBe('trickle:invoke');
    expect(await registered(fromOurPage(), 'sending.pause', undefined)).toMatchObject({ ok: true, value: { paused: true } });
    remove();
    expect(ipcMain.handlers.has(INVOKE_CHANNEL)).toBe(false);
  });
});

describe('engine events to the window', () => {
  it('forwards each event as (name, payload) on trickle:event; status carries null', async () => {
    const stop = forwardEngineEvents(engine.events, () => window.webContents);
    await engine.sending.pause();
    engine.events.emit('batch', { batchId: 3, sent: 10, failed: 0, remaining: 234 });
    expect(window.webContents.sent).toContainEqual([EVENT_CHANNEL, 'status', null]);
    expect(window.webContents.sent).toContainEqual([EVENT_CHANNEL, 'batch', { batchId: 3, sent: 10, failed: 0, remaining: 234 }]);
    const count = window.webContents.sent.length;
    window.webContents.destroyed = true;
    engine.events.emit('status');
    expect(window.webContents.sent).toHaveLength(count);
    window.webContents.destroyed = false;
    stop();
    engine.events.emit('status');
    expect(window.webContents.sent).toHaveLength(count);
    expect(EVENT_CHANNEL).toBe('trickle:event');
  });

  it('sends nothing while there is no window', () => {
    const stop = forwardEngineEvents(engine.events, () => null);
    expect(() => engine.events.emit('status')).not.toThrow();
    stop();
  });
});

describe('preload bridge (src-main/preload/index.ts)', () => {
  interface Bridge {
    invoke(name: string, args?: unknown): Promise<unknown>;
    on(event: string, listener: (payload: unknown) => void): () => void;
  }

  /** A fresh preload on a fresh fake electron, as in a newly loaded page. */
  async function loadBridge() {
    vi.resetModules();
    const electron = (await import('electron')) as unknown as typeof import('./fake-electron');
    await import('../../src-main/preload/index');
    return { bridge: electron.contextBridge.exposed.get('trickle') as Bridge, electron };
  }

  it('exposes window.trickle with invoke and on, and nothing else', async () => {
    const { bridge, electron } = await loadBridge();
    expect([...electron.contextBridge.exposed.keys()]).toEqual(['trickle']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'on']);
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Object.values(bridge).every((v) => typeof v === 'function')).toBe(true);
    expect(Object.values(bridge)).not.toContain(electron.ipcRenderer);
  });

  it('invoke(name, args) goes to trickle:invoke and returns the envelope', async () => {
    const { bridge, electron } = await loadBridge();
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: 42 });
    expect(await bridge.invoke('campaigns.list', { a: 1 })).toEqual({ ok: true, value: 42 });
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith(INVOKE_CHANNEL, 'campaigns.list', { a: 1 });
    expect(() => bridge.invoke('' as string)).toThrow(TypeError);
    expect(() => bridge.invoke(7 as unknown as string)).toThrow(TypeError);
  });

  it('on(event, listener) passes the payload only, filters by name, and unsubscribes', async () => {
    const { bridge, electron } = await loadBridge();
    const ipc = electron.ipcRenderer;
    const got: unknown[][] = [];
    const listener = (...args: unknown[]) => got.push(args);
    const off = bridge.on('batch', listener);
    const offStatus = bridge.on('status', listener);
    const ipcEvent = { sender: ipc, senderId: 0, ports: [] };
    ipc.emit(EVENT_CHANNEL, ipcEvent, 'batch', { sent: 10 });
    ipc.emit(EVENT_CHANNEL, ipcEvent, 'message', { messageId: 1 });
    ipc.emit(EVENT_CHANNEL, ipcEvent, 'status', null);
    // The listener never sees the IpcRendererEvent (which carries `sender`, i.e. ipcRenderer).
    expect(got).toEqual([[{ sent: 10 }], [null]]);
    // One ipcRenderer listener however many subscriptions.
    expect(ipc.listenerCount(EVENT_CHANNEL)).toBe(1);
    off();
    off();
    ipc.emit(EVENT_CHANNEL, ipcEvent, 'batch', { sent: 11 });
    expect(got).toHaveLength(2);
    offStatus();
    expect(() => bridge.on('batch', 'nope' as unknown as () => void)).toThrow(TypeError);
  });

  it('a listener that throws does not keep the others from the event', async () => {
    const { bridge, electron } = await loadBridge();
    const seen: unknown[] = [];
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    bridge.on('status', () => {
      throw new Error('boom');
    });
    bridge.on('status', (p) => seen.push(p));
    electron.ipcRenderer.emit(EVENT_CHANNEL, {}, 'status', null);
    expect(seen).toEqual([null]);
    quiet.mockRestore();
  });
});
