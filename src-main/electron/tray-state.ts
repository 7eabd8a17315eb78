// PURE (no `electron` import) — what the tray shows, computed from the engine's sending
// status and its accounts: one of five states, the icon for it, a tooltip with what is left
// and the ETA, and the menu's labels. tray.ts puts this on the screen.

import { clockTime } from '../../src-shared/time-format';
import type { SendingStatus } from '../../src-shared/views/sending';

export type TrayState = 'idle' | 'sending' | 'paused' | 'waiting' | 'attention';

/** Icon base names in resources/: `<name>.png`, `<name>@2x.png`, `<name>Template.png`, `<name>Template@2x.png`. */
export const TRAY_ICONS: Readonly<Record<TrayState, string>> = Object.freeze({
  idle: 'tray-idle',
  sending: 'tray-sending',
  paused: 'tray-paused',
  waiting: 'tray-waiting',
  attention: 'tray-attention',
});

export const MENU_LABELS = Object.freeze({
  open: 'Open Trickle',
  pause: 'Pause sending',
  resume: 'Resume sending',
  quit: 'Quit',
});

export type TrayAction = 'open' | 'pause' | 'resume' | 'quit';

export interface TrayMenuItem {
  label: string;
  /** Absent for the status lines at the top, which are shown greyed out. */
  action?: TrayAction;
}

export interface TrayView {
  state: TrayState;
  icon: string;
  /** At most 127 characters (Windows cuts tooltips at 128). */
  tooltip: string;
  /** The menu, top to bottom; `null` is a separator. */
  menu: (TrayMenuItem | null)[];
}

export type TrayStatusInput = Pick<
  SendingStatus,
  'state' | 'paused' | 'queued' | 'inFlight' | 'retryWaiting' | 'waitingReason' | 'resumesAt' | 'eta' | 'accountsNeedingAttention'
> & {
  /** Of what is left, the messages of rehearsals (written to a log, never sent). */
  rehearsalLeft?: number;
};

export interface TrayInput {
  /** The engine's one status snapshot: the tray says what the window says. */
  status: TrayStatusInput;
  /** For the ETA's wording ("14:20" today, "Tue 14:20" this week). */
  now: Date;
  /** How times are written; the user's own locale when absent. */
  locale?: string;
}

/** The tray's part of the status snapshot. */
export function trayStatusOf(status: SendingStatus): TrayStatusInput {
  const rehearsalLeft = status.campaigns.filter((c) => c.rehearsal).reduce((n, c) => n + c.left, 0);
  return { ...status, ...(rehearsalLeft ? { rehearsalLeft } : {}) };
}

const TOOLTIP_MAX = 127;

export function trayView({ status, now, locale }: TrayInput): TrayView {
  const left = status.queued + status.inFlight + status.retryWaiting;
  const needingPassword = status.accountsNeedingAttention;

  // The snapshot's state, as the window's top bar shows it; an account to fix wins.
  const state: TrayState = needingPassword > 0 ? 'attention' : status.state;

  const leftText = left > 0 ? `${count(left)} left` : 'nothing left to send';
  const rehearsal = left > 0 && status.rehearsalLeft === left ? ' (rehearsal)' : '';
  const time = (iso: string) => clock(new Date(iso), now, locale);
  let summary: string;
  let detail: string | undefined;
  switch (state) {
    case 'attention':
      summary =
        `needs attention: ${needingPassword === 1 ? '1 account needs' : `${count(needingPassword)} accounts need`} a new app password` +
        (left > 0 ? `, ${leftText}` : '');
      detail = status.paused ? 'Sending is paused.' : status.waitingReason;
      break;
    case 'paused':
      summary = `paused: ${leftText}`;
      detail = status.paused ? undefined : status.waitingReason;
      break;
    case 'idle':
      summary = 'idle: nothing left to send';
      break;
    case 'waiting':
      summary = `waiting${rehearsal}: ${leftText}${status.resumesAt ? `, resumes about ${time(status.resumesAt)}` : ''}`;
      detail = status.waitingReason;
      break;
    case 'sending':
      summary = `sending${rehearsal}: ${leftText}${status.eta ? `, done about ${time(status.eta)}` : ''}`;
      break;
  }

  const pausedNow = status.paused;
  const menu: (TrayMenuItem | null)[] = [
    { label: capitalise(summary) },
    ...(detail ? [{ label: detail }] : []),
    null,
    { label: MENU_LABELS.open, action: 'open' },
    pausedNow ? { label: MENU_LABELS.resume, action: 'resume' } : { label: MENU_LABELS.pause, action: 'pause' },
    null,
    { label: MENU_LABELS.quit, action: 'quit' },
  ];
  return { state, icon: TRAY_ICONS[state], tooltip: truncate(`Trickle — ${summary}`, TOOLTIP_MAX), menu };
}

/** 1,234 */
function count(n: number): string {
  return n.toLocaleString('en-US');
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Local time in the user's own format (as the window writes it): "14:20" today, "Tue 14:20"
 * within the next six days, "3 Mar 14:20" after that.
 */
export function clock(at: Date, now: Date, locale?: string): string {
  if (Number.isNaN(at.getTime())) return '?';
  const hhmm = clockTime(at, locale);
  const dayStart = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((dayStart(at) - dayStart(now)) / 86_400_000);
  if (days === 0) return hhmm;
  if (days > 0 && days < 7) return `${WEEKDAYS[at.getDay()]} ${hhmm}`;
  return `${at.getDate()} ${MONTHS[at.getMonth()]} ${hhmm}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
