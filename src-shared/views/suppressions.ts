import type { SuppressionReason } from '../states';

export interface Suppression {
  email: string;
  reason: SuppressionReason;
  detail?: string;
  createdAt: string;
  /** Where it came from, when Trickle added it from a mailbox: the account, and the campaign whose message was answered or bounced. */
  source?: { account: string; campaignId?: number; campaignName?: string };
}
