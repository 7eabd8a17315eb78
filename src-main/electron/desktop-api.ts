// PURE (no `electron` import) — the desktop door's own services, offered to the method table
// (src-main/api/methods.ts, `desktop.settings.*`): the two desktop-only settings (close to
// tray, start at login), the user's consent to weaker password storage, and how passwords are
// protected. They exist over IPC only (headless mode has no tray, login item or safeStorage);
// the window knows it is in the desktop app from `app.info` → `door: 'desktop'`.

import { desktopSettingsUpdateSchema } from '../api/desktop';
import type { DesktopServices } from '../api/methods';
import { EngineError, noArgumentsSchema, parseInput } from '../engine';
import type { DesktopSettingsView } from '../../src-shared/views/desktop';
import type { DesktopSettings, DesktopSettingsFile } from './desktop-settings';
import type { SecretStorageStatus } from './secret-storage';

export interface DesktopHandlerDeps {
  settings: DesktopSettingsFile;
  secretStatus: () => SecretStorageStatus;
  /** Registers or removes the login item; throws if the system refused. */
  applyStartAtLogin: (enabled: boolean) => void;
  /** Told after each change (the tray and window read `closeToTray` live from the file). */
  onChange?: (settings: DesktopSettings) => void;
}

export function createDesktopServices(deps: DesktopHandlerDeps): DesktopServices {
  const view = (): DesktopSettingsView => {
    const { closeToTray, startAtLogin, allowWeakSecretStorage } = deps.settings.get();
    return { closeToTray, startAtLogin, allowWeakSecretStorage, secretStorage: deps.secretStatus() };
  };
  return {
    settings: async (input?: unknown): Promise<DesktopSettingsView> => {
      parseInput(noArgumentsSchema, input);
      return view();
    },
    updateSettings: async (input: unknown): Promise<DesktopSettingsView> => {
      const patch = parseInput(desktopSettingsUpdateSchema, input);
      if (patch.startAtLogin !== undefined && patch.startAtLogin !== deps.settings.get().startAtLogin) {
        try {
          deps.applyStartAtLogin(patch.startAtLogin);
        } catch (error) {
          throw new EngineError(
            'conflict',
            `The system did not accept the change to “start at login” (${error instanceof Error ? error.message : String(error)}). Nothing was changed.`,
          );
        }
      }
      const changed = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<DesktopSettings>;
      const saved = deps.settings.update(changed);
      deps.onChange?.(saved);
      return view();
    },
  };
}
