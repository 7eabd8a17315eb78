import { z } from 'zod';
import { sql } from 'kysely';
import { MESSAGE_STATUSES } from '../db/schema';
import { normalizeFieldName } from '../../../src-shared/field-names';
import { applyAccountReply, smtpAccountOf } from '../accounts/account-state';
import { campaignRow } from './campaign-state';
import { storedStatus, toMessage } from './campaign-views';
import { attachmentsToSend } from './attachments';
import { PLACEHOLDER_SENDER, type RenderedMessage, renderMessage, toMailOptions } from './compose';
import { capacityOf } from '../accounts/capacity';
import { checkAddress } from '../core/addresses';
import { testCopyMessageId } from '../core/message-ids';
import type { EngineContext } from '../context';
import { EngineError } from '../core/errors';
import { MergeError } from './merge';
import { pickAccount } from '../accounts/rotation';
import { usableAccounts } from '../accounts/usable-accounts';
import { SecretUnreadableError } from '../core/secrets';
import { parseInput } from '../core/validation';
import { PaceMeter } from '../accounts/pace';
import type { SmtpAccount } from '../smtp/mailer';

export const previewSchema = z.object({ id: z.int().positive(), messageId: z.int().positive().optional() }).strict();
export const testSendSchema = z
  .object({
    id: z.int().positive(),
    to: z.string().max(1000),
    messageId: z.int().positive().optional(),
    accountId: z.int().positive().optional(),
  })
  .strict();

export interface Preview {
  recipient: { messageId: number; email: string; name?: string; row: number };
  from: string;
  to: string;
  replyTo?: string;
  subject: string;
  html?: string;
  text: string;
  headers: Record<string, string>;
}

/** A recipient's message exactly as it would go out (the first recipient if none is named). */
export async function previewMessage(ctx: EngineContext, input: unknown): Promise<Preview> {
  const args = parseInput(previewSchema, input);
  const campaign = await campaignRow(ctx.db, args.id);
  const message = await recipientFor(ctx, args.id, args.messageId);
  const account = await ctx.db.selectFrom('accounts').selectAll().where('enabled', '=', 1).orderBy('id').limit(1).executeTakeFirst();
  const sender = account ? { email: account.email, fromName: account.from_name } : PLACEHOLDER_SENDER;
  try {
    // A draft's message is shown as it is to the user: without the Message-ID it is stored with
    // (campaign-views.ts), given only once the draft is queued.
    const r = renderMessage(campaign, campaign.status === 'draft' ? { ...message, message_id: null } : message, sender);
    return {
      recipient: { messageId: message.id, email: message.email, ...(message.name ? { name: message.name } : {}), row: message.row },
      from: r.from.name ? `${r.from.name} <${r.from.address}>` : r.from.address,
      to: r.to.name ? `${r.to.name} <${r.to.address}>` : r.to.address,
      ...(r.replyTo ? { replyTo: r.replyTo } : {}),
      subject: r.subject,
      ...(r.html ? { html: r.html } : {}),
      text: r.text,
      headers: { 'List-Unsubscribe': r.listUnsubscribe, ...(r.messageId ? { 'Message-ID': r.messageId } : {}) },
    };
  } catch (error) {
    if (error instanceof MergeError)
      throw new EngineError('merge_missing_field', `Row ${message.row} (${message.email}): ${error.message}`, { field: error.field });
    throw error;
  }
}

/**
 * Sends one copy, rendered with a recipient's data, to any address, through the named
 * account or the next one in rotation. It counts against that account's cap like any send.
 */
