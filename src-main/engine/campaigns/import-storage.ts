/**
 * Storing an import: every row of the list in file order, in many small transactions (see
 * campaign-recipients.ts). What makes it all-or-nothing instead: a campaign being imported is
 * hidden (`campaigns.importing`) until its last row is stored, and removed if the import fails
 * or the app dies first.
 *
 * Recipients are stored ready to send: `queued`, each with its Message-ID. A draft's messages
 * are not sent because the draft is not (the claim takes messages of queued and sending
 * campaigns only), so queueing a draft changes the campaign and no message: it costs the
 * same for a million recipients as for ten, and there is nothing half-done to undo after a
 * crash. Outside the engine a draft's messages are `pending` (campaign-views.ts).
 */
import { CompiledQuery, sql } from 'kysely';
import { sanitizeHeaderText } from '../core/addresses';
import { messageIdsFor } from '../core/message-ids';
import type { TimeSlicer } from '../core/time-slice';
import type { Db, MessageStatus } from '../db/schema';
import { forEachIdRange, SKIPPED_DUPLICATE, SKIPPED_INVALID, skipSuppressed, stagedTransaction } from './campaign-recipients';
import type { CsvImportResult } from './import-result';
import { isBlankValue } from './merge';

/** Rows per multi-row INSERT: 11 parameters each, well under SQLite's variable limit. */
const INSERT_ROWS = 500;
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
