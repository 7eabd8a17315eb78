// PURE (no `electron` import) — the desktop-only settings, kept in a small JSON file in the
// user-data folder beside the database: close to tray, start at login, whether the user
// accepted weaker password storage, and which password storage was used last.
//
// These are not engine settings (headless mode has no tray, no login item, no safeStorage),
// so they live with the desktop door rather than in the database.

import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const DESKTOP_SETTINGS_FILE = 'desktop-settings.json';

export interface DesktopSettings {
  /** Closing the window hides it and sending goes on from the tray (default on). */
  closeToTray: boolean;
  /** Trickle starts, in the tray, when the user logs in (default off). */
  startAtLogin: boolean;
  /**
   * The user accepted that passwords be kept with weak protection where the system offers no
   * keyring (Linux `basic_text`). Until then no password is written on such a system.
   */
  allowWeakSecretStorage: boolean;
  /** The password storage that protected the last password written ('gnome_libsecret', 'keychain', …). */
  secretBackend?: string;
}

export const DEFAULT_DESKTOP_SETTINGS: Readonly<DesktopSettings> = Object.freeze({
  closeToTray: true,
  startAtLogin: false,
  allowWeakSecretStorage: false,
});

export { desktopSettingsUpdateSchema, type DesktopSettingsUpdate } from '../api/desktop';

// Reading is forgiving: a field of the wrong type falls back to its default, unknown fields
// are dropped, so a hand-edited or older file never stops Trickle from starting.
const storedSchema = z.object({
  closeToTray: z.boolean().catch(DEFAULT_DESKTOP_SETTINGS.closeToTray),
  startAtLogin: z.boolean().catch(DEFAULT_DESKTOP_SETTINGS.startAtLogin),
  allowWeakSecretStorage: z.boolean().catch(DEFAULT_DESKTOP_SETTINGS.allowWeakSecretStorage),
  secretBackend: z.string().min(1).max(100).optional().catch(undefined),
});

export interface SettingsProblemLog {
  warn(message: string, data?: Record<string, unknown>): void;
}

export class DesktopSettingsFile {
  private current: DesktopSettings;

  private constructor(
    readonly file: string,
    initial: DesktopSettings,
  ) {
    this.current = initial;
  }

  /** Reads `<dataDir>/desktop-settings.json`; a missing or damaged file gives the defaults. */
  static load(dataDir: string, log?: SettingsProblemLog): DesktopSettingsFile {
    const file = join(dataDir, DESKTOP_SETTINGS_FILE);
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        log?.warn('desktop settings unreadable; using the defaults', { error: String(error) });
      }
    }
    let settings: DesktopSettings = { ...DEFAULT_DESKTOP_SETTINGS };
    if (text !== undefined) {
      try {
        const parsed = storedSchema.safeParse(JSON.parse(text));
        if (parsed.success) settings = withoutUndefined(parsed.data);
        else log?.warn('desktop settings damaged; using the defaults', { file });
      } catch {
        log?.warn('desktop settings are not valid JSON; using the defaults', { file });
      }
    }
    return new DesktopSettingsFile(file, settings);
  }

  get(): DesktopSettings {
    return { ...this.current };
  }

  /** Applies a change and writes the whole file at once (temp file + rename), owner-only. */
  update(patch: Partial<DesktopSettings>): DesktopSettings {
    const next = withoutUndefined({ ...this.current, ...patch });
    const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.file);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
    this.current = next;
    return this.get();
  }
}

function withoutUndefined(settings: DesktopSettings): DesktopSettings {
  const out: DesktopSettings = {
    closeToTray: settings.closeToTray,
    startAtLogin: settings.startAtLogin,
    allowWeakSecretStorage: settings.allowWeakSecretStorage,
  };
  if (settings.secretBackend !== undefined) out.secretBackend = settings.secretBackend;
  return out;
}
