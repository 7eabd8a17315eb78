// PURE — the only two IPC channels between the preload bridge and the main process.
// Plain constants, no imports: the sandboxed preload bundles this file.

/** Renderer → main: `ipcRenderer.invoke(INVOKE_CHANNEL, name, args)`. */
export const INVOKE_CHANNEL = 'trickle:invoke';

/** Main → renderer: `webContents.send(EVENT_CHANNEL, eventName, payload)`. */
export const EVENT_CHANNEL = 'trickle:event';
