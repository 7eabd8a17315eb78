import { sql } from 'kysely';
import type { EngineContext } from '../context';
import { parseInput } from '../core/validation';
import { countMessages, countReplies } from '../db/message-counts';
import type { Campaign, Message } from '../../../src-shared/views/campaigns';
import { campaignAttachments } from './attachments';
import { campaignIdSchema, listCampaignsSchema, listMessagesSchema } from './campaign-schemas';
import { campaignRow } from './campaign-state';
import { shownCounts, storedStatus, toCampaign, toMessage } from './campaign-views';
import { campaignEta, campaignEtas } from './eta';

// Reading campaigns and their messages, as the window lists and shows them.

/** Newest first; archived ones only when asked for (`includeArchived`). */
export async function listCampaigns(ctx: EngineContext, input: unknown = {}): Promise<Campaign[]> {
  const args = parseInput(listCampaignsSchema, input ?? {});
  let query = ctx.db.selectFrom('campaigns').selectAll().where('importing', '=', 0);
  if (!args.includeArchived) query = query.where('archived_at', 'is', null);
  const rows = await query.orderBy('id', 'desc').execute();
  const etas = await campaignEtas(ctx);
  return Promise.all(
    rows.map(async (row) =>
      toCampaign(
        row,
        await countMessages(ctx.db, row.id),
        await countReplies(ctx.db, row.id),
        etas.get(row.id),
        await campaignAttachments(ctx, row.id),
        ctx.rehearsals.fileOf(row.id),
      ),
    ),
  );
}

export async function getCampaign(ctx: EngineContext, input: unknown): Promise<Campaign> {
  const { id } = parseInput(campaignIdSchema, input);
  const row = await campaignRow(ctx.db, id);
  const eta = await campaignEta(ctx, id);
  return toCampaign(
    row,
    await countMessages(ctx.db, id),
    await countReplies(ctx.db, id),
    eta,
    await campaignAttachments(ctx, id),
    ctx.rehearsals.fileOf(id),
  );
}

export async function listMessages(ctx: EngineContext, input: unknown): Promise<{ total: number; items: Message[] }> {
  const args = parseInput(listMessagesSchema, input);
  const campaign = await campaignRow(ctx.db, args.id);
  let query = ctx.db.selectFrom('messages').where('campaign_id', '=', args.id);
  if (args.status) {
    // A draft's recipients are stored queued and shown as pending (campaign-views.ts).
    const stored = storedStatus(campaign.status, args.status);
    if (stored === undefined) return { total: 0, items: [] };
    query = query.where('status', '=', stored);
  }
  // Marked by what came back: each mark has a partial index of the messages carrying it.
  if (args.mark) query = query.where(MARK_COLUMN[args.mark], 'is not', null);
  if (args.row !== undefined) query = query.where('row', '=', args.row);
  if (args.search) {
    const pattern = `%${args.search.toLowerCase().replace(/[%_\\]/g, '\\$&')}%`;
    query = query.where((eb) =>
      eb.or([
        eb('email_norm', 'like', sql<string>`${pattern} escape '\\'`),
        eb(sql`lower(coalesce(name, ''))`, 'like', sql<string>`${pattern} escape '\\'`),
      ]),
    );
  }
  let total: number;
  if (args.search || args.row !== undefined || args.mark) {
    // Counted, not read from the counters: a search looks through one campaign's rows, a mark through its index.
    total = Number((await query.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
  } else {
    const counts = shownCounts(campaign.status, await countMessages(ctx.db, args.id));
    total = args.status ? counts[args.status] : Object.values(counts).reduce((a, b) => a + b, 0);
  }
  const rows = await query
    .selectAll()
    .orderBy('id')
    .offset(args.offset ?? 0)
    .limit(args.limit ?? 100)
    .execute();
  return { total, items: rows.map((row) => toMessage(campaign.status, row)) };
}

const MARK_COLUMN = { replied: 'replied_at', auto_replied: 'auto_replied_at', unsubscribed: 'unsubscribed_at' } as const;
