import { isIPv6 } from 'node:net';
import { z } from 'zod';
import { type Capacity, capacityOf } from './capacity';
import { DAY, HOUR, iso } from './clock';
import type { EngineContext } from './context';
import type { AccountRow, AccountSecurity, StoredAccountState } from './db/schema';
import { EngineError, notFound } from './errors';
import type { SmtpAccount } from './mailer';
import type { ClassifiedReply } from './replies';
import { SecretUnreadableError } from './secrets';
import { emailAddress, parseInput, singleLine } from './validation';

export type AccountState = StoredAccountState | 'disabled';

export interface AccountStateDetail {
  explanation: string;
  code?: string;
  response?: string;
}

/** An account as every caller sees it: never with its password. */
export interface Account {
  id: number;
  email: string;
  fromName: string;
  dailyCap: number;
  enabled: boolean;
  state: AccountState;
  stateDetail?: AccountStateDetail;
  /** Until when `cooling` or `limit_reached` lasts. */
  stateUntil?: string;
  sentLast24h: number;
  remaining: number;
  nextSlotAt?: string;
  host: string;
  port: number;
  security: AccountSecurity;
}

export const COOLING_MS = 15 * 60 * 1000;
export const LIMIT_MIN_MS = HOUR;

const GMAIL_HOST = 'smtp.gmail.com';

const fromName = singleLine('The sender name', z.string().trim().max(200));
const dailyCap = z.int('The daily cap must be a whole number.').min(1).max(2000);
/**
 * A server name, an IPv4 address, or an IPv6 address in brackets as in a URL ("[::1]"): stored
 * in its short form, and connected to without the brackets (mailer.ts). A bare IPv6 address is
 * refused with the form to use, since "::1" cannot be told from a name with a port.
 */
const host = z
  .string()
  .trim()
  .min(1)
  .max(253)
  // Checked first, so its sentence is the one given (the pattern below refuses it too).
  .refine((value) => !isIPv6(value), 'Write an IPv6 address in brackets, like [::1].')
  .regex(/^[a-zA-Z0-9.-]+$|^\[[^\]]+\]$/, 'The host must be a server name such as smtp.gmail.com.')
  .transform((value, ctx) => {
    if (!value.startsWith('[')) return value;
    if (!isIPv6(value.slice(1, -1))) {
      ctx.addIssue({ code: 'custom', message: `${value} is not an IPv6 address: write one such as [::1], or a server name such as smtp.gmail.com.` });
      return z.NEVER;
    }
    return new URL(`smtp://${value}`).hostname; // "[0:0::1]" → "[::1]"
  });
const port = z.int().min(1).max(65535);
const security = z.enum(['tls', 'starttls', 'none']);

/** What both adding and editing an account may set. `verify: false` skips the login check. */
const accountSettings = {
  fromName: fromName.optional(),
  dailyCap: dailyCap.optional(),
  host: host.optional(),
  port: port.optional(),
  security: security.optional(),
  enabled: z.boolean().optional(),
  verify: z.boolean().optional(),
};

export const addAccountSchema = z
  .object({
    email: emailAddress,
    appPassword: z.string().min(1, 'Enter the app password.').max(500),
    ...accountSettings,
  })
  .strict();

export const updateAccountSchema = z
  .object({ id: z.int().positive(), appPassword: z.string().min(1).max(500).optional(), ...accountSettings })
  .strict();

export const accountIdSchema = z.object({ id: z.int().positive() }).strict();

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

export async function addAccount(ctx: EngineContext, input: unknown): Promise<Account> {
  const args = parseInput(addAccountSchema, input);
  const sec = args.security ?? 'tls';
  const hostName = args.host ?? GMAIL_HOST;
  const portNumber = args.port ?? (sec === 'starttls' ? 587 : sec === 'tls' ? 465 : 25);
  checkSecurity(hostName, sec);
  const password = normalizeAppPassword(args.appPassword, hostName);
  const emailNorm = args.email.toLowerCase();

  const existing = await ctx.db.selectFrom('accounts').select('id').where('email_norm', '=', emailNorm).executeTakeFirst();
  if (existing) {
    throw new EngineError('conflict', `${args.email} is already an account in Trickle. Edit it instead of adding it again.`);
  }

  if (args.verify !== false) {
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
  const password = args.appPassword === undefined ? undefined : normalizeAppPassword(args.appPassword, hostName);
  const connectionChanged = password !== undefined || hostName !== current.host || portNumber !== current.port || sec !== current.security;

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
    })
    .where('id', '=', args.id)
    .execute();
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

/** The stored state, with timed states that have run out read as `ok`, and disabled first. */
export function effectiveState(row: Pick<AccountRow, 'enabled' | 'state' | 'state_until'>, now: number): AccountState {
  if (!row.enabled) return 'disabled';
  if ((row.state === 'cooling' || row.state === 'limit_reached') && (row.state_until ?? 0) <= now) return 'ok';
  return row.state;
}

function toAccount(row: Awaited<ReturnType<typeof accountRow>>, capacity: Capacity, now: number): Account {
  const state = effectiveState(row, now);
  const detail = state !== 'ok' && row.state_detail ? (JSON.parse(row.state_detail) as AccountStateDetail) : undefined;
  const until = state === 'cooling' || state === 'limit_reached' ? iso(row.state_until) : undefined;
  const nextSlotAt = iso(capacity.nextSlotAt);
  return {
    id: row.id,
    email: row.email,
    fromName: row.from_name,
    dailyCap: row.daily_cap,
    enabled: row.enabled === 1,
    state,
    ...(detail ? { stateDetail: detail } : {}),
    ...(until ? { stateUntil: until } : {}),
    sentLast24h: capacity.sentLast24h,
    remaining: capacity.remaining,
    ...(nextSlotAt ? { nextSlotAt } : {}),
    host: row.host,
    port: row.port,
    security: row.security,
  };
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
      const nextSlotAt = sent.oldest == null ? null : sent.oldest + DAY;
      await setAccountState(ctx, row.id, 'limit_reached', Math.max(now + LIMIT_MIN_MS, nextSlotAt ?? 0), detail);
      return true;
    }
    default:
      return false;
  }
}

function loginFailed(address: string, reply: ClassifiedReply): EngineError {
  return new EngineError('login_failed', `Could not log in to ${address}: ${reply.explanation}`, {
    code: reply.code,
    response: reply.response,
  });
}
