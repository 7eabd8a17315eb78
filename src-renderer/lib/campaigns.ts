/** What the pages say about a campaign's numbers. */
import type { Campaign } from '../../src-shared/views/campaigns';

/** Who the campaign will reach: everyone imported but the skipped rows. */
export function reachable(c: Campaign): number {
  return c.total - c.counts.skipped;
}
