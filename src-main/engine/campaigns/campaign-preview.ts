import { z } from 'zod';
import type { EngineContext } from '../context';
import { EngineError } from '../core/errors';
import { parseInput } from '../core/validation';
import { campaignRow } from './campaign-state';
import { PLACEHOLDER_SENDER, renderMessage } from './compose';
import { MergeError } from './merge';

export const previewSchema = z.object({ id: z.int().positive(), messageId: z.int().positive().optional() }).strict();

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

/** The recipient a preview or a test send is rendered for: the one named, else the first not skipped. */
export async function recipientFor(ctx: EngineContext, campaignId: number, messageId: number | undefined) {
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
