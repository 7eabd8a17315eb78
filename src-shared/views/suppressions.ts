import type { SuppressionReason } from '../states';

export interface Suppression {
  email: string;
  reason: SuppressionReason;
  detail?: string;
  createdAt: string;
}
