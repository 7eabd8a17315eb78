/**
 * Using a campaign again, as a small sender does: copy it into a new draft (with all its
 * recipients, only those it did not reach, or none), delete a draft, archive a finished one.
 */
import { sql } from 'kysely';
import type { EngineContext } from '../context';
import { unsyncedTransaction } from '../db/wal-sync';
import { EngineError } from '../core/errors';
import { TimeSlicer } from '../core/time-slice';
import { parseInput } from '../core/validation';
import type { Campaign, ImportReport } from '../../../src-shared/views/campaigns';
import { forEachIdRange, SKIPPED_DUPLICATE, SKIPPED_INVALID, SKIPPED_SUPPRESSED, skipSuppressed } from './campaign-recipients';
import { discardStagedCampaign } from './import-storage';
import { archiveCampaignSchema, copyCampaignSchema, campaignIdSchema } from './campaign-schemas';
import { campaignRow, oneAtATime } from './campaign-state';
import { getCampaign } from './campaign-queries';
import { countMessages } from '../db/message-counts';
import { messageIdSql } from '../core/message-ids';

/**
 * The statuses of a message that never reached its recipient and will not by itself: what a
 * copy for "only those not sent to" takes (with rows skipped because the address was
 * suppressed, if it no longer is, and a draft's recipients, stored `queued` but never queued).
 * Not sent, in doubt (it may have arrived) or still on its way.
 */
const NOT_REACHED = ['failed', 'cancelled', 'expired', 'pending'] as const;

/**
 * A new draft with the campaign's message, attachments and settings, and its recipients:
 * `all` (as imported: invalid and duplicate rows stay skipped with their reason, the rest are
 * pending again), `unsent` (failed, cancelled, expired, never queued, or skipped as suppressed
 * — never an address that is on the suppression list now, nor one sent to or in doubt), or
 * `none` (a list is imported later). Rows keep their numbers, so they match the user's file.
 * Merge fields are kept; Message-IDs are new, fixed as the copy is made (a draft's recipients
 * are stored ready to send: campaign-recipients.ts) and shown once it is queued.
 */
