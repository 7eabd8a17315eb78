import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { basename, isAbsolute } from 'node:path';
import { sql } from 'kysely';
import { z } from 'zod';
import { sanitizeHeaderText } from './addresses';
import { iso } from './clock';
import { type StoredAttachment } from './compose';
import type { EngineContext } from './context';
import {
  checkMergeFields,
  discardAbandonedImports,
  discardStagedCampaign,
  estimateStorageBytes,
  forEachIdRange,
  insertRecipients,
  NOT_YET_SENT,
  queuePending,
  setMessagesStatus,
  skipSuppressed,
  unqueueDraft,
} from './campaign-recipients';
import { type CsvImportResult, CsvImportError, readRecipientsCsv, recipientsFromList } from './csv-import';
import { checkMessageSize } from './campaigns/message-size';
import type { Db } from './db/open-database';
import { type CampaignRow, type CampaignStatus, MESSAGE_STATUSES, type MessageStatus } from './db/schema';
import { EngineError, notFound } from './errors';
import { campaignEta } from './eta';
import { countMessages, type MessageCounts, UNFINISHED } from './message-counts';
import { readSettings } from './settings';
import { TimeSlicer } from './time-slice';
import { emailAddress, parseInput, singleLine } from './validation';


export interface Campaign {
  id: number;
  name: string;
  subject: string;
  html?: string;
  text?: string;
  fromName?: string;
  replyTo?: string;
  attachments: { path: string; filename: string; size: number | null }[];
  fields: string[];
  status: CampaignStatus;
  statusDetail?: string;
  sendAfter?: string;
  stopAfter?: string;
  counts: MessageCounts;
  total: number;
  createdAt: string;
  queuedAt?: string;
  completedAt?: string;
  /** When its last message should have gone out, at the current caps and cadence. */
  eta?: string;
}

export interface ImportReport {
  imported: number;
  duplicates: number;
  invalid: { row: number; value: string; reason: string }[];
  suppressed: number;
}

export interface Message {
  id: number;
  row: number;
  email: string;
  name?: string;
  status: MessageStatus;
  attempts: number;
  accountId?: number;
  messageId?: string;
  sentAt?: string;
  skipReason?: string;
  dryRun?: boolean;
  lastError?: { code: string; response: string; explanation: string };
}

/** Messages of a queued campaign that have yet to go out. */
const UNSENT: MessageStatus[] = ['queued', 'retry_wait'];

export const MAX_ATTACHMENTS_BYTES = 25 * 1024 * 1024;

const isoDate = z.iso.datetime({ offset: true, message: 'Use a date and time such as 2026-12-01T09:00:00Z.' });
const replyTo = emailAddress;
const recipient = z
  .object({
    email: z.string().max(1000),
    name: z.string().max(500).optional(),
    fields: z.record(z.string(), z.string().max(10_000)).optional(),
  })
  .strict();

const subject = singleLine('The subject', z.string().trim().min(1, 'Write a subject.').max(998));
const campaignFromName = singleLine('The sender name', z.string().max(200));

const content = {
  name: z.string().trim().min(1, 'Give the campaign a name.').max(200),
  subject,
  html: z.string().max(5_000_000).optional(),
  text: z.string().max(5_000_000).optional(),
  fromName: campaignFromName.optional(),
  replyTo: replyTo.optional(),
  attachments: z.array(z.string().min(1)).max(50).optional(),
  sendAfter: isoDate.nullable().optional(),
  stopAfter: isoDate.nullable().optional(),
};

export const createCampaignSchema = z
  .object({
    ...content,
    csv: z.string().optional(),
    emailColumn: z.string().optional(),
    recipients: z.array(recipient).max(2_000_000).optional(),
  })
  .strict()
  .refine((v) => !(v.csv !== undefined && v.recipients !== undefined), {
    message: 'Give recipients either as CSV text or as a list, not both.',
    path: ['recipients'],
  });

export const updateCampaignSchema = z
  .object({
    id: z.int().positive(),
    name: content.name.optional(),
    subject: subject.optional(),
    html: z.string().max(5_000_000).nullable().optional(),
    text: z.string().max(5_000_000).nullable().optional(),
    fromName: campaignFromName.nullable().optional(),
    replyTo: replyTo.nullable().optional(),
    attachments: content.attachments,
    sendAfter: content.sendAfter,
    stopAfter: content.stopAfter,
  })
  .strict();

