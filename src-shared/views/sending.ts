import type { CampaignStatus } from '../states';
import type { MessageCounts } from './campaigns';

/** What a batch did with the messages it claimed. */
export interface BatchCounts {
  claimed: number;
  sent: number;
  failed: number;
  retrying: number;
  inDoubt: number;
  requeued: number;
  skipped: number;
  /** Their campaign was cancelled while the batch ran. */
  cancelled: number;
  /** A rehearsal's messages, written to its log (never sent). */
  rehearsed: number;
}

export interface BatchInfo extends BatchCounts {
  id: number;
  startedAt: string;
  finishedAt?: string;
  remaining?: number;
  /** "Batch: 10 sent, 0 failed, 234 left" */
  summary: string;
}

/**
 * What sending is doing, in one word:
 *  - `sending`: a batch is running, or the next one will send something;
 *  - `waiting`: messages wait, but capacity, an account's state, a start time or a retry holds
 *    them until `resumesAt` (no countdown then);
 *  - `paused`: nothing can go because of pauses (the global one, or every campaign with
 *    messages left is paused);
 *  - `idle`: nothing left to send.
 * (The window adds "disconnected" when it lost the server.)
 */
export type SendingState = 'idle' | 'sending' | 'waiting' | 'paused';

/** One campaign's progress, as every view of it shows it. */
export interface CampaignProgress {
  id: number;
  name: string;
  status: CampaignStatus;
  rehearsal: boolean;
  statusDetail?: string;
  counts: MessageCounts;
  total: number;
  /**
   * The bar: messages that reached an outcome of their own (sent, rehearsed, failed, in doubt…)
   * of the messages to send (all but the skipped rows). A cancelled or expired message is not
   * progress: a campaign cancelled before anything went out is at 0 %.
   */
  done: number;
  of: number;
  /** Whole percent of `done` in `of`, 100 only when all are done. */
  percent: number;
  /** Still to go: queued, being sent, waiting to be retried. */
  left: number;
  /** When its last message should have gone out (the forecast). */
  eta?: string;
  /** Why it is not sending now although it has messages left, and until when. */
  waiting?: Waiting;
}

/** Why something waits, in words without a time, and until when (to be written in the user's own format). */
export interface Waiting {
  reason: string;
  until?: string;
}

/**
 * The status line's one truth: every number the top bar, the Progress page, a campaign's page
 * and the tray show, read in one transaction, so they always agree.
 */
export interface SendingStatus {
  /** When this was read. */
  at: string;
  state: SendingState;
  /** The global pause is on. */
  paused: boolean;
  queued: number;
  inFlight: number;
  retryWaiting: number;
  /** Sends that went out in the last 24 hours (campaign and test sends, all accounts). */
  sentLast24h: number;
  capacityLeft: number;
  /** The daily caps of the accounts that can send, together. */
  dailyCapacity: number;
  /** Only while `sending`: when the next batch starts. */
  nextBatchAt?: string;
  /**
   * Why nothing is going out although messages wait, in words, with the time in words too
   * ("All accounts at their daily cap — next slot tomorrow at 15:59."): for scripts and logs.
   */
  waitingReason?: string;
  /** When sending can resume by itself, if it is waiting for time to pass. */
  resumesAt?: string;
  /** The same, structured: the reason without a time, and until when. The window and tray show this. */
  waiting?: Waiting;
  /** When everything queued should have gone out: the forecast from the measured pace, the caps and the cadence. */
  eta?: string;
  lastBatch?: BatchInfo;
  /** Every campaign (drafts included), newest first. */
  campaigns: CampaignProgress[];
  /** Accounts that need the user (a new app password). */
  accountsNeedingAttention: number;
}

/** What the Queue dialog says before the user queues: when it will be done at the accounts' capacity. */
export interface Forecast {
  campaignId: number;
  /** When the forecast was made (the run it simulates starts then). */
  at: string;
  rehearsal: boolean;
  /** Messages this campaign will send (a draft: its pending recipients). */
  messages: number;
  /** When its first message would go. */
  startsAt?: string;
  /** When its last message would go; absent when no account can send it. */
  finishAt?: string;
  /** The end of today (local time of the machine Trickle runs on). */
  endOfToday: string;
  /** It finishes after today. */
  pastToday: boolean;
  /** How many of its messages go before the end of today. */
  today: number;
  /** Sends the accounts have left before the end of today (their caps, rolling windows freeing). */
  sendsLeftToday: number;
  /** Campaigns that send first (queued before it), with their messages left. */
  ahead: { id: number; name: string; left: number }[];
  /** Messages its stop time would expire unsent. */
  expiring: number;
  /** The global pause is on: nothing goes until it is resumed (the times assume it is resumed now). */
  paused: boolean;
  /** Why it cannot finish, when `finishAt` is absent. */
  reason?: string;
}
