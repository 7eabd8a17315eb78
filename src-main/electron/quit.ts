// PURE (no `electron` import) — a graceful quit. Electron's `before-quit` is answered by
// preventing it once, stopping the engine (the message in hand finishes; the rest of its
// batch goes back to the queue), then quitting for real. If the engine has not stopped
// within the time limit (an SMTP server that does not answer), Trickle exits anyway: the
// message in hand is then found `in_doubt` at the next start, never sent twice unseen.

export interface QuitGuardOptions {
  /** Stops everything that must stop before the process ends (engine.stop, tray, …). */
  stop: () => Promise<void>;
  /** app.quit(): emits before-quit again, which this guard then lets through. */
  quit: () => void;
  /** app.exit(code): ends at once, without before-quit. */
  exit: (code: number) => void;
  timeoutMs?: number;
  log?: { info(message: string): void; error(message: string, data?: Record<string, unknown>): void };
}

export interface QuitGuard {
  /** The `before-quit` listener. */
  beforeQuit(event: { preventDefault(): void }): void;
  /** True from the first quit request on: the window then closes instead of hiding. */
  readonly quitting: boolean;
}

export const DEFAULT_QUIT_TIMEOUT_MS = 30_000;

export function createQuitGuard(options: QuitGuardOptions): QuitGuard {
  let phase: 'running' | 'stopping' | 'stopped' = 'running';
  return {
    get quitting() {
      return phase !== 'running';
    },
    beforeQuit(event) {
      if (phase === 'stopped') return;
      event.preventDefault();
      if (phase === 'stopping') return;
      phase = 'stopping';
      options.log?.info('quitting: letting the message in hand finish');
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), options.timeoutMs ?? DEFAULT_QUIT_TIMEOUT_MS);
      });
      void Promise.race([options.stop().then(() => 'stopped' as const), timedOut])
        .then((outcome) => {
          clearTimeout(timer);
          phase = 'stopped';
          if (outcome === 'timeout') {
            options.log?.error('quitting: the engine did not stop in time; exiting anyway');
            options.exit(0);
          } else {
            options.quit();
          }
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          phase = 'stopped';
          options.log?.error('quitting: stopping failed', { error: String(error) });
          options.exit(1);
        });
    },
  };
}
