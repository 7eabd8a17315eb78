import type { EngineContext } from '../context';
import type { Db } from '../db/schema';
import type { MessageStatus } from '../db/schema';
import { unsyncedTransaction } from '../db/wal-sync';
import type { Settings } from '../../../src-shared/views/settings';
import type { ClaimedMessage } from './claim';
import { type MessageOutcome, type RecordedOutcome, recordOutcomeIn, recordSentIn } from './outcomes';

/** Marks the message as handed to the server from now on: after a crash it is in doubt. */
export async function markSendStarted(db: Db, messageId: number, accountId: number, now: number): Promise<void> {
  await db
    .updateTable('messages')
    .set({ send_started_at: now, account_id: accountId, updated_at: now })
    .where('id', '=', messageId)
    .execute();
}

/** The same for several messages of a batch at once (their accounts were set by the claim). */
export async function markSendStartedMany(db: Db, messageIds: number[], now: number): Promise<void> {
  await db
    .updateTable('messages')
    .set({ send_started_at: now, updated_at: now })
    .where('id', 'in', messageIds)
    .where('status', '=', 'sending')
    .execute();
}

/** Takes back start marks of messages that were never handed over (the batch stopped first). */
export async function unmarkSendStarted(db: Db, messageIds: number[]): Promise<void> {
  await db.updateTable('messages').set({ send_started_at: null }).where('id', 'in', messageIds).where('status', '=', 'sending').execute();
}

/**
 * Start marks run ahead only while sends take less than this (a server on this machine or next
 * to it). Against a distant server such as Gmail a send takes far longer than a disk flush, so
 * each message is marked alone, just before it is handed over, and no mark runs ahead.
 * The engine's default for ctx.quickSendMs.
 */
export const QUICK_SEND_MS = 5;
/** Start marks committed together when running ahead. */
const MARKS_PER_COMMIT = 4;
/** The next marks are committed when this few marked messages are left ahead, so their flush is done in time. */
const MARKS_LEFT_BEFORE_NEXT = 2;

/**
 * Writes a batch's start marks and outcomes. A message's start mark (after a crash: in doubt)
 * is on disk before the message is handed over; its outcome is written as soon as it is known.
 * Every commit here is made without waiting for the disk and then flushed by WalSync in the
 * background, so the event loop (the window, the API) does not wait for a send's fsyncs (only
 * SQLite's periodic WAL checkpoint still syncs on it); the batch waits for the flush where the
 * promise needs it: before a handover, after an outcome.
 *
 * When messages follow at once (no pause), a `sent` outcome is held and committed with the
 * next start mark: one flush per message. Against a nearby server even that costs more than a
 * whole send, so when the sends are quick too (ctx.quickSendMs) the journal runs ahead: it
 * commits the start marks of the next few messages together (MARKS_PER_COMMIT), with the
 * outcomes held since, and they are flushed while the messages before them are being sent.
 * The price: a crash in that moment makes the few messages marked ahead of the one in hand in
 * doubt too (at most MARKS_PER_COMMIT + MARKS_LEFT_BEFORE_NEXT - 1, all due to go within a
 * millisecond or two); never lost, never re-sent silently. Any other outcome (a refusal, a
 * skip, a requeue) commits what is held, takes back the marks of messages not handed over,
 * and records itself.
 */
