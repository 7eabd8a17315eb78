import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * The per-user folder the desktop app keeps its data in (Electron's `userData` for an app
 * named Trickle), so headless mode and the window share one database by default.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  // Relative or empty variables are ignored, as the XDG spec says: the folder must not depend
  // on the directory Trickle happens to be started from.
  const absolute = (value: string | undefined) => (value && isAbsolute(value) ? value : undefined);
  if (platform === 'win32') return join(absolute(env.APPDATA) ?? join(homedir(), 'AppData', 'Roaming'), 'Trickle');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Trickle');
  return join(absolute(env.XDG_CONFIG_HOME) ?? join(homedir(), '.config'), 'Trickle');
}
