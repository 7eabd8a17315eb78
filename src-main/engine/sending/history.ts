import { sql } from 'kysely';
import { z } from 'zod';
import { HOUR } from '../core/clock';
import type { EngineContext } from '../context';
import { parseInput } from '../core/validation';
import type { BatchInfo } from '../../../src-shared/views/sending';
import { toBatchInfo } from './batch-info';

export const sendHistorySchema = z
  .object({
    hours: z
      .int()
      .min(1)
      .max(24 * 14)
      .optional(),
  })
  .strict();

/** Sends per hour (campaign and test sends, all accounts) for the last `hours` hours, oldest first. */
export async function sendsPerHour(ctx: EngineContext, input: unknown = {}): Promise<{ hour: string; sent: number }[]> {
  const { hours = 24 } = parseInput(sendHistorySchema, input ?? {});
  const now = ctx.clock.now();
  const end = Math.floor(now / HOUR) * HOUR + HOUR;
  const start = end - hours * HOUR;
  const rows = await ctx.db
    .selectFrom('send_log')
    .select([sql<number>`cast((sent_at - ${start}) / ${HOUR} as integer)`.as('bucket'), sql<number>`count(*)`.as('n')])
    .where('sent_at', '>=', start)
    .where('sent_at', '<', end)
    // A claimed message's row exists before it is sent; only finished sends count here.
    .where((eb) =>
      eb.or([
        eb('message_id', 'is', null),
        eb('message_id', 'not in', eb.selectFrom('messages').select('id').where('status', '=', 'sending')),
      ]),
    )
    .groupBy('bucket')
    .execute();
  const counts = new Map(rows.map((r) => [Number(r.bucket), Number(r.n)]));
  return Array.from({ length: hours }, (_, i) => ({ hour: new Date(start + i * HOUR).toISOString(), sent: counts.get(i) ?? 0 }));
}

export const listBatchesSchema = z.object({ limit: z.int().min(1).max(500).optional() }).strict();

/** The last batches (20 unless `limit` says), newest first, as the API shows them. */
export async function listBatches(ctx: EngineContext, input: unknown = {}): Promise<BatchInfo[]> {
  const { limit } = parseInput(listBatchesSchema, input ?? {});
  const rows = await ctx.db
    .selectFrom('batches')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(limit ?? 20)
    .execute();
  return rows.map(toBatchInfo);
}
