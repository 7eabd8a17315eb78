import type { MessageStatus } from './states';

/** What the UI subscribes to. Payloads are small: a listener refetches what it shows. */
export interface EngineEvents {
  /** Sending status changed: paused/resumed, waiting reason, next batch time. */
  status: [];
  /** One message reached an outcome. */
  message: [{ messageId: number; campaignId: number; status: MessageStatus; accountId: number | null }];
  /** A batch finished. */
  batch: [{ batchId: number; sent: number; failed: number; remaining: number }];
  /** An account's state changed (cooling, limit reached, needs a new password, ok again). */
  account: [{ accountId: number; state: string; explanation?: string }];
  /** A campaign's status changed (queued, paused, completed…). */
  campaign: [{ campaignId: number; status: string; detail?: string }];
  /** An account's mailbox was looked at (PRODUCT.md §5b): how it went. */
  inbox: [{ accountId: number; state: string; detail?: string }];
  /** A campaign's bounces passed 5 % of what it sent (once per campaign). */
  bounces: [{ campaignId: number; name: string; bounced: number; out: number; percent: number }];
}

export type EngineEventName = keyof EngineEvents;

/** Every event the window can subscribe to, over IPC or Server-Sent Events. */
export const EVENT_NAMES = [
  'status',
  'message',
  'batch',
  'account',
  'campaign',
  'inbox',
  'bounces',
] as const satisfies readonly EngineEventName[];
