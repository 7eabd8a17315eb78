/** The scheduler's knobs, as the engine keeps them and the window shows them. */
export interface Settings {
  batchSize: number;
  batchIntervalSeconds: number;
  messageDelayMs: number;
  retryIntervalSeconds: number;
  maxRetries: number;
}
