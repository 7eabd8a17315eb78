/** The scheduler's knobs, as the engine keeps them and the window shows them. */
export interface Settings {
  batchSize: number;
  batchIntervalSeconds: number;
  messageDelayMs: number;
  retryIntervalSeconds: number;
  maxRetries: number;
  /** How often each watched account's mailbox is looked at (PRODUCT.md §5b). */
  inboxCheckSeconds: number;
  /** Settle in-doubt messages from Sent Mail: found → sent; missing long enough → queued again. */
  settleInDoubtFromSentMail: boolean;
  /** How long after its attempt an in-doubt message missing from Sent Mail goes back to the queue. */
  settleInDoubtAfterMinutes: number;
}
