import { DAY } from '../core/clock';
import type { AccountWindow } from '../campaigns/forecast-inputs';

// Why sending waits, in words: why no account can send and until when, and a time said for the
// API's text ("tomorrow at 14:20"). The window and the tray write times in the user's own format.

/**
 * Why no account can send, and when one can again (the earliest slot or end of a cooling
 * period): said without a clock time (the window and tray write `until` in the user's own
 * format), and with one, in words, for the API's `waitingReason`.
 */
export function noAccountReason(accounts: AccountWindow[], now: number): { reason: string; text: string; until: number | undefined } {
  const blocked = { cap: 0, cooling: 0, limit: 0, auth: 0, disabled: 0 };
  let until: number | undefined;
  const resume = (t: number | null | undefined) => {
    if (t != null && t > now && (until === undefined || t < until)) until = t;
  };
  for (const a of accounts) {
    if (a.state === 'disabled') blocked.disabled++;
    else if (a.state === 'auth_failed') blocked.auth++;
    else if (a.state === 'cooling') {
      blocked.cooling++;
      resume(a.row.state_until);
    } else if (a.state === 'limit_reached') {
      blocked.limit++;
      resume(a.row.state_until);
    } else {
      blocked.cap++;
      // The oldest send in the window that must age out for a slot to free.
      const oldest = a.windowSends[Math.max(0, a.windowSends.length - a.row.daily_cap)];
      if (oldest !== undefined) resume(oldest + DAY);
    }
  }
  const total = accounts.length;
  const plain = (reason: string) => ({ reason, text: reason, until: undefined });
  if (total === 0) return plain('No Gmail account yet: add one to start sending.');
  if (blocked.cap + blocked.limit === total) {
    return {
      reason: 'All accounts at their daily cap.',
      text: `All accounts at their daily cap${until !== undefined ? ` — next slot ${clockTime(until, now)}` : ''}.`,
      until,
    };
  }
  if (blocked.disabled === total) return plain('All accounts are disabled: enable one to send.');
  if (blocked.auth === total) return plain('Every account needs a new app password: open Accounts to fix them.');
  const parts = [
    blocked.cap + blocked.limit ? `${blocked.cap + blocked.limit} at the daily cap` : '',
    blocked.cooling ? `${blocked.cooling} cooling down after a server refusal` : '',
    blocked.auth ? `${blocked.auth} needing a new app password` : '',
    blocked.disabled ? `${blocked.disabled} disabled` : '',
  ].filter(Boolean);
  const reason = `No account can send now (${parts.join(', ')})`;
  return { reason: `${reason}.`, text: `${reason}${until !== undefined ? ` — sending resumes ${atTime(until, now)}` : ''}.`, until };
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A time of day in the local time zone of the process (the user's machine), with its day when
 * that is not today: "14:20", "tomorrow at 14:20", "on Tue 8 Dec at 14:20". A bare "15:59"
 * said at 15:59 about tomorrow's slot reads as "now". (For the API's text only: the window and
 * the tray write the structured time in the user's own format.)
 */
export function clockTime(ms: number, now: number): string {
  const d = new Date(ms);
  const time = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  // Rounded: a day with a daylight-saving change is 23 or 25 hours long.
  const days = Math.round((startOfLocalDay(ms) - startOfLocalDay(now)) / DAY);
  if (days <= 0) return time;
  if (days === 1) return `tomorrow at ${time}`;
  return `on ${WEEKDAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} at ${time}`;
}

/** "at 14:20" today, else as clockTime: "tomorrow at 14:20". */
export function atTime(ms: number, now: number): string {
  const text = clockTime(ms, now);
  return text.includes(' ') ? text : `at ${text}`;
}

function startOfLocalDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}
