/**
 * The tray status indicator: the pure state machine (each engine state → icon, tooltip, menu
 * labels), the icons on disk, and the Electron tray wired to a real engine — Pause and Resume
 * in the menu reach the engine, and the icon follows the engine's events.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Engine, createEngine } from '../../src-main/engine/engine';
import { MENU_LABELS, TRAY_ICONS, type TrayStatusInput, clock, trayView } from '../../src-main/electron/tray-state';
import { clockTime } from '../../src-shared/time-format';
import { createTrayController } from '../../src-main/electron/tray-controller';
import { Tray, resetFakeElectron } from './fake-electron';

vi.mock('electron', () => import('./fake-electron'));

const ROOT = join(import.meta.dirname, '../..');
const RESOURCES = join(ROOT, 'resources');

// Local times, so the expected "14:20" holds in any time zone the tests run in.
const NOW = new Date(2026, 2, 10, 9, 5); // Tue 10 Mar 2026, 09:05
const at = (day: number, h: number, m: number) => new Date(2026, 2, day, h, m).toISOString();

const base: TrayStatusInput = { state: 'idle', paused: false, queued: 0, inFlight: 0, retryWaiting: 0, accountsNeedingAttention: 0 };
// Times as en-GB writes them; the user's own locale is the default (see the last test here).
const locale = 'en-GB';

function labels(view: ReturnType<typeof trayView>): string[] {
  return view.menu.map((i) => (i === null ? '---' : i.label));
}

describe('tray state machine', () => {
  it('idle: nothing queued', () => {
    const view = trayView({ status: base, now: NOW, locale });
    expect(view.state).toBe('idle');
    expect(view.icon).toBe('tray-idle');
    expect(view.tooltip).toBe('Trickle — idle: nothing left to send');
    expect(labels(view)).toEqual(['Idle: nothing left to send', '---', 'Open Trickle', 'Pause sending', '---', 'Quit']);
  });

  it('sending: what is left and the ETA, with thousands separators', () => {
    const view = trayView({
      status: { ...base, state: 'sending', queued: 1230, inFlight: 1, retryWaiting: 3, eta: at(10, 14, 20) },
      now: NOW,
      locale,
    });
    expect(view.state).toBe('sending');
    expect(view.icon).toBe('tray-sending');
    expect(view.tooltip).toBe('Trickle — sending: 1,234 left, done about 14:20');
    expect(labels(view)).toEqual(['Sending: 1,234 left, done about 14:20', '---', 'Open Trickle', 'Pause sending', '---', 'Quit']);
  });

  it('sending: an ETA on another day names the day', () => {
    const sending = { ...base, state: 'sending' as const, queued: 5 };
    expect(trayView({ status: { ...sending, eta: at(12, 8, 0) }, now: NOW, locale }).tooltip).toBe(
      'Trickle — sending: 5 left, done about Thu 08:00',
    );
    expect(trayView({ status: { ...sending, eta: at(25, 8, 0) }, now: NOW, locale }).tooltip).toBe(
      'Trickle — sending: 5 left, done about 25 Mar 08:00',
    );
    // What is left is only a rehearsal's: said so.
    expect(trayView({ status: { ...sending, rehearsalLeft: 5 }, now: NOW, locale }).tooltip).toBe('Trickle — sending (rehearsal): 5 left');
    expect(trayView({ status: { ...sending, rehearsalLeft: 2 }, now: NOW, locale }).tooltip).toBe('Trickle — sending: 5 left');
  });

  it('paused: the menu offers Resume sending', () => {
    const view = trayView({
      status: { ...base, state: 'paused', paused: true, queued: 40, waitingReason: 'Sending is paused. Resume to carry on.' },
      now: NOW,
      locale,
    });
    expect(view.state).toBe('paused');
    expect(view.icon).toBe('tray-paused');
    expect(view.tooltip).toBe('Trickle — paused: 40 left');
    expect(labels(view)).toEqual(['Paused: 40 left', '---', 'Open Trickle', 'Resume sending', '---', 'Quit']);
    expect(trayView({ status: { ...base, state: 'paused', paused: true }, now: NOW, locale }).tooltip).toBe(
      'Trickle — paused: nothing left to send',
    );
    // Every campaign with messages left paused, sending itself not: paused too, and why.
    const campaignsPaused = trayView({
      status: { ...base, state: 'paused', queued: 40, waitingReason: 'The campaign with messages left is paused: resume it to carry on.' },
      now: NOW,
      locale,
    });
    expect(campaignsPaused.state).toBe('paused');
    expect(labels(campaignsPaused)).toEqual([
      'Paused: 40 left',
      'The campaign with messages left is paused: resume it to carry on.',
      '---',
      'Open Trickle',
      'Pause sending',
      '---',
      'Quit',
    ]);
  });

  it('waiting for capacity: when sending resumes, and why, in the menu', () => {
    const reason = 'All accounts at their daily cap.';
    const view = trayView({
      status: { ...base, state: 'waiting', queued: 300, waitingReason: reason, resumesAt: at(10, 11, 30), eta: at(11, 16, 0) },
      now: NOW,
      locale,
    });
    expect(view.state).toBe('waiting');
    expect(view.icon).toBe('tray-waiting');
    expect(view.tooltip).toBe('Trickle — waiting: 300 left, resumes about 11:30');
    expect(labels(view)).toEqual(['Waiting: 300 left, resumes about 11:30', reason, '---', 'Open Trickle', 'Pause sending', '---', 'Quit']);
  });

  it('needs attention: any account needing a new app password wins over every other state', () => {
    const one = trayView({ status: { ...base, state: 'sending', queued: 12, inFlight: 1, accountsNeedingAttention: 1 }, now: NOW, locale });
    expect(one.state).toBe('attention');
    expect(one.icon).toBe('tray-attention');
    expect(one.tooltip).toBe('Trickle — needs attention: 1 account needs a new app password, 13 left');
    const two = trayView({ status: { ...base, state: 'paused', paused: true, accountsNeedingAttention: 2 }, now: NOW, locale });
    expect(two.state).toBe('attention');
    expect(two.tooltip).toBe('Trickle — needs attention: 2 accounts need a new app password');
    // Paused with an account to fix: the menu still offers Resume, and says it is paused.
    expect(labels(two)).toEqual([
      'Needs attention: 2 accounts need a new app password',
      'Sending is paused.',
      '---',
      'Open Trickle',
      'Resume sending',
      '---',
      'Quit',
    ]);
  });

  it('a tooltip never passes the 127 characters Windows shows', () => {
    const view = trayView({
      status: { ...base, state: 'waiting', queued: 9, waitingReason: 'x'.repeat(400), accountsNeedingAttention: 67 },
      now: NOW,
      locale,
    });
    expect(view.tooltip.length).toBeLessThanOrEqual(127);
  });

  it('clock() words times relative to now', () => {
    expect(clock(new Date(2026, 2, 10, 23, 59), NOW, locale)).toBe('23:59');
    expect(clock(new Date(2026, 2, 11, 0, 1), NOW, locale)).toBe('Wed 00:01');
    expect(clock(new Date(2026, 2, 9, 18, 0), NOW, locale)).toBe('9 Mar 18:00');
    expect(clock(new Date('nonsense'), NOW, locale)).toBe('?');
  });

  it('writes times as the user’s locale does, the same way the window does (one format)', () => {
    const at = new Date(2026, 2, 10, 15, 47);
    expect(clock(at, NOW, 'en-US')).toBe(clockTime(at, 'en-US'));
    expect(clock(at, NOW, 'en-US')).toMatch(/^03:47\sPM$/);
    expect(clock(at, NOW, 'de-DE')).toBe('15:47');
    expect(clock(at, NOW)).toBe(clockTime(at));
  });

  it('the menu labels are the ones the product names', () => {
    expect(MENU_LABELS).toEqual({ open: 'Open Trickle', pause: 'Pause sending', resume: 'Resume sending', quit: 'Quit' });
  });
});

describe('tray icons in resources/', () => {
  it.each(Object.values(TRAY_ICONS))('%s: 16 px and 32 px PNGs, and macOS template images in black and alpha only', (icon) => {
    for (const [suffix, size] of [
      ['', 16],
      ['@2x', 32],
      ['Template', 16],
      ['Template@2x', 32],
    ] as const) {
      const file = join(RESOURCES, `${icon}${suffix}.png`);
      expect(existsSync(file), file).toBe(true);
      const png = readFileSync(file);
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect(png.readUInt32BE(16), `${file} width`).toBe(size);
      expect(png.readUInt32BE(20), `${file} height`).toBe(size);
      if (suffix.startsWith('Template')) {
        const pixels = decodeRgba(png);
        for (let i = 0; i < pixels.length; i += 4) {
          expect([pixels[i], pixels[i + 1], pixels[i + 2]], `${file} pixel ${i / 4} is not black`).toEqual([0, 0, 0]);
        }
        expect(
          pixels.some((_v, i) => i % 4 === 3 && pixels[i]! > 0),
          `${file} is empty`,
        ).toBe(true);
      }
    }
  });
});

describe('the Electron tray on a real engine', () => {
  let dataDir: string;
  let engine: Engine;

  beforeEach(async () => {
    resetFakeElectron();
    dataDir = mkdtempSync(join(tmpdir(), 'trickle-tray-'));
    engine = await createEngine({ dataDir });
  });
  afterEach(async () => {
    await engine.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the idle icon, tooltip and menu; Pause and Resume in the menu reach the engine', async () => {
    const { createTray } = await import('../../src-main/electron/tray');
    const onOpen = vi.fn();
    const onQuit = vi.fn();
    const tray = createTray({ engine, iconDir: RESOURCES, platform: 'linux', onOpen, onQuit, debounceMs: 5 });
    await tray.controller.refresh();
    const fakeTray = Tray.instances[0]!;
    expect(fakeTray.image.path).toBe(join(RESOURCES, 'tray-idle.png'));
    expect(fakeTray.tooltip).toBe('Trickle — idle: nothing left to send');
    expect(fakeTray.labels()).toEqual(['Idle: nothing left to send', '---', 'Open Trickle', 'Pause sending', '---', 'Quit']);
    expect(fakeTray.menu!.items[0]!.enabled).toBe(false);

    fakeTray.click('Pause sending');
    await vi.waitFor(async () => expect((await engine.sending.status()).paused).toBe(true));
    await vi.waitFor(() => expect(fakeTray.labels()).toContain('Resume sending'));
    expect(fakeTray.image.path).toBe(join(RESOURCES, 'tray-paused.png'));
    expect(fakeTray.tooltip).toBe('Trickle — paused: nothing left to send');

    fakeTray.click('Resume sending');
    await vi.waitFor(async () => expect((await engine.sending.status()).paused).toBe(false));
    await vi.waitFor(() => expect(fakeTray.labels()).toContain('Pause sending'));
    expect(fakeTray.image.path).toBe(join(RESOURCES, 'tray-idle.png'));

    fakeTray.click('Open Trickle');
    expect(onOpen).toHaveBeenCalledTimes(1);
    fakeTray.emit('click');
    expect(onOpen).toHaveBeenCalledTimes(2);
    fakeTray.click('Quit');
    expect(onQuit).toHaveBeenCalledTimes(1);

    tray.destroy();
    expect(fakeTray.destroyed).toBe(true);
  });

  it('follows the engine: paused from elsewhere (the window, the API), and messages waiting with no account', async () => {
    const { createTray } = await import('../../src-main/electron/tray');
    const tray = createTray({ engine, iconDir: RESOURCES, platform: 'linux', onOpen() {}, onQuit() {}, debounceMs: 5 });
    await tray.controller.refresh();
    const fakeTray = Tray.instances[0]!;

    await engine.sending.pause(); // emits 'status'
    await vi.waitFor(() => expect(fakeTray.image.path).toBe(join(RESOURCES, 'tray-paused.png')));
    await engine.sending.resume();
    await vi.waitFor(() => expect(fakeTray.image.path).toBe(join(RESOURCES, 'tray-idle.png')));

    const { campaign } = await engine.campaigns.create({
      name: 'Spring fair',
      subject: 'Hello',
      text: 'See you Saturday',
      recipients: [{ email: 'a@example.com' }, { email: 'b@example.com' }],
    });
    await engine.campaigns.queue({ id: campaign.id });
    await vi.waitFor(() => expect(fakeTray.image.path).toBe(join(RESOURCES, 'tray-waiting.png')));
    expect(fakeTray.tooltip).toBe('Trickle — waiting: 2 left');
    expect(fakeTray.labels()[1]).toBe('No Gmail account yet: add one to start sending.');
    tray.destroy();
  });

  it('uses the macOS template images on macOS', async () => {
    const { createTray } = await import('../../src-main/electron/tray');
    const tray = createTray({ engine, iconDir: RESOURCES, platform: 'darwin', onOpen() {}, onQuit() {} });
    await tray.controller.refresh();
    const fakeTray = Tray.instances[0]!;
    expect(fakeTray.image.path).toBe(join(RESOURCES, 'tray-idleTemplate.png'));
    expect(fakeTray.image.template).toBe(true);
    expect(fakeTray.listenerCount('click')).toBe(0); // a click opens the menu there
    tray.destroy();
  });

  it('redraws once for a burst of events (debounced), and not after dispose', async () => {
    const apply = vi.fn();
    const controller = createTrayController({ engine, apply, onOpen() {}, onQuit() {}, debounceMs: 20 });
    for (let i = 0; i < 20; i++) engine.events.emit('status');
    await vi.waitFor(() => expect(apply).toHaveBeenCalledTimes(1));
    await new Promise((r) => setTimeout(r, 60));
    expect(apply).toHaveBeenCalledTimes(1);
    controller.dispose();
    engine.events.emit('status');
    await new Promise((r) => setTimeout(r, 60));
    expect(apply).toHaveBeenCalledTimes(1);
  });
});

/** Decodes an 8-bit RGBA, non-interlaced PNG with filter 0 rows (what build/make-icons.mjs writes). */
function decodeRgba(png: Buffer): Uint8Array {
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      expect(data[9]).toBe(6);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    out.set(raw.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), y * width * 4);
  }
  return out;
}
