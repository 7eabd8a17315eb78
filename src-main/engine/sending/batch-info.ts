import { iso } from '../core/clock';
import type { BatchInfo } from '../../../src-shared/views/sending';

/** A batch's row as the API shows it, with its summary in words. */
export function toBatchInfo(row: {
  id: number;
  started_at: number;
  finished_at: number | null;
  claimed: number;
  sent: number;
  failed: number;
  retrying: number;
  in_doubt: number;
  requeued: number;
  skipped: number;
  cancelled: number;
  rehearsed?: number;
  remaining: number | null;
  /** Set when recovery closed a batch a crash interrupted. */
  note?: string | null;
}): BatchInfo {
  const failed = row.failed + row.in_doubt;
  const finishedAt = iso(row.finished_at);
  const rehearsed = row.rehearsed ?? 0;
  return {
    id: row.id,
    startedAt: iso(row.started_at)!,
    ...(finishedAt ? { finishedAt } : {}),
    claimed: row.claimed,
    sent: row.sent,
    failed: row.failed,
    retrying: row.retrying,
    inDoubt: row.in_doubt,
    requeued: row.requeued,
    skipped: row.skipped,
    cancelled: row.cancelled,
    rehearsed,
    ...(row.remaining != null ? { remaining: row.remaining } : {}),
    summary: `Batch: ${row.sent} sent${rehearsed ? `, ${rehearsed} rehearsed` : ''}, ${failed} failed${row.retrying ? `, ${row.retrying} to retry` : ''}${row.cancelled ? `, ${row.cancelled} cancelled` : ''}, ${(row.remaining ?? 0).toLocaleString('en-US')} left${row.note ? ` (${row.note})` : ''}`,
  };
}