export async function testSend(ctx: EngineContext, input: unknown): Promise<{ sentTo: string; from: string; response: string }> {
  const args = parseInput(testSendSchema, input);
  const to = checkAddress(args.to);
  if (!to.ok) throw new EngineError('invalid_input', `to: ${to.reason}`, { field: 'to' });
  const campaign = await campaignRow(ctx.db, args.id);
  const message = await recipientFor(ctx, args.id, args.messageId);
  const now = ctx.clock.now();
  const usable = await usableAccounts(ctx.db, now);
  const chosen = args.accountId ? usable.find((a) => a.id === args.accountId) : pickAccount(usable);
  if (!chosen) {
    throw new EngineError(
      'no_account',
      args.accountId
        ? 'That account cannot send right now (disabled, at its daily cap, cooling down or needing a new password).'
        : 'No account can send right now. Add an account, or wait until one has capacity.',
    );
  }
  const account = await ctx.db.selectFrom('accounts').selectAll().where('id', '=', chosen.id).executeTakeFirstOrThrow();
  // Only the campaign's stored files, checked as for a real send.
  const attachments = await attachmentsToSend(ctx, campaign);
  let rendered: RenderedMessage;
  try {
    rendered = renderMessage(campaign, message, { email: account.email, fromName: account.from_name }, attachments);
  } catch (error) {
    if (error instanceof MergeError) throw new EngineError('merge_missing_field', error.message, { field: error.field });
    throw error;
  }
  // A test copy gets its own Message-ID: the recipient's is kept for the real send. Trickle's
  // own kind, so the account's Sent Mail does not count it again as sent outside Trickle.
  const mail = toMailOptions({
    ...rendered,
    to: { name: '', address: to.email },
    subject: `[Test] ${rendered.subject}`,
    messageId: testCopyMessageId(),
  });
  if ((await capacityOf(ctx.db, account.email_norm, account.daily_cap, now)).remaining <= 0) {
    throw new EngineError('no_account', 'That account is at its daily cap.');
  }
  let smtp: SmtpAccount;
  try {
    smtp = smtpAccountOf(ctx, account);
  } catch (error) {
    if (error instanceof SecretUnreadableError) throw new EngineError('login_failed', error.message);
    throw error;
  }
  const log = await ctx.db
    .insertInto('send_log')
    .values({ account_email: account.email_norm, kind: 'test', sent_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const result = await ctx.mailer.send(smtp, mail, now);
  if (result.ok) {
    await ctx.db.updateTable('send_log').set({ sent_at: ctx.clock.now() }).where('id', '=', log.id).execute();
    // A send like any other: it tells the account's pace, and that its login works.
    const pace = new PaceMeter();
    pace.note(account.id, ctx.clock.now() - now);
    await pace.save(ctx.db, ctx.clock.now());
    return { sentTo: to.email, from: account.email, response: result.response };
  }
  if (result.reply.action !== 'in_doubt') await ctx.db.deleteFrom('send_log').where('id', '=', log.id).execute();
  await applyAccountReply(ctx, account, result.reply);
  throw new EngineError('send_failed', `The test message was not sent: ${result.reply.explanation}`, {
    code: result.reply.code,
    response: result.reply.response,
  });
}

async function recipientFor(ctx: EngineContext, campaignId: number, messageId: number | undefined) {
  let query = ctx.db.selectFrom('messages').selectAll().where('campaign_id', '=', campaignId);
  query = messageId ? query.where('id', '=', messageId) : query.where('status', '!=', 'skipped').orderBy('id').limit(1);
  const message = await query.executeTakeFirst();
  if (!message) {
    throw new EngineError(
      'not_found',
      messageId ? `Recipient ${messageId} is not in this campaign.` : 'This campaign has no recipients yet: import some to preview.',
    );
  }
  return message;
}

export const EXPORT_DELIMITERS = [',', ';', '\t'] as const;

export const exportSchema = z
  .object({
    id: z.int().positive(),
    /** Only the messages in this state ("failed" for the ones to try again). */
    status: z.enum(MESSAGE_STATUSES).optional(),
    /** The separator; by default the one of the file the recipients came from (else a comma). */
    delimiter: z.enum(EXPORT_DELIMITERS).optional(),
    /** The user's zone (IANA, such as Europe/Berlin) for the local-time column; UTC only without it. */
    timeZone: z.string().max(100).refine(isTimeZone, 'Give a time zone such as Europe/Berlin (as the system names it).').optional(),
  })
  .strict();

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The results columns after the recipient's own (its address and every merge column). */
const RESULT_COLUMNS = [
  'status',
  'attempts',
  'sent_at_utc',
  'account',
  'message_id',
  'error_code',
  'server_reply',
  'explanation',
  'skip_reason',
  // What came back in the mailbox (PRODUCT.md §5b).
  'bounce_status',
  'bounce_reply',
  'bounce_explanation',
  'bounced_at_utc',
  'replied_at_utc',
  'auto_replied_at_utc',
  'unsubscribed_at_utc',
];

/**
 * The campaign's results as CSV that a spreadsheet opens cleanly, one row per recipient (or
 * per recipient in one state): UTF-8 with a byte-order mark (else Excel garbles "—"), split by
 * the import's separator (or the one asked for), each recipient's address and every merge
 * column as imported — so a filtered export imports again as it is — then the outcome, with the
 * send time in the user's zone beside UTC. Cells that a spreadsheet would run as a formula
 * (= + - @, tab, CR) are prefixed with an apostrophe, and so is such a character after a
 * separator or line break inside a cell.
 */
export async function exportResults(ctx: EngineContext, input: unknown): Promise<{ filename: string; csv: string; delimiter: string }> {
  const args = parseInput(exportSchema, input);
  const campaign = await campaignRow(ctx.db, args.id);
  const delimiter = args.delimiter ?? campaign.csv_delimiter ?? ',';
  const accounts = new Map((await ctx.db.selectFrom('accounts').select(['id', 'email']).execute()).map((a) => [a.id, a.email] as const));
  const fields = JSON.parse(campaign.fields) as string[];
  const local = args.timeZone ? localTime(args.timeZone) : undefined;
  const results = [
    'row',
    ...RESULT_COLUMNS.slice(0, 3),
    ...(local ? [`sent_at_local (${args.timeZone})`] : []),
    ...RESULT_COLUMNS.slice(3),
  ];
  // A result column named like one of the list's gets a prefix: re-imported, each stays its own.
  const taken = new Set(['email', ...fields]);
  const resultHeader = results.map((c) => (taken.has(normalizeFieldName(c)) ? `trickle_${c}` : c));
  const header = [resultHeader[0]!, 'email', ...fields, ...resultHeader.slice(1)];
  const line = (cells: string[]) => cells.map((v) => delimitedCell(v, delimiter)).join(delimiter);
  const lines = [line(header)];
  let query = ctx.db.selectFrom('messages').selectAll().where('campaign_id', '=', args.id);
  if (args.status) {
    // A draft's recipients are stored queued and shown as pending (campaign-views.ts).
    const stored = storedStatus(campaign.status, args.status);
    query = stored === undefined ? query.where(sql<boolean>`0`) : query.where('status', '=', stored);
  }
  const rows = await query.orderBy('id').execute();
  for (const row of rows) {
    const m = toMessage(campaign.status, row);
    const values = JSON.parse(row.fields) as Record<string, string>;
    lines.push(
      line([
        String(m.row),
        m.email,
        ...fields.map((f) => (Object.hasOwn(values, f) ? (values[f] ?? '') : '')),
        m.status,
        String(m.attempts),
        row.sent_at != null ? utcTime.format(row.sent_at).replace(',', '') : '',
        ...(local ? [row.sent_at != null ? local.format(row.sent_at).replace(',', '') : ''] : []),
        m.accountId ? (accounts.get(m.accountId) ?? '') : '',
        m.messageId ?? '',
        m.lastError?.code ?? '',
        m.lastError?.response ?? '',
        m.lastError?.explanation ?? '',
        m.skipReason ?? '',
        m.bounce?.status ?? '',
        m.bounce?.diagnostic ?? '',
        m.bounce?.explanation ?? '',
        m.bounce ? utcTime.format(Date.parse(m.bounce.at)).replace(',', '') : '',
        m.repliedAt ? utcTime.format(Date.parse(m.repliedAt)).replace(',', '') : '',
        m.autoRepliedAt ? utcTime.format(Date.parse(m.autoRepliedAt)).replace(',', '') : '',
        m.unsubscribedAt ? utcTime.format(Date.parse(m.unsubscribedAt)).replace(',', '') : '',
      ]),
    );
  }
  const safeName =
    campaign.name
      .replace(/[^\p{L}\p{N} _-]+/gu, '')
      .trim()
      .slice(0, 60) || `campaign-${args.id}`;
  return {
    // A rehearsal says so in its name; its rows say `rehearsed`, never `sent`.
    filename: `${safeName}${campaign.rehearsal ? ' rehearsal' : ''} ${args.status ?? 'results'}.csv`,
    csv: `\uFEFF${lines.join('\r\n')}\r\n`,
    delimiter,
  };
}

/** "2026-12-04 18:16:35": a form every spreadsheet reads as a date and time. */
function localTime(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
}
const utcTime = localTime('UTC');

// A spreadsheet set to another list separator (`;` in much of Europe) or a text import that
// splits at tabs or line breaks starts a new cell inside ours: what follows such a break is
// neutralised too, not only the cell's start. (Spaces between, but not the breaks themselves,
// so the scan stays linear on long runs of line breaks.)
const FORMULA_AFTER_BREAK = /([,;\t\r\n"][^\S\t\r\n]*)(?=[=+\-@])/g;
const FORMULA_AT_START = /^\s*[=+\-@]|^[\t\r]/;

export function csvCell(value: string): string {
  return delimitedCell(value, ',');
}

/** One cell for a file split at `delimiter`: quoted when it holds it (or a quote or line break). */
export function delimitedCell(value: string, delimiter: string): string {
  const inner = value.replace(FORMULA_AFTER_BREAK, "$1'");
  const neutral = FORMULA_AT_START.test(inner) ? `'${inner}` : inner;
  return /[",\r\n]/.test(neutral) || neutral.includes(delimiter) ? `"${neutral.replace(/"/g, '""')}"` : neutral;
}
