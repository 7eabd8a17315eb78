import { applyAccountReply, effectiveState, smtpAccountOf } from './accounts';
import { attachmentSizes, campaignRow, completeIfDone, setCampaignStatus } from './campaigns';
import { type RenderedMessage, renderMessage, type StoredAttachment, toMailOptions } from './compose';
import type { EngineContext } from './context';
import type { Db } from './db/open-database';
import { unsyncedTransaction } from './db/wal-sync';
import type { AccountRow, MessageStatus } from './db/schema';
import { EngineError } from './errors';
import type { SmtpAccount } from './mailer';
import { MergeError } from './merge';
import {
  claimBatch,
  type ClaimedMessage,
  markSendStarted,
  markSendStartedMany,
  type MessageOutcome,
  queuedCount,
  reassign,
  type RecordedOutcome,
  recordOutcomeIn,
  recordSentIn,
  unmarkSendStarted,
  usableAccounts,
} from './queue';
import type { ClassifiedReply } from './replies';
import { pickAccount } from './rotation';
import { SecretUnreadableError } from './secrets';
import type { Settings } from './settings';

export interface BatchSummary {
  batchId: number;
  startedAt: number;
  finishedAt: number;
  claimed: number;
  sent: number;
  failed: number;
  retrying: number;
  inDoubt: number;
  requeued: number;
  skipped: number;
  /** Their campaign was cancelled while the batch ran. */
  cancelled: number;
  /** Messages still queued after the batch, across all campaigns. */
  remaining: number;
}

/** Three policy blocks in a row pause the campaign: its content or the sender is being refused. */
const POLICY_BLOCKS_BEFORE_PAUSE = 3;

export interface BatchControl {
  /** True when sending was paused (or the engine is stopping): finish the message in hand, start nothing new. */
  shouldStop(): boolean;
  /** Aborted on pause/stop, to cut the pause between messages short. */
  signal: AbortSignal;
  /** Told the batch's id as soon as it exists, so a batch cut short by an error can be settled later. */
  onStarted?(batchId: number): void;
  /** Told, when an error cuts the batch short, which of its messages were never handed over. */
  onCutShort?(neverHandedOver: number[]): void;
}

/**
 * One batch: claim up to `batchSize` due messages, then send them one after another with a
 * pause between, recording each outcome as it happens. Returns undefined when nothing was
 * claimed (nothing due, or no account can send).
 */
export async function runBatch(
  ctx: EngineContext,
  settings: Settings,
  control: BatchControl,
): Promise<BatchSummary | undefined> {
  const startedAt = ctx.clock.now();
  const batch = await ctx.db.insertInto('batches').values({ started_at: startedAt }).returning('id').executeTakeFirstOrThrow();
  control.onStarted?.(batch.id);
  const claimed = await claimBatch(ctx, batch.id, settings.batchSize, { reserveCapacity: !settings.dryRun });
  if (claimed.length === 0) {
    await ctx.db.deleteFrom('batches').where('id', '=', batch.id).execute();
    return undefined;
  }

  const summary: BatchSummary = {
    batchId: batch.id,
    startedAt,
    finishedAt: startedAt,
    claimed: claimed.length,
    sent: 0,
    failed: 0,
    retrying: 0,
    inDoubt: 0,
    requeued: 0,
    skipped: 0,
    cancelled: 0,
    remaining: 0,
  };

  const outcomes = new SendJournal(ctx, settings, claimed);
  const logins = new LoginCache(ctx);
  try {
    for (const [index, message] of claimed.entries()) {
      if (index > 0 && !control.shouldStop() && settings.messageDelayMs > 0) {
        // What is held is committed before the pause, not after it.
        await outcomes.flush();
        await ctx.clock.sleep(settings.messageDelayMs, control.signal);
      }
      const status = control.shouldStop()
        ? await outcomes.record(message, { kind: 'requeue' })
        : await sendOne(ctx, index, message, settings, outcomes, logins);
      if (status === 'sent') summary.sent++;
      else if (status === 'failed') summary.failed++;
      else if (status === 'retry_wait') summary.retrying++;
      else if (status === 'in_doubt') summary.inDoubt++;
      else if (status === 'queued') summary.requeued++;
      else if (status === 'skipped') summary.skipped++;
      else if (status === 'cancelled') summary.cancelled++;
    }
  } catch (error) {
    // Best effort: if the database is what failed, what is held is settled as in doubt, as after
    // a crash; the messages never handed over are told to the engine, which puts them back.
    await outcomes.flush().catch(() => undefined);
    control.onCutShort?.(outcomes.notHandedOver());
    throw error;
  }
  await outcomes.flush();

  for (const campaignId of new Set(claimed.map((m) => m.campaignId))) await completeIfDone(ctx, campaignId);
  summary.finishedAt = ctx.clock.now();
  summary.remaining = await queuedCount(ctx.db);
  await ctx.db
    .updateTable('batches')
    .set({
      finished_at: summary.finishedAt,
      claimed: summary.claimed,
      sent: summary.sent,
      failed: summary.failed,
      retrying: summary.retrying,
      in_doubt: summary.inDoubt,
      requeued: summary.requeued,
      skipped: summary.skipped,
      cancelled: summary.cancelled,
      remaining: summary.remaining,
    })
    .where('id', '=', batch.id)
    .execute();
  ctx.log.info('batch finished', { ...summary });
  ctx.events.emit('batch', { batchId: batch.id, sent: summary.sent, failed: summary.failed, remaining: summary.remaining });
  return summary;
}

