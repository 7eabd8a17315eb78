import { capacityOf } from './capacity';
import type { EngineContext } from '../context';
import type { AccountSecurity, ImapSecurity } from '../db/schema';
import { EngineError, notFound } from '../core/errors';
import type { ClassifiedReply } from '../smtp/server-replies';
import { SecretUnreadableError } from '../core/secrets';
import { parseInput } from '../core/validation';
import { accountIdSchema, addAccountSchema, updateAccountSchema } from './account-schemas';
import { applyAccountReply, setAccountState, smtpAccountOf } from './account-state';
import type { SmtpAccount } from '../smtp/mailer';
import type { Account } from '../../../src-shared/views/accounts';
import { toAccount } from './account-views';

// The user's operations on accounts: add (after a login check), edit, remove, verify, list.

const GMAIL_HOST = 'smtp.gmail.com';
/** Gmail's IMAP server: where a Gmail account's mailbox is read (PRODUCT.md §5b). */
const GMAIL_IMAP = { host: 'imap.gmail.com', port: 993, security: 'tls' as const };

/**
 * Gmail app passwords are 16 letters, shown by Google in groups of four: the spaces a user
 * pastes along are removed. Another host's password is kept exactly as typed.
 */
export function normalizeAppPassword(password: string, hostName: string): string {
  if (hostName.toLowerCase() !== GMAIL_HOST) return password;
  const compact = password.replace(/\s+/g, '');
  if (!/^[a-zA-Z]{16}$/.test(compact)) {
    throw new EngineError(
      'invalid_input',
      'appPassword: A Gmail app password is 16 letters (Google shows it in four groups of four). Create one at myaccount.google.com/apppasswords — your normal Gmail password will not work.',
      { field: 'appPassword' },
    );
  }
  return compact.toLowerCase();
}

