// One way to write a time of day, everywhere Trickle shows one (the window, the tray): the
// user's own locale and time zone, hours and minutes. "15:47" in one place and "03:47 PM" in
// another for the same moment was a bug.

const CLOCK: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit' };
const formats = new Map<string, Intl.DateTimeFormat>();

/** "14:20" or "02:20 PM", as the user's locale writes a time (or the locale given). */
export function clockTime(at: Date | number | string, locale?: string): string {
  const key = locale ?? '';
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, CLOCK);
    formats.set(key, format);
  }
  return format.format(new Date(at));
}
