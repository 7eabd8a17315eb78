import { sql } from 'kysely';
import { z } from 'zod';
import { checkAddress } from '../core/addresses';
import { iso } from '../core/clock';
import type { EngineContext } from '../context';
import { EngineError } from '../core/errors';
import { parseInput } from '../core/validation';
import type { Suppression, SuppressionImportReport } from '../../../src-shared/views/suppressions';
import { TimeSlicer } from '../core/time-slice';
import { parseRecipientsCsv } from './csv-import';
import { CsvImportError, type CsvImportResult } from './import-result';
import { recipientsFromList } from './recipient-collector';

/** Addresses in one bulk addition: a long unsubscribe list, well within one call. */
const MAX_BULK = 200_000;

export const addSuppressionSchema = z
  .object({
    email: z.string().max(1000),
    reason: z.enum(['unsubscribed', 'bounced', 'manual']).optional(),
    detail: z.string().max(500).optional(),
  })
  .strict();
export const addSuppressionsSchema = z
  .object({
    /** Addresses as pasted, one per entry. */
    emails: z.array(z.string().max(1000)).max(MAX_BULK).optional(),
    /** A CSV file's text: its email column, or one address per line when it has no header. */
    csv: z.string().optional(),
    reason: z.enum(['unsubscribed', 'bounced', 'manual']).optional(),
  })
  .strict()
  .refine((v) => (v.emails === undefined) !== (v.csv === undefined), {
    message: 'Give the addresses either as a list or as CSV text (one of the two).',
    path: ['emails'],
  });
export const removeSuppressionSchema = z.object({ email: z.string().max(1000) }).strict();
export const listSuppressionsSchema = z
  .object({ offset: z.int().min(0).optional(), limit: z.int().min(1).max(1000).optional(), search: z.string().max(200).optional() })
  .strict();

export async function listSuppressions(ctx: EngineContext, input: unknown = {}): Promise<{ total: number; items: Suppression[] }> {
  const args = parseInput(listSuppressionsSchema, input ?? {});
  let query = ctx.db.selectFrom('suppressions');
  if (args.search) {
    // Typed characters are searched for: `%`, `_` and `\` are escaped, and LIKE is told the escape.
    const pattern = `%${args.search.toLowerCase().replace(/[%_\\]/g, '\\$&')}%`;
    query = query.where('suppressions.email_norm', 'like', sql<string>`${pattern} escape '\\'`);
  }
  const total = await query.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  const rows = await query
    .leftJoin('messages', 'messages.id', 'suppressions.source_message_id')
    .leftJoin('campaigns', 'campaigns.id', 'messages.campaign_id')
    .selectAll('suppressions')
    .select(['campaigns.id as campaign_id', 'campaigns.name as campaign_name'])
    .orderBy('suppressions.created_at', 'desc')
    .offset(args.offset ?? 0)
    .limit(args.limit ?? 100)
    .execute();
  return { total: Number(total.n), items: rows.map(toSuppression) };
}

function toSuppression(r: {
  email: string;
  reason: Suppression['reason'];
  detail: string | null;
  created_at: number;
  source_account: string | null;
  campaign_id?: number | null;
  campaign_name?: string | null;
}): Suppression {
  return {
    email: r.email,
    reason: r.reason,
    ...(r.detail ? { detail: r.detail } : {}),
    createdAt: iso(r.created_at)!,
    // Where it came from: a notice or request in this account's mailbox, about a message of this campaign.
    ...(r.source_account
      ? {
          source: {
            account: r.source_account,
            ...(r.campaign_id != null ? { campaignId: r.campaign_id, campaignName: r.campaign_name ?? '' } : {}),
          },
        }
      : {}),
  };
}

