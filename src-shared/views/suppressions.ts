import type { SuppressionReason } from '../states';

export interface Suppression {
  email: string;
  reason: SuppressionReason;
  detail?: string;
  createdAt: string;
  /** Where it came from, when Trickle added it from a mailbox: the account, and the campaign whose message was answered or bounced. */
  source?: { account: string; campaignId?: number; campaignName?: string };
}

/** What a bulk addition did, in a campaign import's words. */
export interface SuppressionImportReport {
  added: number;
  /** Valid addresses that were on the list already (left as they were). */
  alreadySuppressed: number;
  /** Rows repeating an address given earlier in the same list. */
  duplicates: number;
  invalid: { row: number; value: string; reason: string }[];
}