function isLoopbackHost(name: string): boolean {
  const h = name.toLowerCase();
  return h === 'localhost' || h === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function checkSecurity(hostName: string, sec: AccountSecurity): void {
  if (sec === 'none' && !isLoopbackHost(hostName)) {
    throw new EngineError(
      'invalid_input',
      'security: Unencrypted connections are only allowed to this computer (localhost), never across a network. Choose TLS or STARTTLS.',
      { field: 'security' },
    );
  }
}

interface ImapSettings {
  host: string | null;
  port: number | null;
  security: ImapSecurity | null;
}

/**
 * Where the account's mailbox is: what the user gave, else what was stored, else Gmail's for a
 * Gmail account; none for another host until the user gives one. The password is the same.
 */
function imapSettings(
  args: { imapHost?: string | undefined; imapPort?: number | undefined; imapSecurity?: ImapSecurity | undefined },
  smtpHost: string,
  current?: ImapSettings,
): ImapSettings {
  const fallback = current?.host
    ? current
    : smtpHost.toLowerCase() === GMAIL_HOST
      ? GMAIL_IMAP
      : { host: null, port: null, security: null };
  const host = args.imapHost ?? fallback.host;
  if (!host) {
    if (args.imapPort !== undefined || args.imapSecurity !== undefined) {
      throw new EngineError('invalid_input', 'imapHost: Give the IMAP server (such as imap.gmail.com) along with its port or security.', {
        field: 'imapHost',
      });
    }
    return { host: null, port: null, security: null };
  }
  // What is not given follows the stored (or Gmail's) settings while they still describe this server.
  const security = args.imapSecurity ?? (host === fallback.host ? fallback.security : null) ?? 'tls';
  const port =
    args.imapPort ?? (host === fallback.host && security === fallback.security ? fallback.port : null) ?? (security === 'tls' ? 993 : 143);
  if (security === 'none' && !isLoopbackHost(host)) {
    throw new EngineError(
      'invalid_input',
      'imapSecurity: Unencrypted connections are only allowed to this computer (localhost), never across a network. Choose TLS.',
      { field: 'imapSecurity' },
    );
  }
  return { host, port, security };
}

export async function addAccount(ctx: EngineContext, input: unknown): Promise<Account> {
  const args = parseInput(addAccountSchema, input);
  const sec = args.security ?? 'tls';
  const hostName = args.host ?? GMAIL_HOST;
  const portNumber = args.port ?? (sec === 'starttls' ? 587 : sec === 'tls' ? 465 : 25);
  checkSecurity(hostName, sec);
  const imap = imapSettings(args, hostName);
  const password = normalizeAppPassword(args.appPassword, hostName);
  const emailNorm = args.email.toLowerCase();

  const existing = await ctx.db.selectFrom('accounts').select('id').where('email_norm', '=', emailNorm).executeTakeFirst();
  if (existing) {
    throw new EngineError('conflict', `${args.email} is already an account in Trickle. Edit it instead of adding it again.`);
  }

  const verified = args.verify !== false;
  if (verified) {
    const result = await ctx.mailer.verify({ id: 0, email: args.email, password, host: hostName, port: portNumber, security: sec });
    if (!result.ok) throw loginFailed(args.email, result.reply);
  }

  const now = ctx.clock.now();
  const row = await ctx.db
    .insertInto('accounts')
    .values({
      email: args.email,
      email_norm: emailNorm,
      from_name: args.fromName ?? '',
      password_secret: ctx.secrets.encrypt(password),
      daily_cap: args.dailyCap ?? 100,
      enabled: args.enabled === false ? 0 : 1,
      host: hostName,
      port: portNumber,
      security: sec,
      created_at: now,
      imap_host: imap.host,
      imap_port: imap.port,
      imap_security: imap.security,
      watch_inbox: args.watchInbox === false ? 0 : 1,
      // Saved unchecked, it shows "Not checked" until a login succeeds (Verify, or a send).
      verified_at: verified ? now : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  ctx.log.info('account added', { accountId: row.id });
  ctx.events.emit('account', { accountId: row.id, state: args.enabled === false ? 'disabled' : 'ok' });
  return getAccount(ctx, row.id);
}

export async function updateAccount(ctx: EngineContext, input: unknown): Promise<Account> {
  const args = parseInput(updateAccountSchema, input);
  const current = await accountRow(ctx, args.id);
  const hostName = args.host ?? current.host;
  const sec = args.security ?? current.security;
  const portNumber = args.port ?? current.port;
  checkSecurity(hostName, sec);
  const imap = imapSettings(args, hostName, { host: current.imap_host, port: current.imap_port, security: current.imap_security });
  const password = args.appPassword === undefined ? undefined : normalizeAppPassword(args.appPassword, hostName);
  const connectionChanged = password !== undefined || hostName !== current.host || portNumber !== current.port || sec !== current.security;
  // Another mailbox server: its UIDs mean nothing here; read it from the start (notices are counted once all the same).
  const mailboxMoved = imap.host !== current.imap_host || imap.port !== current.imap_port || imap.security !== current.imap_security;
  const inboxChanged =
    mailboxMoved || password !== undefined || (args.watchInbox !== undefined && (args.watchInbox ? 1 : 0) !== current.watch_inbox);

  if (connectionChanged && args.verify !== false) {
    const where = { host: hostName, port: portNumber, security: sec };
    let smtp: SmtpAccount;
    if (password !== undefined) smtp = { id: current.id, email: current.email, password, ...where };
    else {
      try {
        smtp = { ...smtpAccountOf(ctx, current), ...where };
      } catch (error) {
        if (error instanceof SecretUnreadableError) {
          throw new EngineError('login_failed', error.message, { field: 'appPassword' });
        }
        throw error;
      }
    }
    const result = await ctx.mailer.verify(smtp);
    if (!result.ok) throw loginFailed(current.email, result.reply);
  }
  const checked = connectionChanged && args.verify !== false;

  await ctx.db
    .updateTable('accounts')
    .set({
      ...(args.fromName !== undefined ? { from_name: args.fromName } : {}),
      ...(args.dailyCap !== undefined ? { daily_cap: args.dailyCap } : {}),
      ...(args.enabled !== undefined ? { enabled: args.enabled ? 1 : 0 } : {}),
      ...(password !== undefined ? { password_secret: ctx.secrets.encrypt(password) } : {}),
      host: hostName,
      port: portNumber,
      security: sec,
      // New credentials or server: whatever the old ones earned (auth_failed, cooling) no longer applies.
      ...(connectionChanged ? { state: 'ok' as const, state_until: null, state_detail: null } : {}),
      imap_host: imap.host,
      imap_port: imap.port,
      imap_security: imap.security,
      ...(args.watchInbox !== undefined ? { watch_inbox: args.watchInbox ? 1 : 0 } : {}),
      // The last look's verdict was about the old mailbox settings.
      ...(inboxChanged ? { inbox_state: null, inbox_detail: null } : {}),
      // New credentials or server: checked now, or not checked until a login succeeds.
      ...(connectionChanged ? { verified_at: checked ? ctx.clock.now() : null } : {}),
    })
    .where('id', '=', args.id)
    .execute();
  if (mailboxMoved) await ctx.db.deleteFrom('inbox_cursors').where('account_id', '=', args.id).execute();
  if (connectionChanged) ctx.mailer.close(args.id);
  const account = await getAccount(ctx, args.id);
  ctx.events.emit('account', { accountId: account.id, state: account.state });
  ctx.events.emit('status');
  return account;
}

export async function removeAccount(ctx: EngineContext, input: unknown): Promise<{ removed: true }> {
  const { id } = parseInput(accountIdSchema, input);
  await accountRow(ctx, id);
  const inFlight = await ctx.db
    .selectFrom('messages')
    .select('id')
    .where('status', '=', 'sending')
    .where('account_id', '=', id)
    .executeTakeFirst();
  if (inFlight) {
    throw new EngineError('conflict', 'This account is sending a message right now. Pause sending or wait a few seconds, then remove it.');
  }
  // The send log is kept (keyed by address): re-adding the account cannot reset its 24-hour count.
  await ctx.db.deleteFrom('accounts').where('id', '=', id).execute();
  ctx.mailer.close(id);
  ctx.log.info('account removed', { accountId: id });
  ctx.events.emit('account', { accountId: id, state: 'removed' });
  ctx.events.emit('status');
  return { removed: true };
}

/** Logs in again; success clears a login problem, failure records what the server said. */
export async function verifyAccount(ctx: EngineContext, input: unknown): Promise<Account> {
  const { id } = parseInput(accountIdSchema, input);
  const row = await accountRow(ctx, id);
  let smtp: SmtpAccount;
  try {
    smtp = smtpAccountOf(ctx, row);
  } catch (error) {
    if (!(error instanceof SecretUnreadableError)) throw error;
    await applyAccountReply(ctx, row, { action: 'account_auth', code: 'SECRET', response: '', explanation: error.message });
    return getAccount(ctx, id);
  }
  const result = await ctx.mailer.verify(smtp);
  if (result.ok) {
    await ctx.db.updateTable('accounts').set({ verified_at: ctx.clock.now() }).where('id', '=', id).execute();
    if (row.state === 'auth_failed' || row.state === 'cooling') {
      await setAccountState(ctx, id, 'ok', null, null);
    }
  } else {
    await applyAccountReply(ctx, row, result.reply);
  }
  return getAccount(ctx, id);
}

export async function listAccounts(ctx: EngineContext): Promise<Account[]> {
  const rows = await ctx.db.selectFrom('accounts').selectAll().orderBy('id').execute();
  const now = ctx.clock.now();
  return Promise.all(rows.map(async (row) => toAccount(row, await capacityOf(ctx.db, row.email_norm, row.daily_cap, now), now)));
}

export async function getAccount(ctx: EngineContext, id: number): Promise<Account> {
  const row = await accountRow(ctx, id);
  const now = ctx.clock.now();
  return toAccount(row, await capacityOf(ctx.db, row.email_norm, row.daily_cap, now), now);
}

export async function accountRow(ctx: EngineContext, id: number) {
  const row = await ctx.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Account', id);
  return row;
}

function loginFailed(address: string, reply: ClassifiedReply): EngineError {
  return new EngineError('login_failed', `Could not log in to ${address}: ${reply.explanation}`, {
    code: reply.code,
    response: reply.response,
  });
}
