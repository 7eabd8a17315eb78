/**
 * Headless mode's access token, in the browser (issue #11). The printed link
 * `http://127.0.0.1:PORT/?token=…` hands it to this page once: the page takes it out of the
 * address and keeps it in localStorage, which belongs to this origin alone — scheme, host AND
 * port — so no other server on 127.0.0.1 can read it, unlike a cookie, which the browser sends
 * to every port. The API client sends it as an `Authorization` header; nothing carries it
 * by itself.
 */

const STORAGE_KEY = 'trickle.accessToken';

/** Where the token is kept; memory only when the browser refuses storage (a private window). */
export interface KeyStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

function memoryStorage(): KeyStorage {
  const values = new Map<string, string>();
  return {
    getItem: (k) => values.get(k) ?? null,
    setItem: (k, v) => void values.set(k, v),
    removeItem: (k) => void values.delete(k),
  };
}

export interface AccessKey {
  /** The token to send, if this browser was given one. */
  get(): string | undefined;
  /** The server refused it (a new token, another data folder): forget it. */
  forget(): void;
}

/**
 * Takes `?token=` out of the address (kept, then removed with history.replaceState so it is
 * neither bookmarked nor shown) and answers with the token this origin keeps.
 */
export function accessKeyFromAddress(
  location: { href: string },
  history: { replaceState(data: unknown, unused: string, url: string): void },
  storage: KeyStorage | undefined,
): AccessKey {
  let store = storage ?? memoryStorage();
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given) {
    try {
      store.setItem(STORAGE_KEY, given);
    } catch {
      store = memoryStorage();
      store.setItem(STORAGE_KEY, given);
    }
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return {
    get: () => {
      try {
        return store.getItem(STORAGE_KEY) ?? undefined;
      } catch {
        return undefined;
      }
    },
    forget: () => {
      try {
        store.removeItem(STORAGE_KEY);
      } catch {
        // nothing kept
      }
    },
  };
}

/** The browser's localStorage, or undefined where reading it throws (storage disabled). */
export function browserStorage(): KeyStorage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}
