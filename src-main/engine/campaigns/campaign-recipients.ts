/**
 * The bulk work on a campaign's recipients — storing an import, skipping suppressed
 * addresses, checking merge fields, cancelling — done in many small transactions, each about
 * one time slice long (`TimeSlicer`), with the event loop given a turn between them. One
 * transaction over a million rows would end in a commit and a WAL checkpoint that hold the
 * app up for half a second or more; small ones commit in milliseconds. What makes the work
 * all-or-nothing instead: a campaign being imported is hidden (`campaigns.importing`) until
 * its last row is stored, and removed if the import fails or the app dies first.
 *
 * Recipients are stored ready to send: `queued`, each with its Message-ID. A draft's messages
 * are not sent because the draft is not (the claim takes messages of queued and sending
 * campaigns only), so queueing a draft changes the campaign and no message: it costs the
 * same for a million recipients as for ten, and there is nothing half-done to undo after a
 * crash. Outside the engine a draft's messages are `pending` (campaign-views.ts).
 */
import { CompiledQuery, sql } from 'kysely';
import { sanitizeHeaderText } from '../core/addresses';
import type { CsvImportResult } from './csv-import';
import type { Db } from '../db/schema';
import { unsyncedTransaction } from '../db/wal-sync';
import type { CampaignRow, MessageStatus } from '../db/schema';
import { EngineError } from '../core/errors';
import { INVISIBLE_CHARACTERS, isBlankValue, templateFields } from './merge';
import { TimeSlicer } from '../core/time-slice';
import { messageIdsFor } from './message-ids';
import { addToCounts } from '../db/message-counts';

/** Messages not yet sent nor being sent: what a cancel or a stop time ends. */
export const NOT_YET_SENT: MessageStatus[] = ['pending', 'queued', 'retry_wait'];

/** Rows per multi-row INSERT: 10 parameters each, well under SQLite's variable limit. */
const INSERT_ROWS = 500;
/** Message ids per UPDATE or check over a campaign: about 10 ms of work each. */
const ID_SPAN = 2_500;

const MESSAGE_COLUMNS = ['campaign_id', 'row', 'email', 'email_norm', 'name', 'fields', 'status', 'skip_reason', 'updated_at', 'message_id'];

/**
 * Stores every row of the import in file order: recipients as `queued` with their
 * Message-IDs (ready to send once the draft is queued), invalid and duplicate rows as
 * `skipped` with their reason, so the campaign accounts for every row. Recipients on the
 * suppression list are skipped too. Returns how many were suppressed, and the merge fields
 * blank for at least one recipient (for campaigns.fields_with_blanks: checkMergeFields).
 */
export async function insertRecipients(
  db: Db,
  campaignId: number,
  imported: CsvImportResult,
  now: number,
  slicer: TimeSlicer,
): Promise<{ suppressed: number; fieldsWithBlanks: string[] }> {
  // The statement text is the same for every full chunk, so it is compiled once (the
  // dialect's statement cache) and Kysely has nothing to build per chunk.
  const insertSql = (rows: number) =>
    `insert into messages (${MESSAGE_COLUMNS.join(', ')}) values ` +
    Array.from({ length: rows }, () => `(${MESSAGE_COLUMNS.map(() => '?').join(', ')})`).join(', ');
  const fullChunkSql = insertSql(INSERT_ROWS);

  // Ids follow file order, so lists sort by id, which the indexes already provide. The three
  // lists are each in file order; merging them keeps it without sorting a million rows.
  const fieldsWithBlanks = new Set<string>();
  const rows = inFileOrder(imported, fieldsWithBlanks);
  let more = true;
  while (more) {
    await stagedTransaction(db, async (trx) => {
      // Counted here, in the same transaction as the rows (migration 0010: no insert trigger).
      const stored = { queued: 0, skipped: 0 };
      do {
        const { params, count, queued } = nextChunk(rows, campaignId, now);
        if (count < INSERT_ROWS) more = false;
        if (count > 0) await trx.executeQuery(CompiledQuery.raw(count === INSERT_ROWS ? fullChunkSql : insertSql(count), params));
        stored.queued += queued;
        stored.skipped += count - queued;
      } while (more && !slicer.used);
      await addToCounts(trx, campaignId, stored);
    });
    await slicer.maybeYield();
  }
  return { suppressed: await skipSuppressed(db, campaignId, now, slicer), fieldsWithBlanks: [...fieldsWithBlanks] };
}