export class SendJournal {
  /** Sent, committed with the next marks (or at the end). */
  private held: { claimed: ClaimedMessage; at: number }[] = [];
  /** Messages claimed[0, markedThrough) have their start marks committed. */
  private markedThrough = 0;
  /** Messages claimed[0, handedOverThrough) have been handed over or settled. */
  private handedOverThrough = 0;
  /** By position in the batch: when the flush covering that message's mark is done. */
  private readonly marksOnDisk: Promise<void>[] = [];
  /** Something was committed whose flush nobody has waited for yet. */
  private unflushed = false;
  /** Real time (performance.now) of the last handover, and how long the last send took. */
  private handedOverAt = 0;
  private lastSendMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly ctx: EngineContext,
    private readonly settings: Settings,
    private readonly claimed: readonly ClaimedMessage[],
  ) {}

  /** Records an outcome, after what is held; returns once it is on disk. */
  async record(claimed: ClaimedMessage, outcome: MessageOutcome): Promise<MessageStatus> {
    const now = this.ctx.clock.now();
    const {
      held,
      sent,
      result: recorded,
    } = await this.commitPending((trx) => recordOutcomeIn(trx, now, claimed.id, outcome, this.settings.maxRetries));
    // Announced as committed: the event says what the database now says, flushed or not.
    this.announceSent(held, sent);
    this.announce(claimed, recorded);
    await this.flushed();
    return recorded.status;
  }

  /**
   * A message the server accepted. With a pause next, recorded at once; when the next message
   * follows at once, held and committed with the next start mark(s), which must reach the disk
   * before that message goes anyway (one flush for both). Held, it is `sending` with its mark:
   * a crash in that moment makes it in doubt (it did arrive), never lost or re-sent.
   */
  async sent(claimed: ClaimedMessage): Promise<MessageStatus> {
    this.lastSendMs = performance.now() - this.handedOverAt;
    if (this.settings.messageDelayMs > 0) return this.record(claimed, { kind: 'sent' });
    this.held.push({ claimed, at: this.ctx.clock.now() });
    return 'sent';
  }

  /**
   * Marks the message as started; returns once it may be handed to the connection, with the
   * promise its data must wait for (`onDisk`): the flush that covers its start mark. Running
   * ahead, that flush was started messages ago and is awaited here. A message marked alone
   * (sends that take longer than a flush, as Gmail's do) is handed over at once: its mark is
   * flushed while the connection sends the envelope, and only the message data waits for it
   * (Mailer.send's `dataMayGo`), so the disk's latency hides behind the server's.
   */
  async markStarted(position: number, accountId: number): Promise<{ onDisk: Promise<void> }> {
    if (this.runsAhead()) {
      if (position >= this.markedThrough) await this.commitMarks(position);
      else if (this.markedThrough - position <= MARKS_LEFT_BEFORE_NEXT) await this.commitMarks(this.markedThrough);
    }
    if (position < this.markedThrough) {
      await this.marksOnDisk[position];
      this.handedOver(position);
      return { onDisk: Promise.resolve() };
    }
    const now = this.ctx.clock.now();
    const { held, sent } = await this.commitPending((trx) => markSendStarted(trx, this.claimed[position]!.id, accountId, now));
    // Known as marked before the flush: if the flush fails, the error path takes the mark back.
    this.markedThrough = position + 1;
    this.announceSent(held, sent);
    const onDisk = this.flushed();
    this.handedOver(position);
    // A failed flush keeps the data back: the message is then known never to have left.
    onDisk.catch(() => {
      if (this.handedOverThrough === position + 1) this.handedOverThrough = position;
    });
    return { onDisk };
  }

  private handedOver(position: number): void {
    this.handedOverThrough = position + 1;
    this.handedOverAt = performance.now();
  }

  /** The batch's messages never handed over: if the batch is cut short, they provably never left. */
  notHandedOver(): number[] {
    return this.claimed.slice(this.handedOverThrough).map((c) => c.id);
  }

  /** Commits what is held, takes back marks of messages not handed over, and waits for the disk. */
  async flush(): Promise<void> {
    if (this.held.length > 0 || this.markedThrough > this.handedOverThrough) {
      const { held, sent } = await this.commitPending(async () => undefined);
      this.announceSent(held, sent);
      await this.flushed();
    }
    if (this.unflushed) await this.flushed();
  }

  private runsAhead(): boolean {
    return this.settings.messageDelayMs === 0 && this.lastSendMs < this.ctx.quickSendMs;
  }

  /**
   * One commit of `work` with what is held and the taking back of marks on messages not handed
   * over. Both are forgotten only once committed: if the commit fails, the batch's error path
   * tries them again (and if the database is gone, recovery settles the messages as in doubt).
   */
  private async commitPending<T>(work: (trx: Db) => Promise<T>) {
    const held = this.held;
    const unsent = this.claimed.slice(this.handedOverThrough, this.markedThrough).map((c) => c.id);
    const { sent, result } = await this.commit(async (trx) => {
      if (unsent.length > 0) await unmarkSendStarted(trx, unsent);
      return { sent: await recordSentIn(trx, held), result: await work(trx) };
    });
    this.held = this.held.slice(held.length);
    this.markedThrough = Math.min(this.markedThrough, this.handedOverThrough);
    return { held, sent, result };
  }

  private async commitMarks(from: number): Promise<void> {
    const held = this.held;
    const marks = this.claimed.slice(from, from + MARKS_PER_COMMIT);
    const now = this.ctx.clock.now();
    const sent = await this.commit(async (trx) => {
      await markSendStartedMany(
        trx,
        marks.map((m) => m.id),
        now,
      );
      return recordSentIn(trx, held);
    });
    this.held = this.held.slice(held.length);
    const onDisk = this.ctx.walSync.durable();
    // Awaited by the messages it covers; a batch that stops before them must not leave it unhandled.
    onDisk.catch(() => undefined);
    for (let i = from; i < from + marks.length; i++) this.marksOnDisk[i] = onDisk;
    this.markedThrough = from + marks.length;
    this.announceSent(held, sent);
  }

  private async commit<T>(work: (trx: Db) => Promise<T>): Promise<T> {
    const result = await unsyncedTransaction(this.ctx.db, async (trx) => {
      // The fence: after another engine took over, this one marks, hands over and records nothing.
      await this.ctx.owner?.assertHeld(trx);
      return work(trx);
    });
    this.unflushed = true;
    return result;
  }

  private async flushed(): Promise<void> {
    this.unflushed = false;
    await this.ctx.walSync.durable();
  }

  private announceSent(held: { claimed: ClaimedMessage }[], accounts: Map<number, number | null>): void {
    for (const { claimed } of held) this.announce(claimed, { status: 'sent', accountId: accounts.get(claimed.id) ?? null });
  }

  private announce(claimed: ClaimedMessage, { status, accountId }: RecordedOutcome): void {
    this.ctx.events.emit('message', { messageId: claimed.id, campaignId: claimed.campaignId, status, accountId });
  }
}
