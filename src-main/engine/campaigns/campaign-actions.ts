import { sql } from 'kysely';
import type { z } from 'zod';
import type { EngineContext } from '../context';
import type { CampaignStatus } from '../db/schema';
import { EngineError } from '../core/errors';
import { TimeSlicer } from '../core/time-slice';
import { parseInput } from '../core/validation';
import { attachmentsToSend } from './attachments';
import { checkMessageSize } from './message-size';
import { forEachIdRange, NOT_YET_SENT, setMessagesStatus, skipSuppressed } from './campaign-recipients';
import { abandonedImports, discardStagedCampaign } from './import-storage';
import { checkKnownFields, checkMergeFields } from './merge-checks';
import { countMessages } from '../db/message-counts';
import { campaignIdSchema, messageSelectionSchema } from './campaign-schemas';
import { campaignRow, changedMeanwhile, completeIfDone, oneAtATime, setCampaignStatus, UNSENT } from './campaign-state';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { getCampaign } from './campaign-queries';

// What the user does to a campaign after writing it: queue, pause, resume, cancel, retry the
// failed messages, resend the in-doubt ones.

/**
 * Queues a draft: after checking that every merge field names a column and, used without a
 * default, has a value for every recipient, that the largest message fits Gmail's limit, that
 * the attachments are readable and within 25 MB, and that the stop time has not passed, one
 * transaction makes it `queued`, so the scheduler sees all of it or none. Its messages were
 * stored ready to send, Message-IDs fixed, when they were imported (campaign-recipients.ts):
 * queueing changes none of them, whatever their number, and leaves nothing half-done to undo.
 * Answers at once; the scheduler sends.
 */
export async function queueCampaign(ctx: EngineContext, input: unknown): Promise<{ queued: number; message: string }> {
  const { id } = parseInput(campaignIdSchema, input);
  return oneAtATime(ctx, id, () => queueDraft(ctx, id));
}

