import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The per-user folder the desktop app keeps its data in (Electron's `userData` for an app
 * named Trickle), so headless mode and the window share one database by default.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Trickle');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Trickle');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'Trickle');
}
