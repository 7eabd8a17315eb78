/**
 * The bulk work on a campaign's recipients — storing an import, skipping suppressed
 * addresses, checking merge fields, queueing — done in many small transactions, each about
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
import { CompiledQuery, type RawBuilder, sql } from 'kysely';
import { sanitizeHeaderText } from '../core/addresses';
import type { CsvImportResult } from './import-result';
import type { Db } from '../db/schema';
import { unsyncedTransaction } from '../db/wal-sync';
import type { CampaignRow, MessageStatus } from '../db/schema';
import { EngineError } from '../core/errors';
import { INVISIBLE_CHARACTERS, isBlankValue, templateFields } from './merge';
import { TimeSlicer } from '../core/time-slice';
import { messageIdsFor } from '../core/message-ids';
import { storageProblem } from '../db/storage-errors';
import { describeUnknownFields, unknownMergeFields } from '../../../src-shared/merge-fields';

/** How each kind of skipped row's reason begins (a copy re-checks suppressed rows, keeps the rest). */
export const SKIPPED_INVALID = 'Invalid address: ';
export const SKIPPED_DUPLICATE = 'Duplicate of row ';
export const SKIPPED_SUPPRESSED = 'On the suppression list (';

/** Messages not yet sent nor being sent: what a cancel or a stop time ends. */
export const NOT_YET_SENT: MessageStatus[] = ['pending', 'queued', 'retry_wait'];

/** Rows per multi-row INSERT: 11 parameters each, well under SQLite's variable limit. */
const INSERT_ROWS = 500;
/** Message ids per UPDATE or check over a campaign: about 10 ms of work each. */
const ID_SPAN = 2_500;

const MESSAGE_COLUMNS = [
  'id',
  'campaign_id',
  'row',
  'email',
  'email_norm',
  'name',
  'fields',
  'status',
  'skip_reason',
  'updated_at',
  'message_id',
];

/**
 * Stores every row of the import in file order: recipients as `queued` with their
 * Message-IDs (ready to send once the draft is queued), invalid and duplicate rows as
 * `skipped` with their reason, so the campaign accounts for every row. Recipients on the
 * suppression list are skipped too. Returns how many were suppressed, and the merge fields
 * blank for at least one recipient (campaigns.fields_with_blanks, for checkMergeFields).
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
      // A message's Message-ID carries its row id (core/message-ids.ts), so the import chooses the
      // ids: the next ones AUTOINCREMENT would give, read in this transaction, which holds the
      // database's write lock (no one else inserts meanwhile).
      const next = { id: await nextMessageId(trx) };
      do {
        const params = nextChunk(rows, campaignId, now, next);
        const count = params.length / MESSAGE_COLUMNS.length;
        if (count < INSERT_ROWS) more = false;
        if (count > 0) await trx.executeQuery(CompiledQuery.raw(count === INSERT_ROWS ? fullChunkSql : insertSql(count), params));
      } while (more && !slicer.used);
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

/** The parameters of up to INSERT_ROWS rows, in MESSAGE_COLUMNS order, their ids taken from `next`. */
function nextChunk(rows: Iterator<StoredRow>, campaignId: number, now: number, next: { id: number }): unknown[] {
  const chunk: StoredRow[] = [];
  for (let k = 0; k < INSERT_ROWS; k++) {
    const item = rows.next();
    if (item.done) break;
    chunk.push(item.value);
  }
  const rowIds = chunk.map((_, k) => next.id + k);
  next.id += chunk.length;
  const messageIds = messageIdsFor(rowIds);
  const params: unknown[] = [];
  for (const [k, r] of chunk.entries()) {
    params.push(
      rowIds[k],
      campaignId,
      r.row,
      r.email,
      r.emailNorm,
      r.name,
      r.fields,
      r.status,
      r.skipReason,
      now,
      r.status === 'queued' ? messageIds[k] : null,
    );
  }
  return params;
}

/** The id AUTOINCREMENT would give the next message: past every id the table ever had. */
async function nextMessageId(trx: Db): Promise<number> {
  const { rows } = await sql<{ next: number }>`
    select max(coalesce((select seq from sqlite_sequence where name = 'messages'), 0), coalesce((select max(id) from messages), 0)) + 1 as next`.execute(
    trx,
  );
  return Number(rows[0]!.next);
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
        skipReason: `${SKIPPED_INVALID}${x.reason}`,
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
        skipReason: `${SKIPPED_DUPLICATE}${x.firstRow}.`,
      };
    }
  }
}

