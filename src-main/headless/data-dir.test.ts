/**
 * Where headless mode keeps its data by default: the folder the desktop app (Electron's
 * `userData` for an app named Trickle) uses on each platform, so both share one database.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir } from './data-dir';

describe('defaultDataDir', () => {
  it('linux: $XDG_CONFIG_HOME/Trickle when set', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/srv/conf' }, 'linux')).toBe(join('/srv/conf', 'Trickle'));
  });

  it('linux: ~/.config/Trickle when XDG_CONFIG_HOME is unset or empty', () => {
    const expected = join(homedir(), '.config', 'Trickle');
    expect(defaultDataDir({}, 'linux')).toBe(expected);
    expect(defaultDataDir({ XDG_CONFIG_HOME: '' }, 'linux')).toBe(expected);
  });

  it('other unix-likes follow the linux rule', () => {
    expect(defaultDataDir({}, 'freebsd')).toBe(join(homedir(), '.config', 'Trickle'));
  });

  it('darwin: ~/Library/Application Support/Trickle, whatever XDG says', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/srv/conf' }, 'darwin')).toBe(join(homedir(), 'Library', 'Application Support', 'Trickle'));
  });

  it('win32: %APPDATA%\\Trickle, or the roaming folder under the home directory', () => {
    expect(defaultDataDir({ APPDATA: '/c/Users/ann/AppData/Roaming' }, 'win32')).toBe(join('/c/Users/ann/AppData/Roaming', 'Trickle'));
    expect(defaultDataDir({}, 'win32')).toBe(join(homedir(), 'AppData', 'Roaming', 'Trickle'));
  });

  it('always ends in a folder named Trickle and is absolute', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const dir = defaultDataDir({}, platform);
      expect(dir.endsWith('Trickle')).toBe(true);
      expect(dir.startsWith(homedir())).toBe(true);
    }
  });

  it('uses the real environment and platform when given none', () => {
    expect(defaultDataDir()).toBe(defaultDataDir(process.env, process.platform));
  });
});
