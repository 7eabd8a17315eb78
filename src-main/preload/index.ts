// Trickle's preload bridge. Runs sandboxed (bundled to one CommonJS file, out/preload/index.cjs)
// and exposes exactly two functions to the page as `window.trickle`:
//
//   invoke(name, args)      → Promise of the API method's result envelope
//   on(event, listener)     → unsubscribe function; the listener gets the payload only
//
// Neither ipcRenderer nor the IpcRendererEvent object ever reaches the page. The main process
// answers only calls from its own window's main frame (src-main/electron/ipc-bridge.ts).

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../electron/ipc-channels';

export interface TrickleBridge {
  /** Calls one API method by name (e.g. `"campaigns.list"`) with its arguments. */
  invoke(name: string, args?: unknown): Promise<unknown>;
  /** Subscribes to one engine event by name; returns a function that unsubscribes. */
  on(event: string, listener: (payload: unknown) => void): () => void;
}

function assertName(kind: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) {
    throw new TypeError(`trickle.${kind}: the name must be a non-empty string`);
  }
}

// One ipcRenderer listener for all subscriptions (no MaxListeners warning however many parts
// of the page subscribe); the page's listeners are kept here, by event name.
const listeners = new Map<string, Set<(payload: unknown) => void>>();
let listening = false;

function dispatch(_ipcEvent: IpcRendererEvent, name: unknown, payload: unknown): void {
  if (typeof name !== 'string') return;
  for (const listener of [...(listeners.get(name) ?? [])]) {
    try {
      listener(payload);
    } catch (error) {
      // One failing listener must not keep the others from hearing the event.
      console.error(`trickle.on('${name}') listener failed`, error);
    }
  }
}

const bridge: TrickleBridge = {
  invoke(name, args) {
    assertName('invoke', name);
    return ipcRenderer.invoke(INVOKE_CHANNEL, name, args);
  },
  on(event, listener) {
    assertName('on', event);
    if (typeof listener !== 'function') {
      throw new TypeError('trickle.on: the listener must be a function');
    }
    if (!listening) {
      ipcRenderer.on(EVENT_CHANNEL, dispatch);
      listening = true;
    }
    // Each subscription is its own entry, so subscribing the same function twice needs two unsubscribes.
    const entry = (payload: unknown) => listener(payload);
    let set = listeners.get(event);
    if (!set) {
      set = new Set();
      listeners.set(event, set);
    }
    set.add(entry);
    return () => {
      const current = listeners.get(event);
      if (!current?.delete(entry)) return;
      if (current.size === 0) listeners.delete(event);
    };
  },
};

contextBridge.exposeInMainWorld('trickle', Object.freeze(bridge));
