import { applyAccountReply, effectiveState, smtpAccountOf } from '../accounts/account-state';
import { attachmentsToSend } from '../campaigns/attachments';
import { campaignRow, setCampaignStatus } from '../campaigns/campaign-state';
import {
  MAX_MESSAGE_BYTES,
  megabytes,
  messageBytes,
  type RenderedMessage,
  renderMessage,
  type StoredAttachment,
  toMailOptions,
} from '../campaigns/compose';
import type { EngineContext } from '../context';
import type { AccountRow, CampaignRow, MessageRow, MessageStatus } from '../db/schema';
import { PLACEHOLDER_SENDER } from '../campaigns/compose';
import type { PaceMeter } from '../accounts/pace';
import { EngineError } from '../core/errors';
import type { SmtpAccount } from '../smtp/mailer';
import { MergeError } from '../campaigns/merge';
import { type ClaimedMessage, reassign } from './claim';
import type { SendJournal } from './send-journal';
import type { ClassifiedReply } from '../smtp/server-replies';
import { pickAccount } from '../accounts/rotation';
import { usableAccounts } from '../accounts/usable-accounts';
import { SecretUnreadableError } from '../core/secrets';

/** Three policy blocks in a row pause the campaign: its content or the sender is being refused. */
const POLICY_BLOCKS_BEFORE_PAUSE = 3;

/**
 * One claimed message: checked again (its campaign, the suppression list, its attachments),
 * rendered, sent through its account (or written to a rehearsal's log), and its outcome
 * recorded in the batch's journal.
 */
export async function sendOne(
  ctx: EngineContext,
  position: number,
  claimed: ClaimedMessage,
  outcomes: SendJournal,
  logins: LoginCache,
  pace: PaceMeter,
) {
  const startedAt = ctx.clock.now();
  const campaign = await campaignRow(ctx.db, claimed.campaignId);
  // The campaign may have been paused or cancelled since the claim.
  if (campaign.status === 'cancelled') return outcomes.record(claimed, { kind: 'cancelled' });
  if (campaign.status !== 'sending' && campaign.status !== 'queued') return outcomes.record(claimed, { kind: 'requeue' });

  const message = await ctx.db.selectFrom('messages').selectAll().where('id', '=', claimed.id).executeTakeFirstOrThrow();
  // Checked again now: an address may have unsubscribed since the claim. (Two point lookups:
  // a join of the two costs several times more, measured.)
  const suppressed = await ctx.db
    .selectFrom('suppressions')
    .select('reason')
    .where('email_norm', '=', message.email_norm)
    .executeTakeFirst();
  if (suppressed) {
    return outcomes.record(claimed, { kind: 'skipped', reason: `On the suppression list (${suppressed.reason}).` });
  }

  // Attachments are checked again now: a stored file gone or damaged since queueing pauses the
  // campaign (nothing is burned) rather than failing every message, or sending without it.
  let attachments: (StoredAttachment & { size: number })[];
  let attachmentBytes: number;
  try {
    attachments = await attachmentsToSend(ctx, campaign);
    attachmentBytes = attachments.reduce((n, a) => n + a.size, 0);
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    await setCampaignStatus(ctx, campaign.id, 'paused', error.message, ['queued', 'sending']);
    return outcomes.record(claimed, { kind: 'requeue' });
  }

  if (claimed.rehearsal) return rehearse(ctx, claimed, campaign, message, attachments, attachmentBytes, outcomes);

  const account = await accountFor(ctx, claimed);
  if (!account) return outcomes.record(claimed, { kind: 'requeue' });

  let rendered: RenderedMessage;
  try {
    rendered = renderMessage(campaign, message, { email: account.email, fromName: account.from_name }, attachments);
  } catch (error) {
    if (!(error instanceof MergeError)) throw error;
    const reply: ClassifiedReply = { action: 'message_failed', code: 'MERGE', response: '', explanation: error.message };
    return outcomes.record(claimed, { kind: 'failed', reply });
  }

  const tooBig = oversize(rendered, attachmentBytes);
  if (tooBig) return outcomes.record(claimed, { kind: 'failed', reply: tooBig });

  let smtp: SmtpAccount;
  try {
    smtp = logins.of(account);
  } catch (error) {
    if (!(error instanceof SecretUnreadableError)) throw error;
    const reply: ClassifiedReply = { action: 'account_auth', code: 'SECRET', response: '', explanation: error.message };
    await applyAccountReply(ctx, account, reply);
    return outcomes.record(claimed, { kind: 'requeue' });
  }

  const { onDisk } = await outcomes.markStarted(position, account.id);
  const result = await ctx.mailer.send(smtp, toMailOptions(rendered), ctx.clock.now(), onDisk);
  if (result.ok) {
    pace.note(account.id, ctx.clock.now() - startedAt);
    if (campaign.policy_block_streak > 0) {
      await ctx.db.updateTable('campaigns').set({ policy_block_streak: 0 }).where('id', '=', campaign.id).execute();
    }
    return outcomes.sent(claimed);
  }

  const reply = result.reply;
  ctx.log.warn('send refused', { messageId: claimed.id, accountId: account.id, code: reply.code, action: reply.action });
  if (await applyAccountReply(ctx, account, reply)) {
    return outcomes.record(claimed, { kind: 'requeue', reply });
  }
  switch (reply.action) {
    case 'message_retry':
      return outcomes.record(claimed, { kind: 'retry', reply });
    case 'message_bounced':
      return outcomes.record(claimed, { kind: 'failed', reply, suppress: 'bounced' });
    case 'in_doubt':
      return outcomes.record(claimed, { kind: 'in_doubt', reply });
    case 'message_policy': {
      const status = await outcomes.record(claimed, { kind: 'failed', reply });
      const updated = await ctx.db
        .updateTable('campaigns')
        .set((eb) => ({ policy_block_streak: eb('policy_block_streak', '+', 1) }))
        .where('id', '=', campaign.id)
        .returning('policy_block_streak')
        .executeTakeFirstOrThrow();
      if (updated.policy_block_streak >= POLICY_BLOCKS_BEFORE_PAUSE) {
        await setCampaignStatus(
          ctx,
          campaign.id,
          'paused',
          `Paused after ${updated.policy_block_streak} messages in a row were blocked as unsolicited or against policy (“${reply.response}”). Review the content and your list, then resume.`,
          ['queued', 'sending'],
        );
      }
      return status;
    }
    default:
      return outcomes.record(claimed, { kind: 'failed', reply });
  }
}

