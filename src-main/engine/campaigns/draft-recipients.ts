/**
 * A draft's recipients after it was created: another import that replaces its list or adds to
 * it. The new rows are stored in a hidden staging campaign first, in small transactions (as an
 * import does), and made the draft's in one last transaction: the draft shows its old list or
 * its new one, never half of each, and a failure or a crash (a hidden campaign is removed)
 * leaves the old list as it was.
 */
import { sql } from 'kysely';
import { sanitizeHeaderText } from '../core/addresses';
import type { EngineContext } from '../context';
import type { CampaignRow, Db } from '../db/schema';
import { EngineError } from '../core/errors';
import { TimeSlicer } from '../core/time-slice';
import { parseInput } from '../core/validation';
import type { Campaign, ImportReport } from '../../../src-shared/views/campaigns';
import { forEachIdRange } from './campaign-recipients';
import { discardStagedCampaign, estimateStorageBytes, insertRecipients } from './import-storage';
import type { CsvImportResult } from './import-result';
import { importRecipientsSchema } from './campaign-schemas';
import { campaignRow, oneAtATime } from './campaign-state';
import { getCampaign } from './campaign-queries';
import { checkDiskSpace, readRecipients } from './campaigns';

/** Why a row added to a list is skipped when its address is there already. */
const ALREADY_IN_LIST = 'Already in the list (row ';

/**
 * Imports recipients into a draft: `replace` swaps its list for the new one, `add` appends the
 * new rows, numbered after the list's last row (an address already in the list is skipped, with
 * the row it is at). Answers the same report as campaigns.create, about the rows just imported
 * (rows as the file numbers them); an addition says how many of its duplicates were already in
 * the list.
 */
export async function importIntoDraft(ctx: EngineContext, input: unknown): Promise<{ campaign: Campaign; report: ImportReport }> {
  const args = parseInput(importRecipientsSchema, input);
  return oneAtATime(ctx, args.id, async () => {
    const draft = await campaignRow(ctx.db, args.id);
    mustBeDraft(draft);
    const slicer = new TimeSlicer();
    const imported = await readRecipients(args.csv, args.emailColumn, args.recipients, slicer);
    // The report names invalid rows as the user's file numbers them: that is where they are fixed.
    const invalidInFile = imported.invalid;
    if (args.mode === 'add') numberAfter(imported, await lastRow(ctx.db, draft.id, slicer));
    await checkDiskSpace(ctx, await slicer.run(estimateStorageBytes(imported)));
    const now = ctx.clock.now();
    const stagingId = await stagingCampaign(ctx.db, draft, now);
    ctx.importsInProgress.add(stagingId);
    let report: ImportReport;
    try {
      const stored = await insertRecipients(ctx.db, stagingId, imported, now, slicer);
      const suppressed = stored.suppressed;
      const alreadyThere = args.mode === 'add' ? await skipAlreadyInList(ctx.db, draft.id, stagingId, now) : 0;
      const previous = JSON.parse(draft.fields) as string[];
      const fields = args.mode === 'add' ? [...previous, ...imported.columns.filter((c) => !previous.includes(c))] : imported.columns;
      // A replaced list's export uses its file's separator; an added one keeps the list's.
      const delimiter = args.mode === 'replace' || draft.csv_delimiter === null ? (imported.delimiter ?? null) : draft.csv_delimiter;
      // The merge fields blank for someone (campaigns.fields_with_blanks): the new rows', with the
      // list's when added to it (unknown if the list's are).
      const blanks =
        args.mode === 'replace'
          ? stored.fieldsWithBlanks
          : draft.fields_with_blanks === null
            ? null
            : [...new Set([...(JSON.parse(draft.fields_with_blanks) as string[]), ...stored.fieldsWithBlanks])];
      await adoptStaged(ctx.db, draft.id, stagingId, { replace: args.mode === 'replace', fields, blanks, delimiter, now });
      report = {
        imported: imported.recipients.length - suppressed - alreadyThere,
        duplicates: imported.duplicates.length + alreadyThere,
        invalid: invalidInFile,
        suppressed,
        ...(args.mode === 'add' ? { alreadyInList: alreadyThere } : {}),
      };
    } catch (error) {
      await discardStagedCampaign(ctx.db, stagingId, slicer).catch((cleanupError: unknown) =>
        // Still hidden; the next start removes it.
        ctx.log.warn('could not remove a failed import yet; it stays hidden and is removed later', {
          campaignId: stagingId,
          error: String(cleanupError),
        }),
      );
      throw error;
    } finally {
      ctx.importsInProgress.delete(stagingId);
    }
    ctx.log.info('recipients imported into a draft', { campaignId: draft.id, mode: args.mode, recipients: report.imported });
    ctx.events.emit('campaign', { campaignId: draft.id, status: 'draft' });
    return { campaign: await getCampaign(ctx, { id: draft.id }), report };
  });
}

