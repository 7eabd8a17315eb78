import { sql } from 'kysely';
import { z } from 'zod';
import { normalizeFieldName } from '../../../src-shared/field-names';
import type { EngineContext } from '../context';
import { parseInput } from '../core/validation';
import { MESSAGE_STATUSES } from '../db/schema';
import { campaignRow } from './campaign-state';
import { storedStatus, toMessage } from './campaign-views';

export const EXPORT_DELIMITERS = [',', ';', '\t'] as const;

export const exportSchema = z
  .object({
    id: z.int().positive(),
    /** Only the messages in this state ("failed" for the ones to try again). */
    status: z.enum(MESSAGE_STATUSES).optional(),
    /** The separator; by default the one of the file the recipients came from (else a comma). */
    delimiter: z.enum(EXPORT_DELIMITERS).optional(),
    /** The user's zone (IANA, such as Europe/Berlin) for the local-time column; UTC only without it. */
    timeZone: z.string().max(100).refine(isTimeZone, 'Give a time zone such as Europe/Berlin (as the system names it).').optional(),
  })
  .strict();

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The results columns after the recipient's own (its address and every merge column). */
const RESULT_COLUMNS = [
  'status',
  'attempts',
  'sent_at_utc',
  'account',
  'message_id',
  'error_code',
  'server_reply',
  'explanation',
  'skip_reason',
  // What came back in the mailbox (PRODUCT.md §5b).
  'bounce_status',
  'bounce_reply',
  'bounce_explanation',
  'bounced_at_utc',
  'replied_at_utc',
  'auto_replied_at_utc',
  'unsubscribed_at_utc',
];

/**
 * The campaign's results as CSV that a spreadsheet opens cleanly, one row per recipient (or
 * per recipient in one state): UTF-8 with a byte-order mark (else Excel garbles "—"), split by
 * the import's separator (or the one asked for), each recipient's address and every merge
 * column as imported — so a filtered export imports again as it is — then the outcome, with the
 * send time in the user's zone beside UTC. Cells that a spreadsheet would run as a formula
 * (= + - @, tab, CR) are prefixed with an apostrophe, and so is such a character after a
 * separator or line break inside a cell.
 */
export async function exportResults(ctx: EngineContext, input: unknown): Promise<{ filename: string; csv: string; delimiter: string }> {
  const args = parseInput(exportSchema, input);
  const campaign = await campaignRow(ctx.db, args.id);
  const delimiter = args.delimiter ?? campaign.csv_delimiter ?? ',';
  const accounts = new Map((await ctx.db.selectFrom('accounts').select(['id', 'email']).execute()).map((a) => [a.id, a.email] as const));
  const fields = JSON.parse(campaign.fields) as string[];
  const local = args.timeZone ? localTime(args.timeZone) : undefined;
  const results = [
    'row',
    ...RESULT_COLUMNS.slice(0, 3),
    ...(local ? [`sent_at_local (${args.timeZone})`] : []),
    ...RESULT_COLUMNS.slice(3),
  ];
  // A result column named like one of the list's gets a prefix: re-imported, each stays its own.
  const taken = new Set(['email', ...fields]);
  const resultHeader = results.map((c) => (taken.has(normalizeFieldName(c)) ? `trickle_${c}` : c));
  const header = [resultHeader[0]!, 'email', ...fields, ...resultHeader.slice(1)];
  const line = (cells: string[]) => cells.map((v) => delimitedCell(v, delimiter)).join(delimiter);
  const lines = [line(header)];
  let query = ctx.db.selectFrom('messages').selectAll().where('campaign_id', '=', args.id);
  if (args.status) {
    // A draft's recipients are stored queued and shown as pending (campaign-views.ts).
    const stored = storedStatus(campaign.status, args.status);
    query = stored === undefined ? query.where(sql<boolean>`0`) : query.where('status', '=', stored);
  }
  const rows = await query.orderBy('id').execute();
  for (const row of rows) {
    const m = toMessage(campaign.status, row);
    const values = JSON.parse(row.fields) as Record<string, string>;
    lines.push(
      line([
        String(m.row),
        m.email,
        ...fields.map((f) => (Object.hasOwn(values, f) ? (values[f] ?? '') : '')),
        m.status,
        String(m.attempts),
        row.sent_at != null ? utcTime.format(row.sent_at).replace(',', '') : '',
        ...(local ? [row.sent_at != null ? local.format(row.sent_at).replace(',', '') : ''] : []),
        m.accountId ? (accounts.get(m.accountId) ?? '') : '',
        m.messageId ?? '',
        m.lastError?.code ?? '',
        m.lastError?.response ?? '',
        m.lastError?.explanation ?? '',
        m.skipReason ?? '',
        m.bounce?.status ?? '',
        m.bounce?.diagnostic ?? '',
        m.bounce?.explanation ?? '',
        m.bounce ? utcTime.format(Date.parse(m.bounce.at)).replace(',', '') : '',
        m.repliedAt ? utcTime.format(Date.parse(m.repliedAt)).replace(',', '') : '',
        m.autoRepliedAt ? utcTime.format(Date.parse(m.autoRepliedAt)).replace(',', '') : '',
        m.unsubscribedAt ? utcTime.format(Date.parse(m.unsubscribedAt)).replace(',', '') : '',
      ]),
    );
  }
  const safeName =
    campaign.name
      .replace(/[^\p{L}\p{N} _-]+/gu, '')
      .trim()
      .slice(0, 60) || `campaign-${args.id}`;
  return {
    // A rehearsal says so in its name; its rows say `rehearsed`, never `sent`.
    filename: `${safeName}${campaign.rehearsal ? ' rehearsal' : ''} ${args.status ?? 'results'}.csv`,
    csv: `\uFEFF${lines.join('\r\n')}\r\n`,
    delimiter,
  };
}

/** "2026-12-04 18:16:35": a form every spreadsheet reads as a date and time. */
function localTime(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
}
const utcTime = localTime('UTC');

// A spreadsheet set to another list separator (`;` in much of Europe) or a text import that
// splits at tabs or line breaks starts a new cell inside ours: what follows such a break is
// neutralised too, not only the cell's start. (Spaces between, but not the breaks themselves,
// so the scan stays linear on long runs of line breaks.)
const FORMULA_AFTER_BREAK = /([,;\t\r\n"][^\S\t\r\n]*)(?=[=+\-@])/g;
const FORMULA_AT_START = /^\s*[=+\-@]|^[\t\r]/;

export function csvCell(value: string): string {
  return delimitedCell(value, ',');
}

/** One cell for a file split at `delimiter`: quoted when it holds it (or a quote or line break). */
export function delimitedCell(value: string, delimiter: string): string {
  const inner = value.replace(FORMULA_AFTER_BREAK, "$1'");
  const neutral = FORMULA_AT_START.test(inner) ? `'${inner}` : inner;
  return /[",\r\n]/.test(neutral) || neutral.includes(delimiter) ? `"${neutral.replace(/"/g, '""')}"` : neutral;
}