/**
 * A rehearsal's message: rendered exactly as it would go out, from the account it was given
 * (or the placeholder the preview uses when there is none), and written to the campaign's log.
 * Nothing is sent, nothing is reserved, the account's state and rotation are left alone.
 */
async function rehearse(
  ctx: EngineContext,
  claimed: ClaimedMessage,
  campaign: CampaignRow,
  message: MessageRow,
  attachments: (StoredAttachment & { size: number })[],
  attachmentBytes: number,
  outcomes: SendJournal,
): Promise<MessageStatus> {
  const account =
    claimed.accountId === null
      ? undefined
      : await ctx.db.selectFrom('accounts').select(['email', 'from_name']).where('id', '=', claimed.accountId).executeTakeFirst();
  let rendered: RenderedMessage;
  try {
    rendered = renderMessage(
      campaign,
      message,
      account ? { email: account.email, fromName: account.from_name } : PLACEHOLDER_SENDER,
      attachments,
    );
  } catch (error) {
    if (!(error instanceof MergeError)) throw error;
    const reply: ClassifiedReply = { action: 'message_failed', code: 'MERGE', response: '', explanation: error.message };
    return outcomes.record(claimed, { kind: 'failed', reply });
  }
  // A rehearsal finds out what the real run would: a message too big for Gmail fails here too.
  const tooBig = oversize(rendered, attachmentBytes);
  if (tooBig) return outcomes.record(claimed, { kind: 'failed', reply: tooBig });
  await ctx.rehearsals.write(campaign.id, toMailOptions(rendered), ctx.clock.now());
  return outcomes.record(claimed, { kind: 'rehearsed' });
}

/** Measured before it goes: Gmail would refuse it only after it had crossed the network whole. */
function oversize(rendered: RenderedMessage, attachmentBytes: number): ClassifiedReply | undefined {
  const bytes = messageBytes(rendered, attachmentBytes);
  if (bytes <= MAX_MESSAGE_BYTES) return undefined;
  const explanation = `This message would be ${megabytes(bytes)}; Gmail accepts 25 MB per message, so it was not sent. Make the message smaller (a shorter body or merge value, smaller attachments), then retry it.`;
  return { action: 'message_failed', code: 'SIZE', response: '', explanation };
}

/**
 * The account to send this message with: the one the claim gave it, unless that account has
 * since stopped being usable in this batch (a login failure, a cooling reply), in which case
 * another with capacity takes it over. Undefined when none can: the message goes back.
 */
async function accountFor(ctx: EngineContext, claimed: ClaimedMessage) {
  const now = ctx.clock.now();
  const assigned =
    claimed.accountId === null
      ? undefined
      : await ctx.db.selectFrom('accounts').selectAll().where('id', '=', claimed.accountId).executeTakeFirst();
  if (assigned && effectiveState(assigned, now) === 'ok') return assigned;
  const candidates = await usableAccounts(ctx.db, now);
  const next = pickAccount(candidates);
  if (!next) return undefined;
  await reassign(ctx, claimed.id, next.emailNorm, next.id);
  return ctx.db.selectFrom('accounts').selectAll().where('id', '=', next.id).executeTakeFirstOrThrow();
}

/**
 * Each account's login for the length of a batch: opening the stored password costs more than
 * the rest of a message's bookkeeping, so it is done once per account and batch (again if the
 * password changes meanwhile). The plaintext lives only as long as the batch.
 */
export class LoginCache {
  private readonly logins = new Map<number, { stored: string; smtp: SmtpAccount }>();

  constructor(private readonly ctx: EngineContext) {}

  of(account: AccountRow): SmtpAccount {
    const stored = JSON.stringify([account.password_secret, account.email, account.host, account.port, account.security]);
    const known = this.logins.get(account.id);
    if (known?.stored === stored) return known.smtp;
    const smtp = smtpAccountOf(this.ctx, account);
    this.logins.set(account.id, { stored, smtp });
    return smtp;
  }
}
