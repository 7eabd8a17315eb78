import { TimeSlicer } from '../core/time-slice';
import type { Db } from '../db/schema';
import { storageProblem } from '../db/storage-errors';
import { NOT_YET_SENT, setMessagesStatus } from './campaign-recipients';
import { discardStagedCampaign } from './import-storage';

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
