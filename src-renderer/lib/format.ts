/** Numbers, sizes and times in the user's own locale and time zone. */
import { clockTime } from '../../src-shared/time-format';

export function num(n: number | undefined | null): string {
  return (n ?? 0).toLocaleString();
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

export function percent(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Math.min(100, Math.max(0, (part / whole) * 100));
}

export function bytes(size: number | null | undefined): string {
  if (size == null) return '—';
  if (size < 1024) return `${num(size)} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toLocaleString(undefined, { maximumFractionDigits: 0 })} KB`;
  return `${(size / 1024 / 1024).toLocaleString(undefined, { maximumFractionDigits: 1 })} MB`;
}

const weekdayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dayMonthFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const dayMonthYearFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const relativeDay = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** "14:20" or "02:20 PM": the one time format, the user's locale's (the tray writes the same). */
export function clock(iso: string | number | Date): string {
  return clockTime(iso);
}

/**
 * A moment near now, as a person says it: "today 14:20", "tomorrow 09:10", "Tue 09:10"
 * within the week, "12 Mar 09:10" further away, with the year when it is not this year.
 */
export function when(iso: string | number | Date | undefined | null, now: Date = new Date()): string {
  if (iso === undefined || iso === null || iso === '') return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const days = Math.round((startOfDay(d) - startOfDay(now)) / 86_400_000);
  const time = clockTime(d);
  if (days >= -1 && days <= 1) return `${relativeDay.format(days, 'day')} ${time}`;
  if (days > 1 && days < 7) return `${weekdayFormat.format(d)} ${time}`;
  if (d.getFullYear() === now.getFullYear()) return `${dayMonthFormat.format(d)} ${time}`;
  return `${dayMonthYearFormat.format(d)} ${time}`;
}

/** A date without the time: "12 Mar 2026". */
export function day(iso: string | undefined | null): string {
  if (!iso) return '—';
  return dayMonthYearFormat.format(new Date(iso));
}

/** "in 12 s", "in 4 min", "in 2 h 05 min"; "now" once the moment has come. */
export function countdown(targetMs: number, nowMs: number): string {
  const s = Math.round((targetMs - nowMs) / 1000);
  if (s <= 0) return 'now';
  if (s < 60) return `in ${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `in ${m} min${s % 60 && m < 10 ? ` ${String(s % 60).padStart(2, '0')} s` : ''}`;
  const h = Math.floor(m / 60);
  return `in ${h} h ${String(m % 60).padStart(2, '0')} min`;
}

/** A duration in seconds, in words: "30 s", "5 min", "1 h 30 min". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 60) return `${seconds.toLocaleString(undefined, { maximumFractionDigits: 1 })} s`;
  const m = Math.floor(seconds / 60);
  const rest = Math.round(seconds % 60);
  if (m < 60) return rest ? `${m} min ${rest} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** An ISO time as the value of an `<input type="datetime-local">` (local time, minutes). */
export function toLocalInput(iso: string | undefined | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value of an `<input type="datetime-local">` (local time) as ISO-8601 with offset. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

const timeSecondsFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** "14:20:05" */
export function clockSeconds(iso: string | number | Date): string {
  return timeSecondsFormat.format(new Date(iso));
}

/** A server's reply as it said it, with the code in front only when the reply does not contain it already. */
export function serverLine(code: string | undefined, response: string): string {
  if (!code || response.includes(code)) return response;
  return `${code} ${response}`;
}
