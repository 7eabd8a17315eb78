export interface BatchInfo {
  id: number;
  startedAt: string;
  finishedAt?: string;
  claimed: number;
  sent: number;
  failed: number;
  retrying: number;
  inDoubt: number;
  requeued: number;
  skipped: number;
  /** Their campaign was cancelled while the batch ran. */
  cancelled: number;
  remaining?: number;
  /** "Batch: 10 sent, 0 failed, 234 left" */
  summary: string;
}

export interface SendingStatus {
  paused: boolean;
  queued: number;
  inFlight: number;
  retryWaiting: number;
  sentLast24h: number;
  capacityLeft: number;
  nextBatchAt?: string;
  /** Why nothing is going out although messages wait, in words. */
  waitingReason?: string;
  /** When sending can resume by itself, if it is waiting for time to pass. */
  resumesAt?: string;
  /** When everything queued should have gone out, at the current caps and cadence. */
  eta?: string;
  lastBatch?: BatchInfo;
}