async function sendOne(
  ctx: EngineContext,
  position: number,
  claimed: ClaimedMessage,
  settings: Settings,
  outcomes: SendJournal,
  logins: LoginCache,
) {
  const campaign = await campaignRow(ctx.db, claimed.campaignId);
  // The campaign may have been paused or cancelled since the claim.
  if (campaign.status === 'cancelled') return outcomes.record(claimed, { kind: 'cancelled' });
  if (campaign.status !== 'sending' && campaign.status !== 'queued') return outcomes.record(claimed, { kind: 'requeue' });

  const message = await ctx.db.selectFrom('messages').selectAll().where('id', '=', claimed.id).executeTakeFirstOrThrow();
  // Checked again now: an address may have unsubscribed since the claim. (Two point lookups:
  // a join of the two costs several times more, measured.)
  const suppressed = await ctx.db
    .selectFrom('suppressions')
    .select('reason')
    .where('email_norm', '=', message.email_norm)
    .executeTakeFirst();
  if (suppressed) {
    return outcomes.record(claimed, { kind: 'skipped', reason: `On the suppression list (${suppressed.reason}).` });
  }

  // Attachments are checked again now: a file moved since queueing pauses the campaign
  // (nothing is burned) rather than failing every message.
  try {
    attachmentSizes(JSON.parse(campaign.attachments) as StoredAttachment[]);
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    await setCampaignStatus(ctx, campaign.id, 'paused', error.message, ['queued', 'sending']);
    return outcomes.record(claimed, { kind: 'requeue' });
  }

  const account = await accountFor(ctx, claimed, settings);
  if (!account) return outcomes.record(claimed, { kind: 'requeue' });

  let rendered: RenderedMessage;
  try {
    rendered = renderMessage(campaign, message, { email: account.email, fromName: account.from_name });
  } catch (error) {
    if (!(error instanceof MergeError)) throw error;
    const reply: ClassifiedReply = { action: 'message_failed', code: 'MERGE', response: '', explanation: error.message };
    return outcomes.record(claimed, { kind: 'failed', reply });
  }

  if (settings.dryRun) {
    await ctx.dryRunMailer.send(toMailOptions(rendered), ctx.clock.now());
    return outcomes.record(claimed, { kind: 'sent', dryRun: true });
  }

  let smtp;
  try {
    smtp = logins.of(account);
  } catch (error) {
    if (!(error instanceof SecretUnreadableError)) throw error;
    const reply: ClassifiedReply = { action: 'account_auth', code: 'SECRET', response: '', explanation: error.message };
    await applyAccountReply(ctx, account, reply);
    return outcomes.record(claimed, { kind: 'requeue' });
  }

  await outcomes.markStarted(position, account.id);
  const result = await ctx.mailer.send(smtp, toMailOptions(rendered), ctx.clock.now());
  if (result.ok) {
    if (campaign.policy_block_streak > 0) {
      await ctx.db.updateTable('campaigns').set({ policy_block_streak: 0 }).where('id', '=', campaign.id).execute();
    }
    return outcomes.sent(claimed);
  }

  const reply = result.reply;
  ctx.log.warn('send refused', { messageId: claimed.id, accountId: account.id, code: reply.code, action: reply.action });
  if (await applyAccountReply(ctx, account, reply)) {
    return outcomes.record(claimed, { kind: 'requeue', reply });
  }
  switch (reply.action) {
    case 'message_retry':
      return outcomes.record(claimed, { kind: 'retry', reply });
    case 'message_bounced':
      return outcomes.record(claimed, { kind: 'failed', reply, suppress: 'bounced' });
    case 'in_doubt':
      return outcomes.record(claimed, { kind: 'in_doubt', reply });
    case 'message_policy': {
      const status = await outcomes.record(claimed, { kind: 'failed', reply });
      const updated = await ctx.db
        .updateTable('campaigns')
        .set((eb) => ({ policy_block_streak: eb('policy_block_streak', '+', 1) }))
        .where('id', '=', campaign.id)
        .returning('policy_block_streak')
        .executeTakeFirstOrThrow();
      if (updated.policy_block_streak >= POLICY_BLOCKS_BEFORE_PAUSE) {
        await setCampaignStatus(
          ctx,
          campaign.id,
          'paused',
          `Paused after ${updated.policy_block_streak} messages in a row were blocked as unsolicited or against policy (“${reply.response}”). Review the content and your list, then resume.`,
          ['queued', 'sending'],
        );
      }
      return status;
    }
    default:
      return outcomes.record(claimed, { kind: 'failed', reply });
  }
}

