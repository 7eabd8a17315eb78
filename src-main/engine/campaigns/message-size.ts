import { sql } from 'kysely';
import { forEachIdRange } from './campaign-recipients';
import { MAX_MESSAGE_BYTES, megabytes, messageBytes, renderMessage } from './compose';
import type { Db } from '../db/schema';
import type { CampaignRow, MessageStatus } from '../db/schema';
import { EngineError } from '../core/errors';
import { fieldUses, MergeError, templateFields } from './merge';
import type { TimeSlicer } from '../core/time-slice';

/**
 * Refuses to queue (or resume) a campaign whose largest message would be over Gmail's limit:
 * Gmail would refuse it (552 5.3.4), after it had crossed the network whole. The largest is
 * the recipient whose merge values, weighted by how often the templates use them, take the
 * most bytes: found a range of ids at a time, then rendered and measured. (HTML escaping can
 * make another one a little larger still: the send path measures every message before it
 * goes, and never hands over one that is too big.)
 */
export async function checkMessageSize(
  db: Db,
  campaign: Pick<CampaignRow, 'id' | 'subject' | 'html' | 'text' | 'from_name' | 'reply_to' | 'attachments'>,
  attachmentBytes: number,
  slicer: TimeSlicer,
  statuses: MessageStatus[] = ['queued'],
): Promise<void> {
  const heaviest = await heaviestRecipient(db, campaign, slicer, statuses);
  if (heaviest === undefined) return;
  const message = await db
    .selectFrom('messages')
    .select(['row', 'email', 'name', 'fields', 'message_id'])
    .where('id', '=', heaviest)
    .executeTakeFirstOrThrow();
  let bytes: number;
  try {
    // The sender's name and address are not known yet; a placeholder of Gmail's longest.
    bytes = messageBytes(renderMessage(campaign, message, { email: `${'x'.repeat(64)}@gmail.com`, fromName: '' }), attachmentBytes);
  } catch (error) {
    if (error instanceof MergeError) return; // checkMergeFields says so, in its words
    throw error;
  }
  if (bytes <= MAX_MESSAGE_BYTES) return;
  const whose =
    templateFields(campaign.subject, campaign.html, campaign.text).length > 0 ? ` for row ${message.row} (${message.email})` : '';
  throw new EngineError(
    'message_too_big',
    `The message${whose} would be ${megabytes(bytes)}; Gmail accepts ${megabytes(MAX_MESSAGE_BYTES).replace('.0', '')} per message, body, merge fields and attachments together. Shorten the body or the longest merge values, or share the attachments by link, then try again.`,
    { row: message.row, bytes },
  );
}

/** The message (by id) whose merge values weigh most, among those in `statuses`. */
async function heaviestRecipient(
  db: Db,
  campaign: Pick<CampaignRow, 'id' | 'subject' | 'html' | 'text'>,
  slicer: TimeSlicer,
  statuses: MessageStatus[],
): Promise<number | undefined> {
  const uses = fieldUses(campaign.subject, campaign.html, campaign.text);
  uses.delete('email'); // the same few bytes for everyone
  const weights = [...uses].map(([name, times]) =>
    name === 'name'
      ? sql<number>`${times} * (octet_length(coalesce(name, '')) + coalesce(octet_length(json_extract(fields, ${'$."name"'})), 0))`
      : sql<number>`${times} * coalesce(octet_length(json_extract(fields, ${`$."${name}"`})), 0)`,
  );
  if (weights.length === 0) {
    const first = await db
      .selectFrom('messages')
      .select('id')
      .where('campaign_id', '=', campaign.id)
      .where('status', 'in', statuses)
      .limit(1)
      .executeTakeFirst();
    return first?.id;
  }
  const weight = sql.join(weights, sql` + `);
  let best: { id: number; weight: number } | undefined;
  await forEachIdRange(db, campaign.id, slicer, async (from, to) => {
    const row = await db
      .selectFrom('messages')
      .select(['id', weight.as('weight')])
      .where('campaign_id', '=', campaign.id)
      .where('status', 'in', statuses)
      .where('id', '>=', from)
      .where('id', '<', to)
      .orderBy('weight', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row && (best === undefined || Number(row.weight) > best.weight)) best = { id: row.id, weight: Number(row.weight) };
  });
  return best?.id;
}
