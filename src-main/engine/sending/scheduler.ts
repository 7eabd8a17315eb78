import { Cron } from 'croner';
import type { EngineLogger } from '../context';
import type { Settings } from '../../../src-shared/views/settings';

export interface SchedulerJobs {
  /** One batch. Croner's `protect` keeps two from ever overlapping. */
  batch(): Promise<void>;
  /** The retry job. */
  retry(): Promise<void>;
  /** A look at every watched mailbox (PRODUCT.md §5b): its own job, never in a batch's way. */
  inbox(): Promise<void>;
}

/**
 * The Croner jobs: batches every `batchIntervalSeconds`, retries every `retryIntervalSeconds`,
 * mailbox looks every `inboxCheckSeconds`. A job that is still running when its next time comes is skipped,
 * not stacked; after the computer sleeps, Croner runs the next due time once, never the
 * missed ones, so waking up sends one batch rather than a burst.
 */
export class Scheduler {
  private batchJob: Cron | undefined;
  private retryJob: Cron | undefined;
  private inboxJob: Cron | undefined;

  constructor(
    private readonly jobs: SchedulerJobs,
    private readonly log: EngineLogger,
  ) {}

  start(settings: Pick<Settings, 'batchIntervalSeconds' | 'retryIntervalSeconds' | 'inboxCheckSeconds'>): void {
    this.stop();
    this.batchJob = this.every(settings.batchIntervalSeconds, 'batch', () => this.jobs.batch());
    this.retryJob = this.every(settings.retryIntervalSeconds, 'retry', () => this.jobs.retry());
    this.inboxJob = this.every(settings.inboxCheckSeconds, 'inbox', () => this.jobs.inbox());
  }

  stop(): void {
    this.batchJob?.stop();
    this.retryJob?.stop();
    this.inboxJob?.stop();
    this.batchJob = this.retryJob = this.inboxJob = undefined;
  }

  get running(): boolean {
    return this.batchJob !== undefined;
  }

  batchBusy(): boolean {
    return this.batchJob?.isBusy() ?? false;
  }

  nextBatchAt(): Date | null {
    return this.batchJob?.nextRun() ?? null;
  }

  nextRetryAt(): Date | null {
    return this.retryJob?.nextRun() ?? null;
  }

  private every(seconds: number, name: string, run: () => Promise<void>): Cron {
    // Every second, at least `seconds` apart: any interval from 1 s up, not only divisors of 60.
    // No Croner `name`: names are global to the process, and two engines may run in one (one
    // taking over from another that has not yet noticed, in tests).
    return new Cron(
      '* * * * * *',
      {
        interval: seconds,
        protect: true,
        catch: (error) => this.log.error(`${name} job failed`, { error: String(error) }),
      },
      run,
    );
  }
}
