/**
 * What one page hands to the next within this window's session, across a hash navigation:
 * the import report of a campaign just created, and the "Queued 1,234 emails" line.
 */
import type { ImportReport } from '../../src-shared/views/campaigns';

export const importReports = new Map<number, ImportReport>();
export const queuedMessages = new Map<number, string>();
