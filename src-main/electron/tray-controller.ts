// PURE (no `electron` import) — keeps the tray in step with the engine: on any engine event
// it recomputes the view (debounced, so a batch of ten messages redraws once), hands it to
// `apply` (tray.ts draws it), and runs the menu's actions — Pause and Resume go to the
// engine's `sending.pause()` / `sending.resume()`.

import type { Engine, EngineLogger } from '../engine';
import { API_EVENT_NAMES } from '../api/contract';
import { type TrayAction, type TrayView, trayStatusOf, trayView } from './tray-state';

export type TrayEngine = Pick<Engine, 'events'> & {
  sending: Pick<Engine['sending'], 'status' | 'pause' | 'resume'>;
};

export interface TrayControllerOptions {
  engine: TrayEngine;
  apply: (view: TrayView) => void;
  onOpen: () => void;
  onQuit: () => void;
  debounceMs?: number;
  now?: () => Date;
  /** How times are written; the user's own locale when absent. */
  locale?: string;
  log?: EngineLogger;
}

export interface TrayController {
  /** Recomputes and applies the view now; resolves with it. */
  refresh(): Promise<TrayView | undefined>;
  /** What a menu item does. */
  run(action: TrayAction): Promise<void>;
  /** The last view applied. */
  readonly view: TrayView | undefined;
  dispose(): void;
}

export const TRAY_DEBOUNCE_MS = 250;

export function createTrayController(options: TrayControllerOptions): TrayController {
  const { engine } = options;
  const now = options.now ?? (() => new Date());
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  let last: TrayView | undefined;
  let running: Promise<TrayView | undefined> | undefined;
  let again = false;

  const compute = async (): Promise<TrayView | undefined> => {
    try {
      // The one status snapshot the window reads too (accounts needing attention included).
      const status = await engine.sending.status();
      if (disposed) return last;
      last = trayView({ status: trayStatusOf(status), now: now(), ...(options.locale ? { locale: options.locale } : {}) });
      options.apply(last);
    } catch (error) {
      // The engine is stopping (database closed) or something failed: keep the last view.
      options.log?.warn('tray refresh failed', { error: String(error) });
    }
    return last;
  };

  // One computation at a time; a request during one runs once more after it.
  const refresh = (): Promise<TrayView | undefined> => {
    if (running) {
      again = true;
      return running;
    }
    running = compute().finally(() => {
      running = undefined;
      if (again && !disposed) {
        again = false;
        void refresh();
      }
    });
    return running;
  };

  const schedule = () => {
    if (disposed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void refresh(), options.debounceMs ?? TRAY_DEBOUNCE_MS);
  };

  for (const name of API_EVENT_NAMES) engine.events.on(name, schedule);

  return {
    refresh,
    get view() {
      return last;
    },
    async run(action) {
      switch (action) {
        case 'open':
          options.onOpen();
          return;
        case 'quit':
          options.onQuit();
          return;
        case 'pause':
          await engine.sending.pause();
          await refresh();
          return;
        case 'resume':
          await engine.sending.resume();
          await refresh();
          return;
      }
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
      for (const name of API_EVENT_NAMES) engine.events.off(name, schedule);
    },
  };
}