function mustBeDraft(campaign: CampaignRow): void {
  if (campaign.status !== 'draft') {
    throw new EngineError(
      'conflict',
      `Only a draft's recipients can be changed; this campaign is ${campaign.status}. Copy it to a new draft to send it to another list.`,
    );
  }
}

/** The highest row of the campaign's list (0 for none), read a range of ids at a time. */
async function lastRow(db: Db, campaignId: number, slicer: TimeSlicer): Promise<number> {
  let last = 0;
  await forEachIdRange(db, campaignId, slicer, async (from, to) => {
    const range = await db
      .selectFrom('messages')
      .select(sql<number | null>`max(row)`.as('row'))
      .where('campaign_id', '=', campaignId)
      .where('id', '>=', from)
      .where('id', '<', to)
      .executeTakeFirst();
    last = Math.max(last, range?.row ?? 0);
  });
  return last;
}

/**
 * Rows added to a list continue after its last one (`last`), keeping their spacing in the
 * file, so a row of the campaign — in the preview, the export, the progress lists — names one
 * recipient, never one of each file. (A list with no rows yet keeps the file's own numbers.)
 * Invalid rows are renumbered in a copy: the report keeps the file's numbers.
 */
function numberAfter(imported: CsvImportResult, last: number): void {
  if (last === 0) return;
  const first = Math.min(
    imported.recipients[0]?.row ?? Infinity,
    imported.invalid[0]?.row ?? Infinity,
    imported.duplicates[0]?.row ?? Infinity,
  );
  if (first === Infinity) return;
  const shift = last + 1 - first;
  for (const r of imported.recipients) r.row += shift;
  for (const d of imported.duplicates) {
    d.row += shift;
    d.firstRow += shift;
  }
  imported.invalid = imported.invalid.map((r) => ({ ...r, row: r.row + shift }));
}

/** A hidden campaign that holds rows being imported for `draft` until they are complete. */
async function stagingCampaign(db: Db, draft: CampaignRow, now: number): Promise<number> {
  const { id } = await db
    .insertInto('campaigns')
    .values({ name: sanitizeHeaderText(draft.name), subject: '', created_at: now, updated_at: now, importing: 1 })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * Staged rows whose address is already among the draft's recipients are skipped, naming the
 * row it is at. A temporary table of the draft's addresses makes it one pass over each list,
 * however long.
 */
async function skipAlreadyInList(db: Db, draftId: number, stagingId: number, now: number): Promise<number> {
  return db.connection().execute(async (conn) => {
    await sql`drop table if exists temp.draft_addresses`.execute(conn);
    await sql`
      create temp table draft_addresses as
      select email_norm, min(row) as row from messages
      where campaign_id = ${draftId} and status != 'skipped' group by email_norm`.execute(conn);
    await sql`create index temp.draft_addresses_email on draft_addresses (email_norm)`.execute(conn);
    try {
      const result = await sql`
        update messages set status = 'skipped', updated_at = ${now},
          skip_reason = ${ALREADY_IN_LIST} || (select row from draft_addresses d where d.email_norm = messages.email_norm) || ').'
        where campaign_id = ${stagingId} and status = 'queued'
          and email_norm in (select email_norm from draft_addresses)`.execute(conn);
      return Number(result.numAffectedRows ?? 0);
    } finally {
      await sql`drop table temp.draft_addresses`.execute(conn);
    }
  });
}

/**
 * One transaction: the staged rows become the draft's (after its old ones are removed when
 * replacing), its merge fields are updated, its counts recomputed from its rows (moving rows
 * to another campaign fires no counter trigger), and the staging campaign goes.
 */
async function adoptStaged(
  db: Db,
  draftId: number,
  stagingId: number,
  change: { replace: boolean; fields: string[]; blanks: string[] | null; delimiter: CampaignRow['csv_delimiter']; now: number },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const draft = await trx.selectFrom('campaigns').select('status').where('id', '=', draftId).executeTakeFirst();
    if (!draft) throw new EngineError('not_found', `Campaign ${draftId} does not exist (it may have been removed).`);
    mustBeDraft(draft as CampaignRow);
    if (change.replace) await trx.deleteFrom('messages').where('campaign_id', '=', draftId).execute();
    await trx.updateTable('messages').set({ campaign_id: draftId }).where('campaign_id', '=', stagingId).execute();
    await trx.deleteFrom('campaign_message_counts').where('campaign_id', 'in', [draftId, stagingId]).execute();
    await sql`
      insert into campaign_message_counts (campaign_id, status, n)
      select campaign_id, status, count(*) from messages where campaign_id = ${draftId} group by status`.execute(trx);
    await trx
      .updateTable('campaigns')
      .set({
        fields: JSON.stringify(change.fields),
        fields_with_blanks: change.blanks === null ? null : JSON.stringify(change.blanks),
        csv_delimiter: change.delimiter,
        updated_at: change.now,
      })
      .where('id', '=', draftId)
      .execute();
    await trx.deleteFrom('campaigns').where('id', '=', stagingId).execute();
  });
}
