import type { Dovecot } from './dovecot';

export interface MailboxState {
  uidValidity: string;
  uidNext: number;
  exists: number;
  /** Every message's UID and stored flags (\Recent left out: it is the session's view, not a flag). */
  messages: { uid: number; flags: string[] }[];
}

/**
 * What a read-only reader must leave as it was, read from outside in a session of its own that
 * only EXAMINEs: every mailbox of the user, its UIDVALIDITY, UIDNEXT, message count, and each
 * message's flags.
 */
export async function mailboxSnapshot(dovecot: Dovecot, email: string): Promise<Record<string, MailboxState>> {
  const session = await dovecot.session(email);
  try {
    const snapshot: Record<string, MailboxState> = {};
    for (const box of await session.list()) {
      if (box.flags.has('\\Noselect')) continue;
      const opened = await session.mailboxOpen(box.path, { readOnly: true });
      const messages =
        opened.exists === 0
          ? []
          : (await session.fetchAll('1:*', { uid: true, flags: true })).map((m) => ({
              uid: m.uid,
              flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(),
            }));
      snapshot[box.path] = { uidValidity: String(opened.uidValidity), uidNext: opened.uidNext, exists: opened.exists, messages };
    }
    return snapshot;
  } finally {
    await session.logout().catch(() => session.close());
  }
}
