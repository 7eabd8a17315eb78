import { z } from 'zod';
import { applyAccountReply, smtpAccountOf } from '../accounts/account-state';
import { capacityOf } from '../accounts/capacity';
import { PaceMeter } from '../accounts/pace';
import { pickAccount } from '../accounts/rotation';
import { usableAccounts } from '../accounts/usable-accounts';
import type { EngineContext } from '../context';
import { checkAddress } from '../core/addresses';
import { EngineError } from '../core/errors';
import { testCopyMessageId } from '../core/message-ids';
import { SecretUnreadableError } from '../core/secrets';
import { parseInput } from '../core/validation';
import type { SmtpAccount } from '../smtp/mailer';
import { attachmentsToSend } from './attachments';
import { recipientFor } from './campaign-preview';
import { campaignRow } from './campaign-state';
import { type RenderedMessage, renderMessage, toMailOptions } from './compose';
import { MergeError } from './merge';

export const testSendSchema = z
  .object({
    id: z.int().positive(),
    to: z.string().max(1000),
    messageId: z.int().positive().optional(),
    accountId: z.int().positive().optional(),
  })
  .strict();

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
