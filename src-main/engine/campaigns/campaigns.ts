import type { z } from 'zod';
import { sanitizeHeaderText } from '../core/addresses';
import type { EngineContext } from '../context';
import { discardStagedCampaign, estimateStorageBytes, insertRecipients } from './import-storage';
import { checkKnownFields, checkMergeFields } from './merge-checks';
import { checkMessageSize } from './message-size';
import { readRecipientsCsv } from './csv-import';
import { type CsvImportResult, CsvImportError } from './import-result';
import { recipientsFromList } from './recipient-collector';
import { EngineError } from '../core/errors';
import { TimeSlicer } from '../core/time-slice';
import { parseInput } from '../core/validation';
import { attachmentsById, campaignAttachments, setCampaignAttachments } from './attachments';
import { createCampaignSchema, createDraftSchema, updateCampaignSchema } from './campaign-schemas';
import { getCampaign } from './campaign-queries';
import { campaignRow, changedMeanwhile, oneAtATime, UNSENT } from './campaign-state';
import type { Campaign, ImportReport } from '../../../src-shared/views/campaigns';
import { cleanCampaignHtml } from './email-html';

// Writing a campaign (create with its recipients, edit); reading campaigns and messages is in
// campaign-queries.ts. What happens to it afterwards (queue, pause, cancel, retry) is in
// campaign-actions.ts.