/**
 * One slice of work on a campaign nothing can see or send yet, committed without waiting for
 * the disk (`synchronous = NORMAL`, on this connection, for this transaction only): the
 * final step that makes the campaign visible or sendable commits with the engine's FULL
 * sync, and its fsync makes the WAL durable up to it, slices included. A power cut before
 * then loses only work the next start would discard anyway. Saves one fsync per slice.
 */
const stagedTransaction = unsyncedTransaction;

/** The parameters of up to INSERT_ROWS rows, in MESSAGE_COLUMNS order, and how many rows, of which how many queued. */
function nextChunk(rows: Iterator<StoredRow>, campaignId: number, now: number): { params: unknown[]; count: number; queued: number } {
  const chunk: StoredRow[] = [];
  for (let k = 0; k < INSERT_ROWS; k++) {
    const next = rows.next();
    if (next.done) break;
    chunk.push(next.value);
  }
  const ids = messageIdsFor(campaignId, chunk.map((r) => r.row));
  const params: unknown[] = [];
  let queued = 0;
  for (const [k, r] of chunk.entries()) {
    const ready = r.status === 'queued';
    if (ready) queued++;
    params.push(campaignId, r.row, r.email, r.emailNorm, r.name, r.fields, r.status, r.skipReason, now, ready ? ids[k] : null);
  }
  return { params, count: chunk.length, queued };
}

interface StoredRow {
  row: number;
  email: string;
  emailNorm: string;
  name: string | null;
  fields: string;
  status: MessageStatus;
  skipReason: string | null;
}

/**
 * The import's rows in file order. Recipients and duplicates are let go of as they are
 * stored (the arrays keep their length for the report), so a million parsed rows become
 * garbage a slice at a time rather than in one long collection at the end.
 */
function* inFileOrder(imported: CsvImportResult, fieldsWithBlanks: Set<string>): Generator<StoredRow> {
  const { recipients, invalid, duplicates } = imported as {
    recipients: (CsvImportResult['recipients'][number] | undefined)[];
    invalid: CsvImportResult['invalid'];
    duplicates: (CsvImportResult['duplicates'][number] | undefined)[];
  };
  let r = 0;
  let i = 0;
  let d = 0;
  const rowOf = (list: ({ row: number } | undefined)[], k: number) => list[k]?.row ?? Infinity;
  while (r < recipients.length || i < invalid.length || d < duplicates.length) {
    const next = Math.min(rowOf(recipients, r), rowOf(invalid, i), rowOf(duplicates, d));
    if (rowOf(recipients, r) === next) {
      const x = recipients[r]!;
      recipients[r++] = undefined;
      for (const column of imported.columns) {
        // Blank by the widest test (isBlankValue): a field never noted here is certainly not blank.
        if (!fieldsWithBlanks.has(column) && isBlankValue(x.fields[column] ?? '')) fieldsWithBlanks.add(column);
      }
      yield {
        row: x.row,
        email: x.email,
        emailNorm: x.normalized,
        name: x.name ? sanitizeHeaderText(x.name) : null,
        fields: JSON.stringify(x.fields),
        status: 'queued',
        skipReason: null,
      };
    } else if (rowOf(invalid, i) === next) {
      const x = invalid[i++]!;
      yield {
        row: x.row,
        email: x.value.slice(0, 1000),
        emailNorm: x.value.trim().toLowerCase().slice(0, 1000),
        name: null,
        fields: '{}',
        status: 'skipped',
        skipReason: `Invalid address: ${x.reason}`,
      };
    } else {
      const x = duplicates[d]!;
      duplicates[d++] = undefined;
      yield {
        row: x.row,
        email: x.value,
        emailNorm: x.value.trim().toLowerCase(),
        name: null,
        fields: '{}',
        status: 'skipped',
        skipReason: `Duplicate of row ${x.firstRow}.`,
      };
    }
  }
}