/** From now on the address is never sent to; queued messages to it are skipped when their turn comes. */
export async function addSuppression(ctx: EngineContext, input: unknown): Promise<Suppression> {
  const args = parseInput(addSuppressionSchema, input);
  const checked = checkAddress(args.email);
  // A malformed address can still be suppressed (it is what the user has); only empty input is refused.
  const email = checked.ok ? checked.email : args.email.trim();
  if (!email) throw new EngineError('invalid_input', 'email: Enter the address to suppress.', { field: 'email' });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a line break or other control character means more than one address was pasted
  if (/[\s\u0000-\u001f\u007f]/.test(email)) {
    throw new EngineError('invalid_input', 'email: The address has a space or line break in it: enter one address.', { field: 'email' });
  }
  const now = ctx.clock.now();
  await ctx.db
    .insertInto('suppressions')
    .values({ email_norm: email.toLowerCase(), email, reason: args.reason ?? 'manual', detail: args.detail ?? null, created_at: now })
    .onConflict((oc) => oc.column('email_norm').doNothing())
    .execute();
  const row = await ctx.db.selectFrom('suppressions').selectAll().where('email_norm', '=', email.toLowerCase()).executeTakeFirstOrThrow();
  return toSuppression(row);
}

/**
 * Adds many addresses at once (a pasted list, or a CSV such as another tool's unsubscribes),
 * checked as a campaign import checks them: the report says how many were added, how many
 * were on the list already, and each invalid row with its reason. Rows count from 1 in a list
 * and as a spreadsheet numbers them in a file.
 */
export async function addSuppressions(ctx: EngineContext, input: unknown): Promise<SuppressionImportReport> {
  const args = parseInput(addSuppressionsSchema, input);
  const read = args.csv !== undefined ? readAddressFile(args.csv) : recipientsFromList(args.emails!.map((email) => ({ email })));
  const now = ctx.clock.now();
  const reason = args.reason ?? 'manual';
  let added = 0;
  const slicer = new TimeSlicer();
  for (let k = 0; k < read.recipients.length; k += INSERT_ROWS) {
    const chunk = read.recipients.slice(k, k + INSERT_ROWS);
    const result = await ctx.db
      .insertInto('suppressions')
      .values(chunk.map((r) => ({ email_norm: r.email.toLowerCase(), email: r.email, reason, detail: null, created_at: now })))
      .onConflict((oc) => oc.column('email_norm').doNothing())
      .executeTakeFirst();
    added += Number(result.numInsertedOrUpdatedRows ?? 0);
    await slicer.maybeYield();
  }
  ctx.log.info('suppressions added', { added });
  return {
    added,
    alreadySuppressed: read.recipients.length - added,
    duplicates: read.duplicates.length,
    invalid: read.invalid,
  };
}

/** Addresses from a file: by its email column, or, if its first line is an address, one per line. */
function readAddressFile(csv: string): CsvImportResult {
  try {
    const firstLine =
      csv
        .replace(/^\uFEFF/, '')
        .trimStart()
        .split(/\r\n|\n|\r/, 1)[0] ?? '';
    const firstCell =
      firstLine
        .split(/[,;\t]/, 1)[0]
        ?.trim()
        .replace(/^"|"$/g, '') ?? '';
    if (!checkAddress(firstCell).ok) return parseRecipientsCsv(csv);
    // No header: the first cell of each line is the address. Rows are the file's own numbers.
    const lines = csv.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
    const list = lines.map((line) => ({
      email:
        line
          .split(/[,;\t]/, 1)[0]
          ?.trim()
          .replace(/^"|"$/g, '') ?? '',
    }));
    const read = recipientsFromList(list);
    // Blank lines are rows too, but nobody wants them reported.
    return { ...read, invalid: read.invalid.filter((r) => r.value !== '') };
  } catch (error) {
    if (error instanceof CsvImportError) {
      throw new EngineError('csv_invalid', error.message, error.row !== undefined ? { row: error.row } : undefined);
    }
    throw error;
  }
}

/** Rows per INSERT: 5 parameters each. */
const INSERT_ROWS = 500;

export async function removeSuppression(ctx: EngineContext, input: unknown): Promise<{ removed: boolean }> {
  const args = parseInput(removeSuppressionSchema, input);
  const result = await ctx.db.deleteFrom('suppressions').where('email_norm', '=', args.email.trim().toLowerCase()).executeTakeFirst();
  return { removed: Number(result.numDeletedRows) > 0 };
}