export const campaignIdSchema = z.object({ id: z.int().positive() }).strict();
export const messageSelectionSchema = z
  .object({ id: z.int().positive(), messageIds: z.array(z.int().positive()).max(100_000).optional() })
  .strict();
export const listMessagesSchema = z
  .object({
    id: z.int().positive(),
    status: z.enum(MESSAGE_STATUSES).optional(),
    offset: z.int().min(0).optional(),
    limit: z.int().min(1).max(1000).optional(),
  })
  .strict();

// ---------------------------------------------------------------------------------------
// Create and edit

export async function createCampaign(
  ctx: EngineContext,
  input: unknown,
): Promise<{ campaign: Campaign; report: ImportReport }> {
  const args = parseInput(createCampaignSchema, input);
  const attachments = checkAttachments(args.attachments ?? []);
  const sendAfter = toMs(args.sendAfter);
  const stopAfter = toMs(args.stopAfter);
  checkWindow(sendAfter, stopAfter);
  const slicer = new TimeSlicer();
  const imported = await importRecipients(args.csv, args.emailColumn, args.recipients, slicer);
  await checkDiskSpace(ctx, await slicer.run(estimateStorageBytes(imported)));
  const now = ctx.clock.now();

  // Stored hidden (importing = 1) in many small transactions, then shown in one step; an
  // import that fails half-way is removed, so the user never sees half a list.
  const { id } = await ctx.db
    .insertInto('campaigns')
    .values({
      name: args.name,
      subject: args.subject,
      html: emptyToNull(args.html),
      text: emptyToNull(args.text),
      from_name: emptyToNull(args.fromName ? sanitizeHeaderText(args.fromName) : undefined),
      reply_to: args.replyTo ?? null,
      attachments: JSON.stringify(attachments),
      fields: JSON.stringify(imported.columns),
      send_after: sendAfter,
      stop_after: stopAfter,
      created_at: now,
      updated_at: now,
      importing: 1,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  let suppressed: number;
  ctx.importsInProgress.add(id);
  try {
    suppressed = await insertRecipients(ctx.db, id, imported, now, slicer);
    await ctx.db.updateTable('campaigns').set({ importing: 0 }).where('id', '=', id).execute();
  } catch (error) {
    await discardStagedCampaign(ctx.db, id, slicer).catch((cleanupError: unknown) =>
      // Still hidden; the retry job (or the next start) removes it once there is room.
      ctx.log.warn('could not remove a failed import yet; it stays hidden and is removed later', {
        campaignId: id,
        error: String(cleanupError),
      }),
    );
    throw error;
  } finally {
    ctx.importsInProgress.delete(id);
  }

  ctx.log.info('campaign created', { campaignId: id, recipients: imported.recipients.length });
  ctx.events.emit('campaign', { campaignId: id, status: 'draft' });
  return {
    campaign: await getCampaign(ctx, { id }),
    report: {
      imported: imported.recipients.length - suppressed,
      duplicates: imported.duplicates.length,
      invalid: imported.invalid,
      suppressed,
    },
  };
}

export async function updateCampaign(ctx: EngineContext, input: unknown): Promise<Campaign> {
  const args = parseInput(updateCampaignSchema, input);
  return oneAtATime(ctx, args.id, () => applyUpdate(ctx, args));
}

async function applyUpdate(ctx: EngineContext, args: z.infer<typeof updateCampaignSchema>): Promise<Campaign> {
  const current = await campaignRow(ctx.db, args.id);
  if (current.status !== 'draft' && current.status !== 'paused') {
    throw new EngineError(
      'conflict',
      `This campaign is ${current.status}; pause it before editing, so no message goes out half-changed.`,
    );
  }
  const attachments = args.attachments ? checkAttachments(args.attachments) : undefined;
  const sendAfter = args.sendAfter === undefined ? current.send_after : toMs(args.sendAfter);
  const stopAfter = args.stopAfter === undefined ? current.stop_after : toMs(args.stopAfter);
  checkWindow(sendAfter, stopAfter);
  const html = args.html === undefined ? current.html : emptyToNull(args.html ?? undefined);
  const text = args.text === undefined ? current.text : emptyToNull(args.text ?? undefined);
  if (current.status === 'paused' && !html && !text) {
    throw new EngineError('invalid_input', 'html: The message needs an HTML or a plain-text body.', { field: 'html' });
  }
  if (current.status === 'paused') {
    const edited = { ...current, subject: args.subject ?? current.subject, html, text };
    await checkMergeFields(ctx.db, edited, new TimeSlicer(), UNSENT);
    const stored = attachments ?? (JSON.parse(current.attachments) as StoredAttachment[]);
    await checkMessageSize(ctx.db, { ...edited, attachments: JSON.stringify(stored) }, sum(attachmentSizes(stored)), new TimeSlicer(), UNSENT);
  }
  const edited = await ctx.db
    .updateTable('campaigns')
    .set({
      ...(args.name !== undefined ? { name: args.name } : {}),
      ...(args.subject !== undefined ? { subject: args.subject } : {}),
      html,
      text,
      ...(args.fromName !== undefined ? { from_name: args.fromName ? sanitizeHeaderText(args.fromName) : null } : {}),
      ...(args.replyTo !== undefined ? { reply_to: args.replyTo } : {}),
      ...(attachments ? { attachments: JSON.stringify(attachments) } : {}),
      send_after: sendAfter,
      stop_after: stopAfter,
      updated_at: ctx.clock.now(),
    })
    .where('id', '=', args.id)
    // As checked above: a campaign the scheduler has since moved on is not edited.
    .where('status', '=', current.status)
    .executeTakeFirst();
  if (Number(edited.numUpdatedRows) === 0) throw changedMeanwhile();
  ctx.events.emit('campaign', { campaignId: args.id, status: current.status });
  return getCampaign(ctx, { id: args.id });
}

/**
 * Refuses an import the disk has no room for, before anything is written: an import that
 * fills the disk part-way fails anyway, and until its partial rows are removed the disk stays
 * full for every program.
 */
async function checkDiskSpace(ctx: EngineContext, needed: number): Promise<void> {
  const free = ctx.freeDiskBytes();
  if (free === undefined || free >= needed) return;
  throw new EngineError(
    'storage_full',
    `There is not enough free disk space for this list: storing it takes about ${megabytes(needed)}, and the disk has ${megabytes(free)} free. Nothing was changed. Free some disk space, then import again.`,
    { neededBytes: needed, freeBytes: free },
  );
}

function megabytes(bytes: number): string {
  return `${Math.max(1, Math.ceil(bytes / (1024 * 1024))).toLocaleString('en-US')} MB`;
}

async function importRecipients(
  csv: string | undefined,
  emailColumn: string | undefined,
  list: { email: string; name?: string | undefined; fields?: Record<string, string> | undefined }[] | undefined,
  slicer: TimeSlicer,
): Promise<CsvImportResult> {
  try {
    if (csv !== undefined) {
      const imported = await slicer.run(readRecipientsCsv(csv, emailColumn ? { emailColumn } : {}));
      if (imported.recipients.length + imported.invalid.length + imported.duplicates.length === 0) {
        // A header and nothing under it: a campaign of nobody is a mistake, not a list.
        throw new CsvImportError(
          'The file has column names but no recipients under them. Add a row for each recipient below the header row, then import again.',
        );
      }
      return imported;
    }
    return recipientsFromList(
      (list ?? []).map((r) => ({
        email: r.email,
        ...(r.name !== undefined ? { name: r.name } : {}),
        ...(r.fields ? { fields: r.fields } : {}),
      })),
    );
  } catch (error) {
    if (error instanceof CsvImportError) {
      throw new EngineError('csv_invalid', error.message, error.row !== undefined ? { row: error.row } : undefined);
    }
    throw error;
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function checkAttachments(paths: string[]): StoredAttachment[] {
  const attachments = paths.map((path) => ({ path, filename: basename(path) }));
  attachmentSizes(attachments);
  return attachments;
}

/** Sizes of the attachments; throws when one is missing or together they exceed 25 MB. */
export function attachmentSizes(attachments: StoredAttachment[]): number[] {
  let total = 0;
  const sizes = attachments.map((a) => {
    if (!isAbsolute(a.path)) {
      throw new EngineError('attachment_problem', `The attachment path ${a.path} must be a full path to a file.`);
    }
    let size: number;
    try {
      const stat = statSync(a.path);
      if (!stat.isFile()) throw new Error('not a file');
      size = stat.size;
    } catch {
      throw new EngineError(
        'attachment_problem',
        `The attachment ${a.filename} cannot be read (moved, deleted or not a file: ${a.path}). Put it back or remove it from the campaign.`,
      );
    }
    total += size;
    return size;
  });
  if (total > MAX_ATTACHMENTS_BYTES) {
    throw new EngineError(
      'attachment_problem',
      `The attachments add up to ${(total / 1024 / 1024).toFixed(1)} MB; Gmail accepts 25 MB per message. Remove some or share them by link.`,
    );
  }
  return sizes;
}

// ---------------------------------------------------------------------------------------
// Queue, pause, resume, cancel, retry

/**
 * Moves every pending recipient to `queued`, fixing each message's Message-ID, after checking
 * that every merge field without a default has a value for every recipient, that the
 * attachments are readable and within 25 MB, and that the stop time has not passed. The
 * messages are queued a slice at a time while the campaign is still a draft (which nothing
 * sends); one last transaction makes it `queued`, so the scheduler sees all of it or none.
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
  if (!campaign.html && !campaign.text) {
    throw new EngineError('invalid_input', 'The message has no body: write HTML or plain text before queueing.');
  }
  if (campaign.stop_after !== null && campaign.stop_after <= now) {
    throw new EngineError('invalid_input', 'The campaign’s stop time has already passed. Change or clear it, then queue.');
  }
  const attachmentBytes = sum(attachmentSizes(JSON.parse(campaign.attachments) as StoredAttachment[]));

  let queued: number;
  try {
    const slicer = new TimeSlicer();
    // What an earlier attempt queued before failing, if putting it back failed too (a full disk).
    await unqueueDraft(ctx.db, id);
    await skipSuppressed(ctx.db, id, now, slicer);
    await checkMergeFields(ctx.db, campaign, slicer);
    await checkMessageSize(ctx.db, campaign, attachmentBytes, slicer);
    queued = await queuePending(ctx.db, id, now, messageIdDomain(), slicer);
    if (queued === 0) {
      throw new EngineError(
        'conflict',
        'This campaign has nobody to send to: every recipient was skipped (invalid, duplicate or suppressed). Import recipients first.',
      );
    }
    await ctx.db.transaction().execute(async (trx) => {
      const seq = await trx
        .selectFrom('campaigns')
        .select(sql<number>`coalesce(max(queue_seq), 0) + 1`.as('next'))
        .executeTakeFirstOrThrow();
      const result = await trx
        .updateTable('campaigns')
        .set({ status: 'queued', status_detail: null, queue_seq: seq.next, queued_at: now, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'draft')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw changedMeanwhile();
    });
  } catch (error) {
    // Messages queued before the failure go back to pending: a draft has none queued.
    await unqueueDraft(ctx.db, id).catch((undoError: unknown) =>
      ctx.log.error('could not undo a failed queue', { campaignId: id, error: String(undoError) }),
    );
    throw error;
  }
  ctx.log.info('campaign queued', { campaignId: id, queued });
  ctx.events.emit('campaign', { campaignId: id, status: 'queued' });
  ctx.events.emit('status');
  return { queued, message: `Queued ${queued.toLocaleString('en-US')} email${queued === 1 ? '' : 's'}` };
}

let cachedDomain: string | undefined;
function messageIdDomain(): string {
  // Random per process, so Message-IDs never reveal the user's machine name.
  cachedDomain ??= `${randomBytes(4).toString('hex')}.trickle.invalid`;
  return cachedDomain;
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
  const attachmentBytes = sum(attachmentSizes(JSON.parse(campaign.attachments) as StoredAttachment[]));
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
  const any = await ctx.db.selectFrom('messages').select('id').where('campaign_id', '=', id).where('status', '=', from).limit(1).executeTakeFirst();
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
        earlier = 'ids' in selection ? earlier.where('id', 'in', selection.ids) : earlier.where('id', '>=', selection.from).where('id', '<', selection.to);
        await trx.updateTable('send_log').set({ message_id: null }).where('message_id', 'in', earlier).execute();
      }
      let query = trx
        .updateTable('messages')
        .set({ status: 'queued', attempts: 0, queued_at: now, updated_at: now, send_started_at: null })
        .where('campaign_id', '=', id)
        .where('status', '=', from)
        // A bounced address stays failed: it is on the suppression list.
        .where('email_norm', 'not in', (qb) => qb.selectFrom('suppressions').select('email_norm'));
      query = 'ids' in selection ? query.where('id', 'in', selection.ids) : query.where('id', '>=', selection.from).where('id', '<', selection.to);
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
 * Moves the campaign to `status` if it is in one of `from` (a status another action set in
 * the meantime is never overwritten). Returns whether it moved.
 */
export async function setCampaignStatus(
  ctx: EngineContext,
  id: number,
  status: CampaignStatus,
  detail: string | null,
  from: CampaignStatus[],
): Promise<boolean> {
  const now = ctx.clock.now();
  const result = await ctx.db
    .updateTable('campaigns')
    .set({
      status,
      status_detail: detail,
      updated_at: now,
      ...(status === 'completed' || status === 'cancelled' ? { completed_at: now } : {}),
    })
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return false;
  ctx.log.info('campaign status', { campaignId: id, status });
  ctx.events.emit('campaign', { campaignId: id, status, ...(detail ? { detail } : {}) });
  ctx.events.emit('status');
  return true;
}

/**
 * Runs the user's actions on one campaign one after another. Big ones (queue, cancel,
 * resume, retry of a million messages) run in slices with other calls in between; an action
 * asked for meanwhile waits its turn and then checks the campaign as the first one left it, so
 * what one checked is what it writes and no status is overwritten half-way. Must be called
 * before the caller's first await, so the order is the order the actions were asked for.
 */
function oneAtATime<T>(ctx: EngineContext, id: number, action: () => Promise<T>): Promise<T> {
  const previous = ctx.campaignActions.get(id) ?? Promise.resolve();
  const run = previous.then(action);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  ctx.campaignActions.set(id, settled);
  void settled.then(() => {
    if (ctx.campaignActions.get(id) === settled) ctx.campaignActions.delete(id);
  });
  return run;
}

/**
 * What a storage failure left behind when undoing it failed too (a full disk): an import's
 * hidden campaign is removed, a draft's messages queued before a failed queueing go back to
 * pending. Run by the retry job; each draft after any action on it still running. Returns
 * how many of each.
 */
export async function tidyAfterStorageFailures(ctx: EngineContext): Promise<{ discarded: number; unqueued: number }> {
  const discarded = await discardAbandonedImports(ctx.db, ctx.importsInProgress);
  const drafts = await ctx.db
    .selectFrom('campaigns')
    .select('id')
    .where('status', '=', 'draft')
    .where((eb) => eb.exists(eb.selectFrom('messages').select('id').whereRef('campaign_id', '=', 'campaigns.id').where('status', '=', 'queued')))
    .execute();
  let unqueued = 0;
  for (const { id } of drafts) unqueued += await oneAtATime(ctx, id, () => unqueueDraft(ctx.db, id));
  return { discarded, unqueued };
}

function changedMeanwhile(): EngineError {
  return new EngineError('conflict', 'This campaign changed meanwhile (sending paused or finished it); look at it again, then retry.');
}

/** A queued or sending campaign with nothing left to send (or wait for) is completed. */
export async function completeIfDone(ctx: EngineContext, id: number): Promise<boolean> {
  const campaign = await campaignRow(ctx.db, id);
  if (campaign.status !== 'queued' && campaign.status !== 'sending') return false;
  const counts = await countMessages(ctx.db, id);
  if (UNFINISHED.some((status) => counts[status] > 0)) return false;
  return setCampaignStatus(ctx, id, 'completed', null, ['queued', 'sending']);
}

// ---------------------------------------------------------------------------------------
// Read

export async function listCampaigns(ctx: EngineContext): Promise<Campaign[]> {
  const rows = await ctx.db.selectFrom('campaigns').selectAll().where('importing', '=', 0).orderBy('id', 'desc').execute();
  const settings = await readSettings(ctx.db);
  const now = ctx.clock.now();
  return Promise.all(
    rows.map(async (row) => toCampaign(row, await countMessages(ctx.db, row.id), await campaignEta(ctx.db, row.id, settings, now))),
  );
}

export async function getCampaign(ctx: EngineContext, input: unknown): Promise<Campaign> {
  const { id } = parseInput(campaignIdSchema, input);
  const row = await campaignRow(ctx.db, id);
  const eta = await campaignEta(ctx.db, id, await readSettings(ctx.db), ctx.clock.now());
  return toCampaign(row, await countMessages(ctx.db, id), eta);
}

export async function listMessages(ctx: EngineContext, input: unknown): Promise<{ total: number; items: Message[] }> {
  const args = parseInput(listMessagesSchema, input);
  await campaignRow(ctx.db, args.id);
  let query = ctx.db.selectFrom('messages').where('campaign_id', '=', args.id);
  if (args.status) query = query.where('status', '=', args.status);
  const counts = await countMessages(ctx.db, args.id);
  const total = args.status ? counts[args.status] : Object.values(counts).reduce((a, b) => a + b, 0);
  const rows = await query
    .selectAll()
    .orderBy('id')
    .offset(args.offset ?? 0)
    .limit(args.limit ?? 100)
    .execute();
  return { total, items: rows.map(toMessage) };
}

export async function campaignRow(db: Db, id: number) {
  const row = await db.selectFrom('campaigns').selectAll().where('id', '=', id).where('importing', '=', 0).executeTakeFirst();
  if (!row) throw notFound('Campaign', id);
  return row;
}


function toCampaign(row: CampaignRow, counts: MessageCounts, eta: number | undefined): Campaign {
  const attachments = JSON.parse(row.attachments) as StoredAttachment[];
  return {
    id: row.id,
    name: row.name,
    subject: row.subject,
    ...(row.html ? { html: row.html } : {}),
    ...(row.text ? { text: row.text } : {}),
    ...(row.from_name ? { fromName: row.from_name } : {}),
    ...(row.reply_to ? { replyTo: row.reply_to } : {}),
    attachments: attachments.map((a) => ({ ...a, size: fileSize(a.path) })),
    fields: JSON.parse(row.fields) as string[],
    status: row.status,
    ...(row.status_detail ? { statusDetail: row.status_detail } : {}),
    ...(row.send_after != null ? { sendAfter: iso(row.send_after)! } : {}),
    ...(row.stop_after != null ? { stopAfter: iso(row.stop_after)! } : {}),
    counts,
    total: Object.values(counts).reduce((a, b) => a + b, 0),
    createdAt: iso(row.created_at)!,
    ...(row.queued_at != null ? { queuedAt: iso(row.queued_at)! } : {}),
    ...(row.completed_at != null ? { completedAt: iso(row.completed_at)! } : {}),
    ...(eta !== undefined ? { eta: iso(eta)! } : {}),
  };
}

export function toMessage(row: {
  id: number;
  row: number;
  email: string;
  name: string | null;
  status: MessageStatus;
  attempts: number;
  account_id: number | null;
  message_id: string | null;
  sent_at: number | null;
  skip_reason: string | null;
  dry_run: number;
  error_code: string | null;
  error_response: string | null;
  error_explanation: string | null;
}): Message {
  return {
    id: row.id,
    row: row.row,
    email: row.email,
    ...(row.name ? { name: row.name } : {}),
    status: row.status,
    attempts: row.attempts,
    ...(row.account_id != null ? { accountId: row.account_id } : {}),
    ...(row.message_id ? { messageId: row.message_id } : {}),
    ...(row.sent_at != null ? { sentAt: iso(row.sent_at)! } : {}),
    ...(row.skip_reason ? { skipReason: row.skip_reason } : {}),
    ...(row.dry_run ? { dryRun: true } : {}),
    ...(row.error_code
      ? {
          lastError: {
            code: row.error_code,
            response: row.error_response ?? '',
            explanation: row.error_explanation ?? '',
          },
        }
      : {}),
  };
}

function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

function toMs(value: string | null | undefined): number | null {
  return value ? Date.parse(value) : null;
}

function checkWindow(sendAfter: number | null, stopAfter: number | null): void {
  if (sendAfter !== null && stopAfter !== null && stopAfter <= sendAfter) {
    throw new EngineError('invalid_input', 'stopAfter: The stop time must be after the start time.', {
      field: 'stopAfter',
    });
  }
}

function emptyToNull(value: string | undefined): string | null {
  return value && value.trim() !== '' ? value : null;
}