/** Recipients not yet sent whose address is on the suppression list become `skipped` (a draft's, as it is imported, copied or queued). */
export async function skipSuppressed(db: Db, campaignId: number, now: number, slicer: TimeSlicer): Promise<number> {
  const anySuppressed = await db.selectFrom('suppressions').select('email_norm').limit(1).executeTakeFirst();
  if (!anySuppressed) return 0;
  let skipped = 0;
  await forEachIdRange(db, campaignId, slicer, async (from, to) => {
    const result = await stagedTransaction(db, (trx) =>
      trx
        .updateTable('messages')
        .set({
          status: 'skipped',
          skip_reason: sql<string>`${SKIPPED_SUPPRESSED} || (select reason from suppressions s where s.email_norm = messages.email_norm) || ').'`,
          updated_at: now,
        })
        .where('campaign_id', '=', campaignId)
        .where('status', '=', 'queued')
        .where('id', '>=', from)
        .where('id', '<', to)
        .where('email_norm', 'in', (qb) => qb.selectFrom('suppressions').select('email_norm'))
        .executeTakeFirst(),
    );
    skipped += Number(result.numUpdatedRows);
  });
  return skipped;
}

/**
 * Every merge field must name a column of the list (or the address): `{{frist_name}}` is a
 * typo whose default, or nothing, would go to everyone. The window says the same while the
 * user types (src-shared/merge-fields.ts); here it stops a queue, a resume or an edit.
 */