async function queueDraft(ctx: EngineContext, id: number): Promise<{ queued: number; message: string }> {
  const now = ctx.clock.now();
  const campaign = await campaignRow(ctx.db, id);
  if (campaign.status !== 'draft') {
    throw new EngineError(
      'conflict',
      campaign.status === 'paused'
        ? 'This campaign is paused: resume it instead of queueing it again.'
        : `This campaign is already ${campaign.status}.`,
    );
  }
  if (!campaign.subject.trim()) {
    throw new EngineError('invalid_input', 'The message has no subject: write one before queueing.');
  }
  if (!campaign.html && !campaign.text) {
    throw new EngineError('invalid_input', 'The message has no body: write HTML or plain text before queueing.');
  }
  if (campaign.stop_after !== null && campaign.stop_after <= now) {
    throw new EngineError('invalid_input', 'The campaign’s stop time has already passed. Change or clear it, then queue.');
  }
  // A draft's recipients are stored `queued` (ready to send, shown as pending).
  // With nobody to send to, that is what the user hears (below), not what the message lacks.
  if ((await countMessages(ctx.db, id)).queued > 0) checkKnownFields(campaign);
  const attachmentBytes = sum((await attachmentsToSend(ctx, campaign)).map((a) => a.size));

  const slicer = new TimeSlicer();
  // Addresses suppressed since the import are skipped now (nothing to undo if queueing fails below).
  await skipSuppressed(ctx.db, id, now, slicer);
  await checkMergeFields(ctx.db, campaign, slicer);
  await checkMessageSize(ctx.db, campaign, attachmentBytes, slicer);
  const queued = (await countMessages(ctx.db, id)).queued;
  if (queued === 0 && !(await ctx.db.selectFrom('messages').select('id').where('campaign_id', '=', id).limit(1).executeTakeFirst())) {
    throw new EngineError('conflict', 'This campaign has no recipients yet: import a list before queueing.');
  }
  if (queued === 0) {
    throw new EngineError(
      'conflict',
      'This campaign has nobody to send to: every recipient was skipped (invalid, duplicate or suppressed). Import recipients first.',
    );
  }
  await ctx.db.transaction().execute(async (trx) => {
    await ctx.owner?.assertHeld(trx);
    const seq = await trx.selectFrom('campaigns').select(sql<number>`coalesce(max(queue_seq), 0) + 1`.as('next')).executeTakeFirstOrThrow();
    const result = await trx
      .updateTable('campaigns')
      .set({ status: 'queued', status_detail: null, queue_seq: seq.next, queued_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'draft')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw changedMeanwhile();
  });
  ctx.log.info('campaign queued', { campaignId: id, queued });
  ctx.events.emit('campaign', { campaignId: id, status: 'queued' });
  ctx.events.emit('status');
  return { queued, message: `Queued ${queued.toLocaleString('en-US')} email${queued === 1 ? '' : 's'}` };
}

export async function pauseCampaign(ctx: EngineContext, input: unknown, reason?: string): Promise<Campaign> {
  const { id } = parseInput(campaignIdSchema, input);
  return oneAtATime(ctx, id, () => pauseSending(ctx, id, reason));
}

async function pauseSending(ctx: EngineContext, id: number, reason: string | undefined): Promise<Campaign> {
  const campaign = await campaignRow(ctx.db, id);
  if (campaign.status !== 'queued' && campaign.status !== 'sending') {
    throw new EngineError('conflict', `Only a queued or sending campaign can be paused; this one is ${campaign.status}.`);
  }
  if (!(await setCampaignStatus(ctx, id, 'paused', reason ?? null, ['queued', 'sending']))) throw changedMeanwhile();
  return getCampaign(ctx, { id });
}

export async function resumeCampaign(ctx: EngineContext, input: unknown): Promise<Campaign> {
  const { id } = parseInput(campaignIdSchema, input);
  return oneAtATime(ctx, id, () => resumePaused(ctx, id));
}

async function resumePaused(ctx: EngineContext, id: number): Promise<Campaign> {
  const campaign = await campaignRow(ctx.db, id);
  if (campaign.status !== 'paused') {
    throw new EngineError('conflict', `Only a paused campaign can be resumed; this one is ${campaign.status}.`);
  }
  const attachmentBytes = sum((await attachmentsToSend(ctx, campaign)).map((a) => a.size));
  checkKnownFields(campaign);
  await checkMergeFields(ctx.db, campaign, new TimeSlicer(), UNSENT);
  await checkMessageSize(ctx.db, campaign, attachmentBytes, new TimeSlicer(), UNSENT);
  await ctx.db.updateTable('campaigns').set({ policy_block_streak: 0 }).where('id', '=', id).execute();
  if (!(await setCampaignStatus(ctx, id, 'queued', null, ['paused']))) throw changedMeanwhile();
  await completeIfDone(ctx, id);
  return getCampaign(ctx, { id });
}

/**
 * Stops the campaign for good: nothing more is sent; the message in hand finishes. The
 * campaign is cancelled first (nothing claims from it after that), then its unsent messages
 * a range at a time; a crash in between is finished on the next start.
 */
export async function cancelCampaign(ctx: EngineContext, input: unknown): Promise<Campaign> {
  const { id } = parseInput(campaignIdSchema, input);
  return oneAtATime(ctx, id, () => cancelOpen(ctx, id));
}

async function cancelOpen(ctx: EngineContext, id: number): Promise<Campaign> {
  const now = ctx.clock.now();
  const campaign = await campaignRow(ctx.db, id);
  if (campaign.status === 'completed' || campaign.status === 'cancelled') {
    throw new EngineError('conflict', `This campaign is already ${campaign.status}.`);
  }
  const open: CampaignStatus[] = ['draft', 'queued', 'sending', 'paused'];
  if (!(await setCampaignStatus(ctx, id, 'cancelled', null, open))) throw changedMeanwhile();
  await setMessagesStatus(ctx.db, id, NOT_YET_SENT, 'cancelled', now, new TimeSlicer());
  ctx.events.emit('status');
  return getCampaign(ctx, { id });
}

/** Failed messages (all, or those named) go back to the queue with their attempts reset. */
export async function retryFailed(ctx: EngineContext, input: unknown): Promise<{ requeued: number }> {
  return requeue(ctx, input, 'failed');
}

/**
 * In-doubt messages may have arrived: only the user decides to send them again. They keep
 * their Message-ID, so a mail client that got the first copy can recognise the second.
 */
export async function resendInDoubt(ctx: EngineContext, input: unknown): Promise<{ requeued: number }> {
  return requeue(ctx, input, 'in_doubt');
}

function requeue(ctx: EngineContext, input: unknown, from: 'failed' | 'in_doubt'): Promise<{ requeued: number }> {
  const selection = parseInput(messageSelectionSchema, input);
  return oneAtATime(ctx, selection.id, () => requeueSelection(ctx, selection, from));
}

async function requeueSelection(
  ctx: EngineContext,
  { id, messageIds }: z.infer<typeof messageSelectionSchema>,
  from: 'failed' | 'in_doubt',
): Promise<{ requeued: number }> {
  const now = ctx.clock.now();
  const campaign = await campaignRow(ctx.db, id);
  if (campaign.status === 'cancelled' || campaign.status === 'draft') {
    throw new EngineError('conflict', `This campaign is ${campaign.status}; nothing in it can be sent.`);
  }
  const any = await ctx.db
    .selectFrom('messages')
    .select('id')
    .where('campaign_id', '=', id)
    .where('status', '=', from)
    .limit(1)
    .executeTakeFirst();
  if (!any) return { requeued: 0 };
  // Reopened first, so what is requeued can be claimed as it comes; if nothing was (all
  // bounced, or not in the selection), it is completed again below. A crash part-way leaves
  // a partial retry the user can repeat.
  if (campaign.status === 'completed') {
    await ctx.db
      .updateTable('campaigns')
      .set({ status: 'queued', completed_at: null, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'completed')
      .execute();
  }
  const requeueRange = (selection: { from: number; to: number } | { ids: number[] }) =>
    ctx.db.transaction().execute(async (trx) => {
      if (from === 'in_doubt') {
        // The earlier attempt may have arrived: its send-log row stays in the account's count,
        // detached from the message so the resend's own reservation is released or stamped alone.
        let earlier = trx.selectFrom('messages').select('id').where('campaign_id', '=', id).where('status', '=', 'in_doubt');
        earlier =
          'ids' in selection
            ? earlier.where('id', 'in', selection.ids)
            : earlier.where('id', '>=', selection.from).where('id', '<', selection.to);
        await trx.updateTable('send_log').set({ message_id: null }).where('message_id', 'in', earlier).execute();
      }
      let query = trx
        .updateTable('messages')
        .set({ status: 'queued', attempts: 0, queued_at: now, updated_at: now, send_started_at: null })
        .where('campaign_id', '=', id)
        .where('status', '=', from)
        // A bounced address stays failed: it is on the suppression list.
        .where('email_norm', 'not in', (qb) => qb.selectFrom('suppressions').select('email_norm'));
      query =
        'ids' in selection
          ? query.where('id', 'in', selection.ids)
          : query.where('id', '>=', selection.from).where('id', '<', selection.to);
      return Number((await query.executeTakeFirst()).numUpdatedRows);
    });

  let requeued = 0;
  const slicer = new TimeSlicer();
  if (messageIds) {
    for (let k = 0; k < messageIds.length; k += ID_LIST_SLICE) {
      requeued += await requeueRange({ ids: messageIds.slice(k, k + ID_LIST_SLICE) });
      await slicer.maybeYield();
    }
  } else {
    await forEachIdRange(ctx.db, id, slicer, async (first, end) => {
      requeued += await requeueRange({ from: first, to: end });
    });
  }
  if (requeued === 0) await completeIfDone(ctx, id);
  else {
    ctx.events.emit('campaign', { campaignId: id, status: 'queued' });
    ctx.events.emit('status');
  }
  return { requeued };
}

/** Message ids requeued per transaction when the user picked them. */
const ID_LIST_SLICE = 2_500;

/**
 * What a storage failure left behind when undoing it failed too (a full disk): an import's
 * hidden campaign is removed. Run by the retry job. Returns how many. (Queueing a draft
 * changes no message, so a failed queueing leaves nothing to undo.)
 */
export async function tidyAfterStorageFailures(ctx: EngineContext): Promise<{ discarded: number }> {
  // Chosen under the owner's fence (the transaction holds the write lock and checks the lease):
  // after a takeover, a hidden import may be the newcomer's work in progress, not a failure's
  // leftover. What is chosen here never becomes the newcomer's: its imports get new ids, and
  // its start-up removes these anyway.
  const abandoned = await ctx.db.transaction().execute(async (trx) => {
    await ctx.owner?.assertHeld(trx);
    return abandonedImports(trx, ctx.importsInProgress);
  });
  for (const id of abandoned) await discardStagedCampaign(ctx.db, id, new TimeSlicer());
  return { discarded: abandoned.length };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
