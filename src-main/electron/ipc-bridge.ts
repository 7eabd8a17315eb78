// PURE (Electron types only; ipcMain and the window are passed in) — the desktop door's IPC:
//
//   renderer → main  ipcMain.handle('trickle:invoke', (event, name, args)) → Envelope
//   main → renderer  webContents.send('trickle:event', eventName, payload)
//
// A call is answered only when it comes from the main frame of Trickle's own window showing
// a trickle://app/ page; anything else (another window, a subframe such as the preview, a
// page that got navigated elsewhere) gets a `forbidden` envelope and nothing runs.

import type { EventEmitter } from 'node:events';
import type { Envelope } from '../api/contract';
import { API_EVENT_NAMES } from '../api/contract';
import type { EngineEvents } from '../engine';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './ipc-channels';

/** The parts of IpcMainInvokeEvent the check reads. */
export interface InvokeEventLike {
  sender: unknown;
  senderFrame: FrameLike | null;
}

export interface FrameLike {
  url: string;
  processId: number;
  routingId: number;
}

/** The parts of our BrowserWindow the check reads. */
export interface TrustedWindowLike {
  isDestroyed(): boolean;
  webContents: { mainFrame: FrameLike };
}

export const FORBIDDEN: Envelope<never> = Object.freeze({
  ok: false,
  error: Object.freeze({ code: 'forbidden', message: 'This request did not come from Trickle’s window, so it was refused.' }),
}) as Envelope<never>;

/** Is this call from our window's main frame, showing one of our pages? */
export function isTrustedSender(event: InvokeEventLike, window: TrustedWindowLike | null, isAppUrl: (url: string) => boolean): boolean {
  if (!window || window.isDestroyed()) return false;
  if (event.sender !== window.webContents) return false;
  const frame = event.senderFrame;
  const main = window.webContents.mainFrame;
  if (!frame || frame.processId !== main.processId || frame.routingId !== main.routingId) return false;
  return isAppUrl(frame.url);
}

export interface InvokeHandlerOptions {
  getWindow: () => TrustedWindowLike | null;
  isAppUrl: (url: string) => boolean;
  /** Runs one method and returns its envelope: the API's `invoke`. */
  call: (name: string, args: unknown) => Promise<Envelope<unknown>>;
  /** Told of each refused call (no arguments: they may hold a password). */
  onRefused?: (name: string, url: string | undefined) => void;
}

export function createInvokeHandler(options: InvokeHandlerOptions) {
  return async (event: InvokeEventLike, name: unknown, args: unknown): Promise<Envelope<unknown>> => {
    if (!isTrustedSender(event, options.getWindow(), options.isAppUrl)) {
      options.onRefused?.(typeof name === 'string' ? name.slice(0, 100) : typeof name, event.senderFrame?.url);
      return FORBIDDEN;
    }
    if (typeof name !== 'string') {
      return { ok: false, error: { code: 'unknown_method', message: 'The method name must be a string such as “campaigns.list”.' } };
    }
    return options.call(name, args);
  };
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, name: unknown, args: unknown) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** Registers the one invoke channel; returns its removal. */
export function registerInvoke(ipcMain: IpcMainLike, handler: ReturnType<typeof createInvokeHandler>): () => void {
  ipcMain.handle(INVOKE_CHANNEL, handler);
  return () => ipcMain.removeHandler(INVOKE_CHANNEL);
}

export interface EventTargetLike {
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

/**
 * Sends each engine event to the window as (name, payload); `status` has no payload and is
 * sent with null, as over Server-Sent Events. Returns the unsubscription.
 */
export function forwardEngineEvents(events: EventEmitter<EngineEvents>, getTarget: () => EventTargetLike | null | undefined): () => void {
  const offs = API_EVENT_NAMES.map((name) => {
    const listener = (payload?: unknown) => {
      const target = getTarget();
      if (!target || target.isDestroyed()) return;
      target.send(EVENT_CHANNEL, name, payload ?? null);
    };
    events.on(name, listener as never);
    return () => events.off(name, listener as never);
  });
  return () => {
    for (const off of offs) off();
  };
}