export function checkKnownFields(campaign: Pick<CampaignRow, 'subject' | 'html' | 'text' | 'fields'>): void {
  const columns = JSON.parse(campaign.fields) as string[];
  const unknown = unknownMergeFields([campaign.subject, campaign.html, campaign.text], columns);
  if (unknown.length > 0) {
    throw new EngineError('merge_unknown_field', describeUnknownFields(unknown, columns), {
      field: unknown[0]!.field,
      ...(unknown[0]!.suggestion ? { suggestion: unknown[0]!.suggestion } : {}),
    });
  }
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
  const known =
    stored?.fields_with_blanks == null
      ? undefined
      : { columns: JSON.parse(stored.fields) as string[], blank: JSON.parse(stored.fields_with_blanks) as string[] };
  const certainlyFilled = (name: string) =>
    known !== undefined && name !== 'name' && known.columns.includes(name) && !known.blank.includes(name);
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
        .where(isBlankSql(value))
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
 * The SQL twin of merge.ts's isBlankValue: the value is missing, or shows nothing. trim() takes
 * off the invisible characters, but not a NUL (SQLite reads trim's list of characters only up
 * to one, and replace() cannot find one). So a value holding a NUL (its recipient's fields, as
 * stored JSON, then hold the escape \u0000, a cheap test that spares the other rows; length()
 * stops at the NUL) is looked at as JSON text: the NUL escapes are dropped (after every escaped
 * backslash is made a visible letter, so "\\u0000", typed text, stays), the rest decoded and
 * trimmed.
 */
function isBlankSql(value: RawBuilder<string>) {
  return sql<boolean>`(
    coalesce(trim(${value}, ${INVISIBLE_CHARACTERS}), '') = ''
    or (
      instr(fields, '\\u0000') > 0
      and octet_length(substr(${value}, 1, length(${value}))) < octet_length(${value})
      and coalesce(trim(json_extract(replace(replace(json_quote(${value}), '\\\\', 'x'), '\\u0000', ''), '$'), ${INVISIBLE_CHARACTERS}), '') = ''
    )
  )`;
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
 * run at start for imports a crash or kill cut short, and by the retry job for one whose
 * removal failed (a full disk).
 *
 * Then the write-ahead log is checkpointed and truncated: an import that filled the disk
 * left it as large as its biggest slices, and SQLite never shrinks it by itself. (The pages
 * the campaign took in the database file itself are free for Trickle's next writes; only a
 * VACUUM would give them back to the system.) Best effort: on a disk still full, the
 * checkpoint cannot complete yet, and a later one will.
 */
export async function discardStagedCampaign(db: Db, campaignId: number, slicer: TimeSlicer): Promise<void> {
  await forEachIdRange(db, campaignId, slicer, async (from, to) => {
    await db.deleteFrom('messages').where('campaign_id', '=', campaignId).where('id', '>=', from).where('id', '<', to).execute();
  });
  await db.deleteFrom('campaigns').where('id', '=', campaignId).where('importing', '=', 1).execute();
  await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db).catch(() => undefined);
}

/**
 * Hidden campaigns whose import is over but whose removal failed (the disk was full), to be
 * removed now (discardStagedCampaign). Those in `inProgress` are imports still running and are
 * left alone.
 */
export async function abandonedImports(db: Db, inProgress: ReadonlySet<number>): Promise<number[]> {
  const staged = await db.selectFrom('campaigns').select('id').where('importing', '=', 1).execute();
  return staged.map((c) => c.id).filter((id) => !inProgress.has(id));
}

/** Merge data and addresses of a row, as stored; rows per step of estimateStorageBytes. */
const ROWS_PER_ESTIMATE_STEP = 20_000;
/** What a message row and its index entries take besides its texts (measured: about 100 bytes). */
const ROW_OVERHEAD_BYTES = 120;
/** B-tree pages are not full: texts take about 1.3 times their size on disk (measured). */
const PAGE_FILL_FACTOR = 1.3;
/**
 * Room for the write-ahead log besides: it holds what was written since the last checkpoint
 * (1,000 pages and a slice at most), and a small import whole.
 */
const WAL_HEADROOM_BYTES = 8 * 1024 * 1024;

/**
 * About how many bytes of disk storing the import takes, on the safe side: measured on lists of
 * short and of wide rows, the database file grew by 80–85 % of the `database` part; the log
 * needs room besides. Written as steps, so a million rows are counted without holding the app up.
 */
export function* estimateStorageBytes(imported: CsvImportResult): Generator<void, number> {
  let texts = 0;
  let k = 0;
  for (const r of imported.recipients) {
    // Each recipient's Message-ID is stored with it (message-ids.ts: about 64 characters).
    texts += 2 * r.email.length + (r.name?.length ?? 0) + 2 + 64;
    for (const key in r.fields) texts += key.length + r.fields[key]!.length + 6;
    if (++k % ROWS_PER_ESTIMATE_STEP === 0) yield;
  }
  for (const r of imported.invalid) texts += 2 * Math.min(r.value.length, 1000) + r.reason.length + 20;
  for (const r of imported.duplicates) texts += 2 * r.value.length + 30;
  const rows = imported.recipients.length + imported.invalid.length + imported.duplicates.length;
  const database = rows * ROW_OVERHEAD_BYTES + texts * PAGE_FILL_FACTOR;
  return Math.ceil(database + Math.min(database, WAL_HEADROOM_BYTES));
}

/**
 * After a crash: imports cut short are removed, and cancellations cut short are finished.
 * (Queueing a draft changes no message, so nothing of it is ever left half-done.)
 */
export async function recoverInterruptedBulkWork(
  db: Db,
  now: number,
): Promise<{ discarded: number; cancelled: number; discardLater?: string }> {
  const staged = await db.selectFrom('campaigns').select('id').where('importing', '=', 1).execute();
  const slicer = new TimeSlicer();
  let discarded = 0;
  let discardLater: string | undefined;
  for (const { id } of staged) {
    try {
      await discardStagedCampaign(db, id, slicer);
      discarded++;
    } catch (error) {
      // On a full disk even a delete may not fit in the log: the campaign stays hidden, and the
      // retry job removes it once there is room. That is no reason to refuse to start.
      if (storageProblem(error) !== 'full') throw error;
      discardLater = String(error);
    }
  }
  const cancelledWithOpen = await db
    .selectFrom('campaigns')
    .select('id')
    .where('status', '=', 'cancelled')
    .where((eb) =>
      eb.exists(eb.selectFrom('messages').select('id').whereRef('campaign_id', '=', 'campaigns.id').where('status', 'in', NOT_YET_SENT)),
    )
    .execute();
  let cancelled = 0;
  for (const { id } of cancelledWithOpen) cancelled += await setMessagesStatus(db, id, NOT_YET_SENT, 'cancelled', now, slicer);
  return { discarded, cancelled, ...(discardLater ? { discardLater } : {}) };
}
