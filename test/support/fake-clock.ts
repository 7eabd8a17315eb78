import type { Clock } from '../../src-main/engine/core/clock';

/**
 * A clock that moves only when told (or when the engine sleeps): days pass in an instant and
 * no test waits for a real interval. `sleep` advances time and yields once to the event loop,
 * so I/O in flight (the loopback SMTP server) still makes progress.
 */
export class FakeClock implements Clock {
  private t: number;
  readonly sleeps: number[] = [];

  constructor(start: number | string = '2026-11-23T09:00:00Z') {
    this.t = typeof start === 'number' ? start : Date.parse(start);
  }

  now(): number {
    return this.t;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (!signal?.aborted) this.t += ms;
    await new Promise((resolve) => setImmediate(resolve));
  }

  advance(ms: number): void {
    this.t += ms;
  }

  set(time: number | string): void {
    this.t = typeof time === 'number' ? time : Date.parse(time);
  }
}