/** Recipients not yet sent whose address is on the suppression list become `skipped` (a draft's, as it is imported or queued). */
export async function skipSuppressed(db: Db, campaignId: number, now: number, slicer: TimeSlicer): Promise<number> {
  const anySuppressed = await db.selectFrom('suppressions').select('email_norm').limit(1).executeTakeFirst();
  if (!anySuppressed) return 0;
  let skipped = 0;
  await forEachIdRange(db, campaignId, slicer, async (from, to) => {
    const result = await stagedTransaction(db, (trx) => trx
      .updateTable('messages')
      .set({
        status: 'skipped',
        skip_reason: sql<string>`'On the suppression list (' || (select reason from suppressions s where s.email_norm = messages.email_norm) || ').'`,
        updated_at: now,
      })
      .where('campaign_id', '=', campaignId)
      .where('status', '=', 'queued')
      .where('id', '>=', from)
      .where('id', '<', to)
      .where('email_norm', 'in', (qb) => qb.selectFrom('suppressions').select('email_norm'))
      .executeTakeFirst());
    skipped += Number(result.numUpdatedRows);
  });
  return skipped;
}

/**
 * Every merge field used without a default must have a value for every recipient still to be
 * sent to (`queued` when a draft is queued, `queued`/`retry_wait` when a paused campaign is
 * edited or resumed); otherwise the error names the field and the rows.
 */
export async function checkMergeFields(
  db: Db,
  campaign: Pick<CampaignRow, 'id' | 'subject' | 'html' | 'text'>,
  slicer: TimeSlicer,
  statuses: MessageStatus[] = ['queued'],
): Promise<void> {
  const required = templateFields(campaign.subject, campaign.html, campaign.text).filter(
    (f) => f.defaultValue === undefined && f.name !== 'email',
  );
  if (required.length === 0) return;
  // A column of the import that no recipient left blank needs no look at the messages: they
  // are as imported. `name` is read from two places, so it is always looked at.
  const stored = await db.selectFrom('campaigns').select(['fields', 'fields_with_blanks']).where('id', '=', campaign.id).executeTakeFirst();
  const known = stored?.fields_with_blanks == null ? undefined : { columns: JSON.parse(stored.fields) as string[], blank: JSON.parse(stored.fields_with_blanks) as string[] };
  const certainlyFilled = (name: string) => known !== undefined && name !== 'name' && known.columns.includes(name) && !known.blank.includes(name);
  for (const field of required) {
    if (certainlyFilled(field.name)) continue;
    const value =
      field.name === 'name'
        ? sql<string>`coalesce(nullif(trim(coalesce(name, '')), ''), json_extract(fields, ${'$."name"'}))`
        : sql<string>`json_extract(fields, ${`$."${field.name}"`})`;
    const firstRows: number[] = [];
    let count = 0;
    await forEachIdRange(db, campaign.id, slicer, async (from, to) => {
      const missing = await db
        .selectFrom('messages')
        .select('row')
        .where('campaign_id', '=', campaign.id)
        .where('status', 'in', statuses)
        .where('id', '>=', from)
        .where('id', '<', to)
        .where(sql<boolean>`coalesce(trim(${value}, ${INVISIBLE_CHARACTERS}), '') = ''`)
        .orderBy('id')
        .execute();
      count += missing.length;
      for (const m of missing) if (firstRows.length < 5) firstRows.push(m.row);
    });
    if (count > 0) {
      throw new EngineError(
        'merge_missing_field',
        `{{${field.name}}} is empty for ${count} recipient${count === 1 ? '' : 's'} (row${count === 1 ? '' : 's'} ${firstRows.join(', ')}${count > 5 ? ', …' : ''}). Fill them in, or give a default such as {{${field.name}|there}}.`,
        { field: field.name, count },
      );
    }
  }
}