export async function copyCampaign(ctx: EngineContext, input: unknown): Promise<{ campaign: Campaign; report: ImportReport }> {
  const args = parseInput(copyCampaignSchema, input);
  const source = await campaignRow(ctx.db, args.id);
  const recipients = args.recipients ?? 'all';
  const now = ctx.clock.now();
  // A stop time already past would only stop the copy from being queued.
  const keepWindow = source.stop_after === null || source.stop_after > now;
  const { id } = await ctx.db
    .insertInto('campaigns')
    .values({
      name: args.name ?? copyName(source.name),
      subject: source.subject,
      html: source.html,
      text: source.text,
      from_name: source.from_name,
      reply_to: source.reply_to,
      fields: source.fields,
      // The copy's recipients are some of the source's, as imported: a field never blank there is not here.
      fields_with_blanks: source.fields_with_blanks,
      csv_delimiter: source.csv_delimiter,
      send_after: keepWindow ? source.send_after : null,
      stop_after: keepWindow ? source.stop_after : null,
      created_at: now,
      updated_at: now,
      // Hidden until every row is in, as an import is; removed if the copy fails half-way.
      importing: 1,
      rehearsal: args.rehearsal ? 1 : 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const slicer = new TimeSlicer();
  let report: ImportReport;
  try {
    await sql`
      insert into campaign_attachments (campaign_id, position, attachment_id)
      select ${id}, position, attachment_id from campaign_attachments where campaign_id = ${source.id}`.execute(ctx.db);
    let leftOut = 0;
    // The copied recipients are stored ready to send, as an import stores them: each gets a
    // Message-ID carrying its new row id (core/message-ids.ts), once the insert has given it.
    const giveMessageIds = (trx: typeof ctx.db) =>
      sql`update messages set message_id = ${sql.raw(messageIdSql())}
          where campaign_id = ${id} and status = 'queued' and message_id is null`.execute(trx);
    if (recipients !== 'none') {
      await forEachIdRange(ctx.db, source.id, slicer, async (from, to) => {
        await unsyncedTransaction(ctx.db, async (trx) => {
          if (recipients === 'all') {
            await sql`
              insert into messages (campaign_id, row, email, email_norm, name, fields, status, skip_reason, updated_at)
              select ${id}, row, email, email_norm, name, fields,
                case when ${stillSkipped} then 'skipped' else 'queued' end,
                case when ${stillSkipped} then skip_reason end,
                ${now}
              from messages where campaign_id = ${source.id} and id >= ${from} and id < ${to} order by id`.execute(trx);
            await giveMessageIds(trx);
            return;
          }
          const unreached = sql`
            campaign_id = ${source.id} and id >= ${from} and id < ${to}
            and (status in (${sql.join(NOT_REACHED)}) or (status = 'skipped' and skip_reason like ${`${SKIPPED_SUPPRESSED}%`})
              or (${source.status === 'draft' ? 1 : 0} and status = 'queued'))`;
          const suppressedNow = await sql<{ n: number }>`
            select count(*) as n from messages where ${unreached}
            and email_norm in (select email_norm from suppressions)`.execute(trx);
          leftOut += Number(suppressedNow.rows[0]?.n ?? 0);
          await sql`
            insert into messages (campaign_id, row, email, email_norm, name, fields, status, updated_at)
            select ${id}, row, email, email_norm, name, fields, 'queued', ${now}
            from messages where ${unreached}
            and email_norm not in (select email_norm from suppressions)
            order by id`.execute(trx);
          await giveMessageIds(trx);
        });
      });
    }
    const suppressed = recipients === 'all' ? await skipSuppressed(ctx.db, id, now, slicer) : leftOut;
    await ctx.db.updateTable('campaigns').set({ importing: 0 }).where('id', '=', id).execute();
    report = await copyReport(ctx, id, suppressed);
  } catch (error) {
    await discardStagedCampaign(ctx.db, id, slicer).catch((cleanupError: unknown) =>
      // Still hidden; the next start removes it.
      ctx.log.error('could not remove a failed copy', { campaignId: id, error: String(cleanupError) }),
    );
    throw error;
  }
  ctx.log.info('campaign copied', { from: source.id, campaignId: id, recipients });
  ctx.events.emit('campaign', { campaignId: id, status: 'draft' });
  return { campaign: await getCampaign(ctx, { id }), report };
}

/** A row an import skipped stays skipped in a copy: its address is still invalid or a repeat. */
const stillSkipped = sql`status = 'skipped' and (skip_reason like ${`${SKIPPED_INVALID}%`} or skip_reason like ${`${SKIPPED_DUPLICATE}%`})`;

function copyName(name: string): string {
  const base = name.replace(/ \(copy( \d+)?\)$/, '');
  return `${base} (copy)`.slice(0, 200);
}

/** What the copy holds, in an import's words: who will be sent to, who was left out and why. */
async function copyReport(ctx: EngineContext, id: number, suppressed: number): Promise<ImportReport> {
  const counts = await countMessages(ctx.db, id);
  const skippedRows = await ctx.db
    .selectFrom('messages')
    .select(['row', 'email', 'skip_reason'])
    .where('campaign_id', '=', id)
    .where('status', '=', 'skipped')
    .where('skip_reason', 'like', `${SKIPPED_INVALID}%`)
    .orderBy('id')
    .limit(1000)
    .execute();
  const duplicates = await ctx.db
    .selectFrom('messages')
    .select(sql<number>`count(*)`.as('n'))
    .where('campaign_id', '=', id)
    .where('status', '=', 'skipped')
    .where('skip_reason', 'like', `${SKIPPED_DUPLICATE}%`)
    .executeTakeFirstOrThrow();
  return {
    // A draft's recipients are stored queued (campaign-recipients.ts).
    imported: counts.queued,
    duplicates: Number(duplicates.n),
    invalid: skippedRows.map((r) => ({ row: r.row, value: r.email, reason: (r.skip_reason ?? '').slice(SKIPPED_INVALID.length) })),
    suppressed,
  };
}

/**
 * Deletes a draft and its recipients (their counts go with them: triggers keep those). Hidden
 * first, then removed a range at a time; a crash in between finishes the delete at the next
 * start, as for an import cut short. Anything queued once has a history and is archived instead.
 */
export async function deleteDraft(ctx: EngineContext, input: unknown): Promise<{ deleted: true }> {
  const { id } = parseInput(campaignIdSchema, input);
  return oneAtATime(ctx, id, async () => {
    const campaign = await campaignRow(ctx.db, id);
    if (campaign.status !== 'draft') {
      throw new EngineError(
        'conflict',
        `Only a draft can be deleted; this campaign is ${campaign.status} and has a history. Archive it to hide it from the list.`,
      );
    }
    const hidden = await ctx.db
      .updateTable('campaigns')
      .set({ importing: 1, updated_at: ctx.clock.now() })
      .where('id', '=', id)
      .where('status', '=', 'draft')
      .executeTakeFirst();
    if (Number(hidden.numUpdatedRows) === 0) throw new EngineError('conflict', 'This campaign changed meanwhile; look at it again.');
    await discardStagedCampaign(ctx.db, id, new TimeSlicer());
    ctx.log.info('draft deleted', { campaignId: id });
    ctx.events.emit('campaign', { campaignId: id, status: 'deleted' });
    return { deleted: true as const };
  });
}

/**
 * Archives a finished (completed or cancelled) campaign, or brings it back (`archived: false`).
 * An archived campaign is hidden from the list unless asked for; its messages and its sends
 * stay, so the history and the daily caps are as they were.
 */
export async function archiveCampaign(ctx: EngineContext, input: unknown): Promise<Campaign> {
  const { id, archived } = parseInput(archiveCampaignSchema, input);
  return oneAtATime(ctx, id, async () => {
    const campaign = await campaignRow(ctx.db, id);
    if (archived !== false && campaign.status !== 'completed' && campaign.status !== 'cancelled') {
      throw new EngineError(
        'conflict',
        campaign.status === 'draft'
          ? 'A draft is not archived: delete it, or keep it to finish later.'
          : `This campaign is ${campaign.status}; only a completed or cancelled campaign can be archived. Cancel it first, or wait until it completes.`,
      );
    }
    await ctx.db
      .updateTable('campaigns')
      .set({ archived_at: archived === false ? null : ctx.clock.now() })
      .where('id', '=', id)
      .execute();
    ctx.events.emit('campaign', { campaignId: id, status: campaign.status });
    return getCampaign(ctx, { id });
  });
}