/**
 * The account to send this message with: the one the claim gave it, unless that account has
 * since stopped being usable in this batch (a login failure, a cooling reply), in which case
 * another with capacity takes it over. Undefined when none can: the message goes back.
 */
async function accountFor(ctx: EngineContext, claimed: ClaimedMessage, settings: Settings) {
  const now = ctx.clock.now();
  const assigned = await ctx.db.selectFrom('accounts').selectAll().where('id', '=', claimed.accountId).executeTakeFirst();
  if (assigned && effectiveState(assigned, now) === 'ok') return assigned;
  const candidates = await usableAccounts(ctx.db, now);
  const next = pickAccount(candidates);
  if (!next) return undefined;
  if (!settings.dryRun) await reassign(ctx, claimed.id, next.emailNorm, next.id);
  return ctx.db.selectFrom('accounts').selectAll().where('id', '=', next.id).executeTakeFirstOrThrow();
}

/**
 * Each account's login for the length of a batch: opening the stored password costs more than
 * the rest of a message's bookkeeping, so it is done once per account and batch (again if the
 * password changes meanwhile). The plaintext lives only as long as the batch.
 */
class LoginCache {
  private readonly logins = new Map<number, { stored: string; smtp: SmtpAccount }>();

  constructor(private readonly ctx: EngineContext) {}

  of(account: AccountRow): SmtpAccount {
    const stored = JSON.stringify([account.password_secret, account.email, account.host, account.port, account.security]);
    const known = this.logins.get(account.id);
    if (known?.stored === stored) return known.smtp;
    const smtp = smtpAccountOf(this.ctx, account);
    this.logins.set(account.id, { stored, smtp });
    return smtp;
  }
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
class SendJournal {
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
    const { held, sent, result: recorded } = await this.commitPending((trx) =>
      recordOutcomeIn(trx, now, claimed.id, outcome, this.settings.maxRetries),
    );
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
    if (this.settings.messageDelayMs > 0) return this.record(claimed, { kind: 'sent', dryRun: false });
    this.held.push({ claimed, at: this.ctx.clock.now() });
    return 'sent';
  }

  /** Returns once the message's start mark is on disk: it may be handed over. */
  async markStarted(position: number, accountId: number): Promise<void> {
    if (this.runsAhead()) {
      if (position >= this.markedThrough) await this.commitMarks(position);
      else if (this.markedThrough - position <= MARKS_LEFT_BEFORE_NEXT) await this.commitMarks(this.markedThrough);
    }
    if (position < this.markedThrough) {
      await this.marksOnDisk[position];
    } else {
      const now = this.ctx.clock.now();
      const { held, sent } = await this.commitPending((trx) => markSendStarted(trx, this.claimed[position]!.id, accountId, now));
      // Known as marked before the flush: if the flush fails, the error path takes the mark back.
      this.markedThrough = position + 1;
      this.announceSent(held, sent);
      await this.flushed();
    }
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
      await markSendStartedMany(trx, marks.map((m) => m.id), now);
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