/**
 * Calls `work` for consecutive ranges of the campaign's message ids, [from, to), giving the
 * event loop a turn between ranges when the slice's time is used up. A campaign's messages
 * are stored together, in file order, so its ids are (nearly) contiguous.
 */
export async function forEachIdRange(
  db: Db,
  campaignId: number,
  slicer: TimeSlicer,
  work: (from: number, to: number) => Promise<void>,
): Promise<void> {
  // Two lookups at the ends of messages_campaign_order: min() and max() in one query would
  // read every entry of the campaign in between.
  const end = (direction: 'asc' | 'desc') =>
    db.selectFrom('messages').select('id').where('campaign_id', '=', campaignId).orderBy('id', direction).limit(1).executeTakeFirst();
  const first = await end('asc');
  const last = await end('desc');
  if (!first || !last) return;
  for (let from = first.id; from <= last.id; from += ID_SPAN) {
    await work(from, from + ID_SPAN);
    await slicer.maybeYield();
  }
}

/**
 * Moves the campaign's messages in `from` statuses to `to`, a range of ids at a time: for
 * cancelling or expiring a big campaign without holding the app up. The caller has already
 * made sure nothing claims from the campaign meanwhile (its status, or its stop time).
 */
export async function setMessagesStatus(
  db: Db,
  campaignId: number,
  from: MessageStatus[],
  to: MessageStatus,
  now: number,
  slicer: TimeSlicer,
): Promise<number> {
  let changed = 0;
  await forEachIdRange(db, campaignId, slicer, async (first, end) => {
    const result = await db
      .updateTable('messages')
      .set({ status: to, updated_at: now })
      .where('campaign_id', '=', campaignId)
      .where('status', 'in', from)
      .where('id', '>=', first)
      .where('id', '<', end)
      .executeTakeFirst();
    changed += Number(result.numUpdatedRows);
  });
  return changed;
}

/**
 * Removes a campaign whose import did not complete, its messages a range at a time. Also
 * run at start for imports a crash or kill cut short.
 */
export async function discardStagedCampaign(db: Db, campaignId: number, slicer: TimeSlicer): Promise<void> {
  await forEachIdRange(db, campaignId, slicer, async (from, to) => {
    await db.deleteFrom('messages').where('campaign_id', '=', campaignId).where('id', '>=', from).where('id', '<', to).execute();
  });
  await db.deleteFrom('campaigns').where('id', '=', campaignId).where('importing', '=', 1).execute();
}

/**
 * After a crash: imports cut short are removed, and cancellations cut short are finished.
 * (Queueing a draft changes no message, so nothing of it is ever left half-done.)
 */
export async function recoverInterruptedBulkWork(db: Db, now: number): Promise<{ discarded: number; cancelled: number }> {
  const staged = await db.selectFrom('campaigns').select('id').where('importing', '=', 1).execute();
  const slicer = new TimeSlicer();
  for (const { id } of staged) await discardStagedCampaign(db, id, slicer);
  const cancelledWithOpen = await db
    .selectFrom('campaigns')
    .select('id')
    .where('status', '=', 'cancelled')
    .where((eb) => eb.exists(eb.selectFrom('messages').select('id').whereRef('campaign_id', '=', 'campaigns.id').where('status', 'in', NOT_YET_SENT)))
    .execute();
  let cancelled = 0;
  for (const { id } of cancelledWithOpen) cancelled += await setMessagesStatus(db, id, NOT_YET_SENT, 'cancelled', now, slicer);
  return { discarded: staged.length, cancelled };
}
