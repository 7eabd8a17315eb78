import { DAY, HOUR, iso } from '../core/clock';
import { outsideQuery } from './capacity';
import type { EngineContext } from '../context';
import type { AccountRow, StoredAccountState } from '../db/schema';
import type { SmtpAccount } from '../smtp/mailer';
import type { ClassifiedReply } from '../smtp/server-replies';
import type { AccountState, AccountStateDetail } from '../../../src-shared/views/accounts';

// An account's state as the send path and the other rooms use it: what it is now, moving it
// (cooling, limit reached, login failed) from what a server said, and its opened password.

export const COOLING_MS = 15 * 60 * 1000;
export const LIMIT_MIN_MS = HOUR;

/** The stored state, with timed states that have run out read as `ok`, and disabled first. */
export function effectiveState(row: Pick<AccountRow, 'enabled' | 'state' | 'state_until'>, now: number): AccountState {
  if (!row.enabled) return 'disabled';
  if ((row.state === 'cooling' || row.state === 'limit_reached') && (row.state_until ?? 0) <= now) return 'ok';
  return row.state;
}

/** The account with its password opened, for the mailer only. */
export function smtpAccountOf(
  ctx: EngineContext,
  row: Pick<AccountRow, 'email' | 'password_secret' | 'host' | 'port' | 'security'> & { id: number },
): SmtpAccount {
  // Throws SecretUnreadableError when the stored password can no longer be opened (the key or
  // keyring changed): callers ask the user for it again rather than try an empty one.
  const password = ctx.secrets.decrypt(row.password_secret);
  return { id: row.id, email: row.email, password, host: row.host, port: row.port, security: row.security };
}

export async function setAccountState(
  ctx: EngineContext,
  id: number,
  state: StoredAccountState,
  until: number | null,
  detail: AccountStateDetail | null,
): Promise<void> {
  await ctx.db
    .updateTable('accounts')
    .set({ state, state_until: until, state_detail: detail ? JSON.stringify(detail) : null })
    .where('id', '=', id)
    .execute();
  ctx.log.info('account state', { accountId: id, state, until: iso(until) });
  ctx.events.emit('account', { accountId: id, state, ...(detail ? { explanation: detail.explanation } : {}) });
}

/**
 * Applies what a server reply says about the account itself (PRODUCT.md §5). Returns true
 * when the reply was about the account (the message is then not at fault).
 */
export async function applyAccountReply(
  ctx: EngineContext,
  row: Pick<AccountRow, 'email_norm' | 'daily_cap'> & { id: number },
  reply: ClassifiedReply,
): Promise<boolean> {
  const now = ctx.clock.now();
  const detail = { explanation: reply.explanation, code: reply.code, response: reply.response };
  switch (reply.action) {
    case 'account_auth':
      await setAccountState(ctx, row.id, 'auth_failed', null, detail);
      return true;
    case 'account_cooling':
      await setAccountState(ctx, row.id, 'cooling', now + COOLING_MS, detail);
      return true;
    case 'account_limit': {
      // The oldest send that happened: this batch's reservations (messages still `sending`, the
      // refused one included) are not sends, or an account with none would wait 24 h, not 1 h.
      const sent = await ctx.db
        .selectFrom('send_log')
        .select((eb) => eb.fn.min<number | null>('sent_at').as('oldest'))
        .where('account_email', '=', row.email_norm)
        .where('sent_at', '>', now - DAY)
        .where((eb) =>
          eb.or([
            eb('message_id', 'is', null),
            eb('message_id', 'not in', eb.selectFrom('messages').select('id').where('status', '=', 'sending')),
          ]),
        )
        .executeTakeFirstOrThrow();
      // Mail sent outside Trickle counts too: Gmail's window holds it.
      const outside = await outsideQuery(ctx.db, row.email_norm, now).executeTakeFirstOrThrow();
      const oldest = [sent.oldest, outside.oldest].filter((t): t is number => t != null);
      const nextSlotAt = oldest.length === 0 ? null : Math.min(...oldest) + DAY;
      await setAccountState(ctx, row.id, 'limit_reached', Math.max(now + LIMIT_MIN_MS, nextSlotAt ?? 0), detail);
      return true;
    }
    default:
      return false;
  }
}
