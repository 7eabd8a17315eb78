import { sql, type RawBuilder } from 'kysely';
import { EngineError } from '../core/errors';
import type { TimeSlicer } from '../core/time-slice';
import type { CampaignRow, Db, MessageStatus } from '../db/schema';
import { describeUnknownFields, unknownMergeFields } from '../../../src-shared/merge-fields';
import { forEachIdRange } from './campaign-recipients';
import { INVISIBLE_CHARACTERS, templateFields } from './merge';

// The merge fields checked before a campaign sends (queue, resume, an edit while paused): each
// names a column, and each used without a default has a value for every recipient left.

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
