import type { EngineContext } from '../context';
import type { AccountRow, StoredInboxState } from '../db/schema';

// Each account's mailbox health (`inbox`: ok, auth_failed, unreachable, off), kept with the time
// of the last look and what went wrong in words. A mailbox problem never stops sending.

export async function setInboxState(ctx: EngineContext, accountId: number, state: StoredInboxState, detail: string | null): Promise<void> {
  await ctx.db
    .updateTable('accounts')
    .set({ inbox_state: state, inbox_checked_at: ctx.clock.now(), inbox_detail: detail })
    .where('id', '=', accountId)
    .execute();
  ctx.events.emit('inbox', { accountId, state, ...(detail ? { detail } : {}) });
}

/** What went wrong, as the inbox's state and a sentence; the server's words kept, never the password. */
export function describeImapError(error: unknown, account: Pick<AccountRow, 'imap_host' | 'imap_port'>): [StoredInboxState, string] {
  const e = (error ?? {}) as {
    authenticationFailed?: boolean;
    responseText?: string;
    serverResponseCode?: string;
    code?: string;
    message?: string;
  };
  const server = `${account.imap_host}:${account.imap_port ?? 993}`;
  const said = e.responseText ? ` (the server said: “${e.responseText.slice(0, 200)}”)` : '';
  if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return [
      'auth_failed',
      `${server} did not accept this account’s app password for reading its mailbox${said}. Sending is not affected; enter a new app password to read bounces and unsubscribes again.`,
    ];
  }
  const why = e.code ? `${e.code}${e.message ? `: ${e.message}` : ''}` : (e.message ?? String(error));
  return [
    'unreachable',
    `Could not read the mailbox on ${server} (${why.slice(0, 200)})${said}. Trickle tries again at the next look; sending is not affected.`,
  ];
}
