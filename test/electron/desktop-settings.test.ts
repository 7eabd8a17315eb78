/**
 * The desktop settings file (close to tray, start at login, weak-storage consent, the recorded
 * password backend), the `desktop.settings.*` methods the window calls over IPC, and the
 * "start at login" entry on each platform.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDesktopServices } from '../../src-main/electron/desktop-api';
import { DEFAULT_DESKTOP_SETTINGS, DESKTOP_SETTINGS_FILE, DesktopSettingsFile } from '../../src-main/electron/desktop-settings';
import { AUTOSTART_FILE, HIDDEN_FLAG, applyStartAtLogin, autostartEntry, startedHidden } from '../../src-main/electron/login-item';
import type { SecretStorageStatus } from '../../src-main/electron/secret-storage';
import { createApiHandlers, invoke } from '../../src-main/api/handlers';
import type { Engine } from '../../src-main/engine/engine';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trickle-desktop-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('DesktopSettingsFile', () => {
  it('defaults: close to tray on, start at login off, no weak storage; no file until a change', () => {
    const settings = DesktopSettingsFile.load(dir);
    expect(settings.get()).toEqual({ closeToTray: true, startAtLogin: false, allowWeakSecretStorage: false });
    expect(DEFAULT_DESKTOP_SETTINGS).toEqual(settings.get());
    expect(existsSync(join(dir, DESKTOP_SETTINGS_FILE))).toBe(false);
  });

  it('keeps a change across restarts, in one owner-only JSON file, with no temp file left behind', () => {
    const settings = DesktopSettingsFile.load(dir);
    settings.update({ closeToTray: false, startAtLogin: true });
    settings.update({ secretBackend: 'gnome_libsecret' });
    const reloaded = DesktopSettingsFile.load(dir);
    expect(reloaded.get()).toEqual({
      closeToTray: false,
      startAtLogin: true,
      allowWeakSecretStorage: false,
      secretBackend: 'gnome_libsecret',
    });
    expect(statSync(join(dir, DESKTOP_SETTINGS_FILE)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([DESKTOP_SETTINGS_FILE]);
    expect(JSON.parse(readFileSync(join(dir, DESKTOP_SETTINGS_FILE), 'utf8'))).toEqual(reloaded.get());
  });

  it('a damaged file gives the defaults (and a warning), a wrong field falls back alone, unknown fields are dropped', () => {
    const file = join(dir, DESKTOP_SETTINGS_FILE);
    const warn = vi.fn();
    writeFileSync(file, '{ not json');
    expect(DesktopSettingsFile.load(dir, { warn }).get()).toEqual(DEFAULT_DESKTOP_SETTINGS);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/not valid JSON/), expect.anything());

    writeFileSync(file, JSON.stringify({ closeToTray: 'yes', startAtLogin: true, secretBackend: 42, extra: 1 }));
    expect(DesktopSettingsFile.load(dir).get()).toEqual({ closeToTray: true, startAtLogin: true, allowWeakSecretStorage: false });

    writeFileSync(file, '[1,2]');
    expect(DesktopSettingsFile.load(dir).get()).toEqual(DEFAULT_DESKTOP_SETTINGS);
  });
});

describe('desktop.settings.get / desktop.settings.update', () => {
  const status: SecretStorageStatus = {
    backend: 'basic_text',
    protection: 'weak',
    weakAccepted: false,
    canStore: false,
    writesWith: 'basic_text',
  };
  /** The desktop methods need no engine. */
  const noEngine = {} as Engine;

  function setup(applyStartAtLogin = vi.fn()) {
    const settings = DesktopSettingsFile.load(dir);
    const onChange = vi.fn();
    const desktop = createDesktopServices({
      settings,
      secretStatus: () => ({ ...status, weakAccepted: settings.get().allowWeakSecretStorage }),
      applyStartAtLogin,
      onChange,
    });
    const handlers = createApiHandlers(noEngine, { version: 'test', door: 'desktop' }, desktop);
    const call = (name: string, args?: unknown) => invoke(handlers, name, args);
    return { settings, call, applyStartAtLogin, onChange };
  }

  it('get returns the settings and how passwords are protected', async () => {
    const { call } = setup();
    expect(await call('desktop.settings.get')).toEqual({
      ok: true,
      value: { closeToTray: true, startAtLogin: false, allowWeakSecretStorage: false, secretStorage: status },
    });
  });

  it('update changes what it is given, registers the login item, and answers with the new view', async () => {
    const { call, settings, applyStartAtLogin, onChange } = setup();
    const answer = await call('desktop.settings.update', { startAtLogin: true, allowWeakSecretStorage: true });
    expect(answer).toMatchObject({
      ok: true,
      value: { closeToTray: true, startAtLogin: true, allowWeakSecretStorage: true, secretStorage: { weakAccepted: true } },
    });
    expect(applyStartAtLogin).toHaveBeenCalledWith(true);
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(DesktopSettingsFile.load(dir).get()).toMatchObject({ startAtLogin: true, allowWeakSecretStorage: true });
    // Same value again: the login item is left alone.
    await call('desktop.settings.update', { startAtLogin: true });
    expect(applyStartAtLogin).toHaveBeenCalledTimes(1);
    expect(settings.get().closeToTray).toBe(true);
  });

  it.each([
    ['an unknown field', { closeToTray: false, secretBackend: 'keychain' }],
    ['a wrong type', { closeToTray: 'no' }],
    ['not an object', 'closeToTray'],
  ])('refuses %s with invalid_input and changes nothing', async (_label, args) => {
    const { call, applyStartAtLogin } = setup();
    const answer = await call('desktop.settings.update', args);
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(existsSync(join(dir, DESKTOP_SETTINGS_FILE))).toBe(false);
    expect(applyStartAtLogin).not.toHaveBeenCalled();
  });

  it('a login item the system refuses leaves the setting as it was', async () => {
    const { call } = setup(
      vi.fn(() => {
        throw new Error('access denied');
      }),
    );
    const answer = await call('desktop.settings.update', { startAtLogin: true, closeToTray: false });
    expect(answer).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/access denied.*Nothing was changed/) },
    });
    expect(DesktopSettingsFile.load(dir).get()).toEqual(DEFAULT_DESKTOP_SETTINGS);
  });

  it('get takes no arguments', async () => {
    const { call } = setup();
    expect(await call('desktop.settings.get', { x: 1 })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });
});