export async function createCampaign(ctx: EngineContext, input: unknown): Promise<{ campaign: Campaign; report: ImportReport }> {
  const args = parseInput(createCampaignSchema, input);
  const attachments = await attachmentsById(ctx.db, args.attachments ?? []);
  const sendAfter = toMs(args.sendAfter);
  const stopAfter = toMs(args.stopAfter);
  checkWindow(sendAfter, stopAfter);
  const slicer = new TimeSlicer();
  const imported = await readRecipients(args.csv, args.emailColumn, args.recipients, slicer);
  await checkDiskSpace(ctx, await slicer.run(estimateStorageBytes(imported)));
  const now = ctx.clock.now();

  // Stored hidden (importing = 1) in many small transactions, then shown in one step; an
  // import that fails half-way is removed, so the user never sees half a list.
  const { id } = await ctx.db
    .insertInto('campaigns')
    .values({
      name: args.name,
      subject: args.subject,
      html: storedHtml(args.html),
      text: emptyToNull(args.text),
      from_name: emptyToNull(args.fromName ? sanitizeHeaderText(args.fromName) : undefined),
      reply_to: args.replyTo ?? null,
      fields: JSON.stringify(imported.columns),
      csv_delimiter: imported.delimiter ?? null,
      send_after: sendAfter,
      stop_after: stopAfter,
      created_at: now,
      updated_at: now,
      importing: 1,
      rehearsal: args.rehearsal ? 1 : 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  let suppressed: number;
  ctx.importsInProgress.add(id);
  try {
    await setCampaignAttachments(
      ctx.db,
      id,
      attachments.map((a) => a.id),
    );
    const stored = await insertRecipients(ctx.db, id, imported, now, slicer);
    suppressed = stored.suppressed;
    await ctx.db
      .updateTable('campaigns')
      .set({ importing: 0, fields_with_blanks: JSON.stringify(stored.fieldsWithBlanks) })
      .where('id', '=', id)
      .execute();
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

/**
 * A draft saved as the user starts writing: nothing is required yet (an unnamed one is called
 * "Untitled campaign"), and it has no recipients until some are imported into it.
 */
export async function createDraft(ctx: EngineContext, input: unknown): Promise<Campaign> {
  const args = parseInput(createDraftSchema, input ?? {});
  const attachments = await attachmentsById(ctx.db, args.attachments ?? []);
  const sendAfter = toMs(args.sendAfter);
  const stopAfter = toMs(args.stopAfter);
  checkWindow(sendAfter, stopAfter);
  const now = ctx.clock.now();
  const id = await ctx.db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('campaigns')
      .values({
        name: args.name || UNTITLED,
        subject: args.subject ?? '',
        html: emptyToNull(args.html),
        text: emptyToNull(args.text),
        from_name: emptyToNull(args.fromName ? sanitizeHeaderText(args.fromName) : undefined),
        reply_to: args.replyTo ?? null,
        send_after: sendAfter,
        stop_after: stopAfter,
        created_at: now,
        updated_at: now,
        rehearsal: args.rehearsal ? 1 : 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await setCampaignAttachments(
      trx,
      id,
      attachments.map((a) => a.id),
    );
    return id;
  });
  ctx.log.info('draft created', { campaignId: id });
  ctx.events.emit('campaign', { campaignId: id, status: 'draft' });
  return getCampaign(ctx, { id });
}

/** The name of a draft saved before the user gave it one. */
export const UNTITLED = 'Untitled campaign';

export async function updateCampaign(ctx: EngineContext, input: unknown): Promise<Campaign> {
  const args = parseInput(updateCampaignSchema, input);
  return oneAtATime(ctx, args.id, () => applyUpdate(ctx, args));
}

async function applyUpdate(ctx: EngineContext, args: z.infer<typeof updateCampaignSchema>): Promise<Campaign> {
  const current = await campaignRow(ctx.db, args.id);
  if (current.status !== 'draft' && current.status !== 'paused') {
    throw new EngineError('conflict', `This campaign is ${current.status}; pause it before editing, so no message goes out half-changed.`);
  }
  const attachments = args.attachments ? await attachmentsById(ctx.db, args.attachments) : undefined;
  const sendAfter = args.sendAfter === undefined ? current.send_after : toMs(args.sendAfter);
  const stopAfter = args.stopAfter === undefined ? current.stop_after : toMs(args.stopAfter);
  checkWindow(sendAfter, stopAfter);
  const html = args.html === undefined ? current.html : storedHtml(args.html ?? undefined);
  const text = args.text === undefined ? current.text : emptyToNull(args.text ?? undefined);
  if (args.rehearsal !== undefined && (args.rehearsal ? 1 : 0) !== current.rehearsal && current.status !== 'draft') {
    throw new EngineError(
      'conflict',
      'rehearsal: Only a draft can become a rehearsal or stop being one. Copy this campaign instead (as a rehearsal, or as a real draft).',
      { field: 'rehearsal' },
    );
  }
  if (current.status === 'paused' && !html && !text) {
    throw new EngineError('invalid_input', 'html: The message needs an HTML or a plain-text body.', { field: 'html' });
  }
  if (current.status === 'paused') {
    const edited = { ...current, subject: args.subject ?? current.subject, html, text };
    checkKnownFields(edited);
    await checkMergeFields(ctx.db, edited, new TimeSlicer(), UNSENT);
    const files = attachments ?? (await campaignAttachments(ctx, current.id));
    await checkMessageSize(ctx.db, edited, sum(files.map((a) => a.size)), new TimeSlicer(), UNSENT);
  }
  const edited = await ctx.db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('campaigns')
      .set({
        ...(args.name !== undefined ? { name: args.name } : {}),
        ...(args.subject !== undefined ? { subject: args.subject } : {}),
        html,
        text,
        ...(args.fromName !== undefined ? { from_name: args.fromName ? sanitizeHeaderText(args.fromName) : null } : {}),
        ...(args.replyTo !== undefined ? { reply_to: args.replyTo } : {}),
        send_after: sendAfter,
        stop_after: stopAfter,
        ...(args.rehearsal !== undefined ? { rehearsal: args.rehearsal ? 1 : 0 } : {}),
        updated_at: ctx.clock.now(),
      })
      .where('id', '=', args.id)
      // As checked above: a campaign the scheduler has since moved on is not edited.
      .where('status', '=', current.status)
      .executeTakeFirst();
    const changed = Number(result.numUpdatedRows) > 0;
    if (changed && attachments) {
      await setCampaignAttachments(
        trx,
        args.id,
        attachments.map((a) => a.id),
      );
      // An older version's list of paths, if any was left, is replaced by what the user chose now.
      await trx.updateTable('campaigns').set({ attachments: '[]' }).where('id', '=', args.id).execute();
    }
    return changed;
  });
  if (!edited) throw changedMeanwhile();
  ctx.events.emit('campaign', { campaignId: args.id, status: current.status });
  return getCampaign(ctx, { id: args.id });
}

/**
 * Refuses an import the disk has no room for, before anything is written: an import that
 * fills the disk part-way fails anyway, and until its partial rows are removed the disk stays
 * full for every program.
 */
export async function checkDiskSpace(ctx: EngineContext, needed: number): Promise<void> {
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

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Recipients from CSV text or a list, checked and deduplicated; none when neither is given. */
export async function readRecipients(
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

/** The body as stored: cleaned (email-html.ts), and none when nothing is left to show. */
function storedHtml(value: string | undefined): string | null {
  const html = emptyToNull(value);
  return html === null ? null : emptyToNull(cleanCampaignHtml(html));
}

function emptyToNull(value: string | undefined): string | null {
  return value && value.trim() !== '' ? value : null;
}
