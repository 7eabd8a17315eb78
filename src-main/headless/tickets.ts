import { randomBytes } from 'node:crypto';

/** What a ticket opens: the live-event stream, or one message preview frame. */
export type TicketUse = 'events' | 'preview';
export const TICKET_USES: readonly TicketUse[] = ['events', 'preview'];

/** Long enough for a page to open what it asked for; short enough that a copy is worth nothing. */
export const TICKET_TTL_MS = 60_000;
/** Outstanding tickets kept at most; the oldest go first (only a token holder can ask for one). */
const MAX_OPEN = 256;

/**
 * One-use, short-lived tickets for the two requests a browser cannot add a header to: the
 * EventSource of `GET /api/events` and the preview frame's `GET /preview`. The page asks for
 * one with its token in the Authorization header and puts it in that one URL; the server
 * forgets it on first use (right or wrong), after a minute, or for another use.
 */
export class Tickets {
  private readonly open = new Map<string, { use: TicketUse; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(use: TicketUse): { ticket: string; expiresInSeconds: number } {
    const now = this.now();
    for (const [ticket, t] of this.open) if (t.expiresAt <= now) this.open.delete(ticket);
    while (this.open.size >= MAX_OPEN) this.open.delete(this.open.keys().next().value!);
    const ticket = randomBytes(24).toString('base64url');
    this.open.set(ticket, { use, expiresAt: now + TICKET_TTL_MS });
    return { ticket, expiresInSeconds: TICKET_TTL_MS / 1000 };
  }

  /** True once for a ticket issued for `use` and not expired; every ticket shown is spent. */
  redeem(ticket: string | null, use: TicketUse): boolean {
    if (!ticket) return false;
    const found = this.open.get(ticket);
    if (!found) return false;
    this.open.delete(ticket);
    return found.use === use && found.expiresAt > this.now();
  }
}