describe('start at login', () => {
  it('Linux: writes and removes an XDG autostart entry that starts Trickle hidden', () => {
    const env = { XDG_CONFIG_HOME: dir };
    const setLoginItemSettings = vi.fn();
    const executable = '/opt/Trickle/Trickle "beta".AppImage';
    applyStartAtLogin(true, { platform: 'linux', setLoginItemSettings, executable, env });
    const file = join(dir, 'autostart', AUTOSTART_FILE);
    const entry = readFileSync(file, 'utf8');
    expect(entry).toBe(autostartEntry(executable));
    expect(entry).toContain('[Desktop Entry]\nType=Application\nName=Trickle\n');
    expect(entry).toContain(`Exec="/opt/Trickle/Trickle \\"beta\\".AppImage" ${HIDDEN_FLAG}\n`);
    applyStartAtLogin(false, { platform: 'linux', setLoginItemSettings, executable, env });
    expect(existsSync(file)).toBe(false);
    expect(setLoginItemSettings).not.toHaveBeenCalled();
  });

  it('macOS and Windows: Electron’s login item (Windows passes --hidden)', () => {
    const setLoginItemSettings = vi.fn();
    applyStartAtLogin(true, { platform: 'darwin', setLoginItemSettings, executable: '/Applications/Trickle.app' });
    applyStartAtLogin(true, { platform: 'win32', setLoginItemSettings, executable: 'C:\\Trickle.exe' });
    applyStartAtLogin(false, { platform: 'win32', setLoginItemSettings, executable: 'C:\\Trickle.exe' });
    expect(setLoginItemSettings.mock.calls).toEqual([
      [{ openAtLogin: true }],
      [{ openAtLogin: true, args: [HIDDEN_FLAG] }],
      [{ openAtLogin: false, args: [HIDDEN_FLAG] }],
    ]);
  });

  it('started hidden: by --hidden, or opened at login on macOS', () => {
    expect(startedHidden(['/usr/bin/trickle'])).toBe(false);
    expect(startedHidden(['/usr/bin/trickle', '--hidden'])).toBe(true);
    expect(startedHidden(['/Applications/Trickle.app/Contents/MacOS/Trickle'], true)).toBe(true);
  });
});
