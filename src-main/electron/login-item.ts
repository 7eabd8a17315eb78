// PURE (no `electron` import; app.setLoginItemSettings is passed in) — "start at login".
//
// macOS and Windows: Electron's app.setLoginItemSettings. Linux, where Electron has no such
// API: an XDG autostart entry, ~/.config/autostart/trickle.desktop. Either way Trickle is
// started with `--hidden`, so that it opens in the tray rather than showing its window.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const HIDDEN_FLAG = '--hidden';
export const AUTOSTART_FILE = 'trickle.desktop';

export interface LoginItemDeps {
  platform: NodeJS.Platform;
  /** Electron's app.setLoginItemSettings (macOS, Windows). */
  setLoginItemSettings: (settings: { openAtLogin: boolean; args?: string[] }) => void;
  /** The program to start: the AppImage when run from one, else the executable. */
  executable: string;
  env?: NodeJS.ProcessEnv;
}

export function applyStartAtLogin(enabled: boolean, deps: LoginItemDeps): void {
  if (deps.platform === 'linux') {
    const file = autostartPath(deps.env ?? process.env);
    if (enabled) {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, autostartEntry(deps.executable));
    } else {
      rmSync(file, { force: true });
    }
    return;
  }
  deps.setLoginItemSettings(deps.platform === 'win32' ? { openAtLogin: enabled, args: [HIDDEN_FLAG] } : { openAtLogin: enabled });
}

export function autostartPath(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'autostart', AUTOSTART_FILE);
}

/** A desktop entry (freedesktop.org) that starts Trickle hidden in the tray. */
export function autostartEntry(executable: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Trickle',
    'Comment=Keeps sending your campaigns from the tray',
    `Exec=${quoteExec(executable)} ${HIDDEN_FLAG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** The Exec key's quoting: double quotes, with ", `, $ and \ escaped by a backslash, and % doubled. */
function quoteExec(path: string): string {
  return `"${path.replace(/(["`$\\])/g, '\\$1').replace(/%/g, '%%')}"`;
}

/** Started by the login item (or by hand with --hidden): open in the tray only. */
export function startedHidden(argv: readonly string[], wasOpenedAtLogin = false): boolean {
  return wasOpenedAtLogin || argv.includes(HIDDEN_FLAG);
}
