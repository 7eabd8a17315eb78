// Trickle's preload bridge. Runs sandboxed (bundled to one CommonJS file, out/preload/index.cjs)
// and exposes exactly two functions to the page as `window.trickle`:
//
//   invoke(name, args)      → Promise of the API method's result envelope
//   on(event, listener)     → unsubscribe function; the listener gets the payload only
//
// Neither ipcRenderer nor the IpcRendererEvent object ever reaches the page.

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
    const handler = (_ipcEvent: IpcRendererEvent, name: unknown, payload: unknown): void => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, handler);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('trickle', Object.freeze(bridge));
