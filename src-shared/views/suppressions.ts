import type { SuppressionReason } from '../states';

export interface Suppression {
  email: string;
  reason: SuppressionReason;
  detail?: string;
  createdAt: string;
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
