/**
 * What must hold after every SIGKILL and at the end of every scenario of the crash test,
 * checked on the database as the dead process left it (opened read-only, so the next engine
 * still finds the write-ahead log exactly as the crash left it) against what the test Gmail in
 * the parent process really received.
 */
import BetterSqlite3 from 'better-sqlite3';
import { DAY } from '../../src-main/engine/core/clock';
import { MESSAGE_STATUSES, type MessageStatus } from '../../src-main/engine/db/schema';
import type { AcceptedMessage } from '../support/test-gmail';

export interface MessageState {
  id: number;
  campaignId: number;
  email: string;
  status: MessageStatus;
  /** The Message-ID header, fixed at queue time. */
  messageId: string;
  accountId: number | null;
  sendStarted: boolean;
  batchId: number | null;
  /** How a look at Sent Mail settled it when it was in doubt (PRODUCT.md §5b). */
  settledHow: 'sent_mail_found' | 'sent_mail_missing' | null;
}

export interface Snapshot {
  integrity: string;
  foreignKeyProblems: number;
  messages: MessageState[];
  /** Campaign send-log rows: the account's address, the message row it belongs to (null once detached). */
  sendLog: { account: string; messageRowId: number | null; sentAt: number }[];
  accounts: { id: number; email: string; emailNorm: string; dailyCap: number }[];
  campaigns: { id: number; status: string }[];
  /** The per-campaign message counters the dashboard reads (kept by triggers): `campaignId:status` → n. */
  counters: Map<string, number>;
  /** The newest batch row, if any: an unfinished one is a batch the process died in. */
  lastBatch: { id: number; finished: boolean } | undefined;
  /** The batch history as the window lists it: rows never finished, and the messages they say were sent. */
  batches: { unfinished: number; sent: number };
}

export function readSnapshot(databaseFile: string): Snapshot {
  const db = new BetterSqlite3(databaseFile, { readonly: true, fileMustExist: true });
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    const foreignKeyProblems = (db.pragma('foreign_key_check') as unknown[]).length;
    const messages = (
      db
        .prepare(
          'select id, campaign_id, email, status, message_id, account_id, send_started_at, batch_id, settled_how from messages order by id',
        )
        .all() as {
        id: number;
        campaign_id: number;
        email: string;
        status: MessageStatus;
        message_id: string;
        account_id: number | null;
        send_started_at: number | null;
        batch_id: number | null;
        settled_how: MessageState['settledHow'];
      }[]
    ).map((r) => ({
      id: r.id,
      campaignId: r.campaign_id,
      email: r.email,
      status: r.status,
      messageId: r.message_id,
      accountId: r.account_id,
      sendStarted: r.send_started_at !== null,
      batchId: r.batch_id,
      settledHow: r.settled_how,
    }));
    const sendLog = (
      db.prepare("select account_email, message_id, sent_at from send_log where kind = 'campaign'").all() as {
        account_email: string;
        message_id: number | null;
        sent_at: number;
      }[]
    ).map((r) => ({ account: r.account_email, messageRowId: r.message_id, sentAt: r.sent_at }));
    const accounts = (
      db.prepare('select id, email, email_norm, daily_cap from accounts order by id').all() as {
        id: number;
        email: string;
        email_norm: string;
        daily_cap: number;
      }[]
    ).map((r) => ({ id: r.id, email: r.email, emailNorm: r.email_norm, dailyCap: r.daily_cap }));
    const campaigns = db.prepare('select id, status from campaigns order by id').all() as { id: number; status: string }[];
    const counters = new Map(
      (
        db.prepare('select campaign_id, status, n from campaign_message_counts where n <> 0').all() as {
          campaign_id: number;
          status: string;
          n: number;
        }[]
      ).map((r) => [`${r.campaign_id}:${r.status}`, r.n]),
    );
    const batch = db.prepare('select id, finished_at from batches order by id desc limit 1').get() as
      | { id: number; finished_at: number | null }
      | undefined;
    const history = db.prepare('select count(*) - count(finished_at) as unfinished, coalesce(sum(sent), 0) as sent from batches').get() as {
      unfinished: number;
      sent: number;
    };
    return {
      batches: history,
      integrity,
      foreignKeyProblems,
      messages,
      sendLog,
      accounts,
      campaigns,
      counters,
      lastBatch: batch && { id: batch.id, finished: batch.finished_at !== null },
    };
  } finally {
    db.close();
  }
}

/** What the test Gmail saw: every message it received in full, whether or not it answered 250. */
export interface Witness {
  accepted: readonly AcceptedMessage[];
  /** Received in full but never acknowledged (the client died, or a scripted drop): it may have arrived. */
  unacknowledged: readonly AcceptedMessage[];
  /**
   * The accounts' mailboxes were looked at after the last run: every message the server
   * received in full was then in Sent Mail, and nothing it could settle may stay in doubt.
   */
  mailboxLooked?: boolean;
}

/** Message-ID → how many times the server received it in full (acknowledged or not). */
export function deliveredCounts(witness: Witness): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of [...witness.accepted, ...witness.unacknowledged]) {
    const id = m.messageId ?? '(none)';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** What the database showed about the batch the process died in. */
export type DeathPoint = 'between batches' | 'claim not committed' | 'claimed, none started' | 'send started';

export function deathPoint(snapshot: Snapshot): DeathPoint {
  const batch = snapshot.lastBatch;
  if (!batch || batch.finished) return 'between batches';
  const inBatch = snapshot.messages.filter((m) => m.batchId === batch.id && m.status === 'sending');
  if (inBatch.length === 0) return 'claim not committed';
  return inBatch.some((m) => m.sendStarted) ? 'send started' : 'claimed, none started';
}

export interface CheckContext {
  /** 'after kill': the process just died; 'final': a clean run drained everything it could. */
  phase: 'after kill' | 'final';
  /** The recipients the scenario queued, in order. */
  recipients: readonly string[];
  witness: Witness;
  /** Message-ID → resends the user asked for (each may deliver it once more). */
  resentOnPurpose: ReadonlyMap<string, number>;
  /**
   * Message-ID → how many times it had been delivered when it was first seen in doubt (and not
   * resent since). Updated by the check: an in-doubt message must wait for the user.
   */
  inDoubtSince: Map<string, number>;
  /**
   * Message-ID → the settled status (sent, failed, in doubt, …) a snapshot showed: committed, so it
   * must never change, except an in-doubt one the user resends (the entry is then removed). Updated by the check.
   */
  settled: Map<string, MessageStatus>;
  /** Message-IDs being sent (marked started) when the previous process died: recovery must have put them in doubt. */
  startedAtLastKill: ReadonlySet<string>;
  now: number;
}

const KNOWN_STATUSES = new Set<string>(MESSAGE_STATUSES);
/**
 * Where a message stays unless the user acts (retry failed, resend in doubt), which the crash
 * test does only for in doubt, or a look at Sent Mail settles it (in doubt → sent when Gmail
 * has it; → queued when it never took it).
 */
const SETTLED = new Set<MessageStatus>(['sent', 'failed', 'in_doubt', 'skipped', 'cancelled', 'expired']);

/** Every invariant of the crash test; returns the violations in words (empty when all hold). */
export function checkInvariants(snapshot: Snapshot, ctx: CheckContext): string[] {
  const violations: string[] = [];
  const fail = (text: string) => violations.push(`${ctx.phase}: ${text}`);

  // The file is sound.
  if (snapshot.integrity !== 'ok') fail(`integrity_check says ${snapshot.integrity}`);
  if (snapshot.foreignKeyProblems > 0) fail(`${snapshot.foreignKeyProblems} foreign key problems`);

  // Every message is there, once, in exactly one known state.
  const byStatus = new Map<string, number>();
  for (const m of snapshot.messages) byStatus.set(m.status, (byStatus.get(m.status) ?? 0) + 1);
  for (const status of byStatus.keys()) if (!KNOWN_STATUSES.has(status)) fail(`unknown message status '${status}'`);
  const counted = [...byStatus.values()].reduce((a, b) => a + b, 0);
  if (counted !== ctx.recipients.length || snapshot.messages.length !== ctx.recipients.length) {
    fail(`${snapshot.messages.length} messages (${counted} counted by status) for ${ctx.recipients.length} recipients`);
  }
  // The dashboard's counters agree with the messages, whatever the kill interrupted.
  const actual = new Map<string, number>();
  for (const m of snapshot.messages) actual.set(`${m.campaignId}:${m.status}`, (actual.get(`${m.campaignId}:${m.status}`) ?? 0) + 1);
  for (const key of new Set([...actual.keys(), ...snapshot.counters.keys()])) {
    if ((actual.get(key) ?? 0) !== (snapshot.counters.get(key) ?? 0)) {
      fail(`the counter for campaign:status ${key} says ${snapshot.counters.get(key) ?? 0}, the messages ${actual.get(key) ?? 0}`);
    }
  }
  const emails = snapshot.messages.map((m) => m.email).sort();
  if (emails.join() !== [...ctx.recipients].sort().join()) fail('the messages are not the queued recipients, once each');

  // The server is the witness: what it received matches what the database says.
  const delivered = deliveredCounts(ctx.witness);
  const accepted = new Set(ctx.witness.accepted.map((m) => m.messageId));
  const accountEmail = new Map(snapshot.accounts.map((a) => [a.id, a.email.toLowerCase()]));
  const known = new Set(snapshot.messages.map((m) => m.messageId));
  for (const id of delivered.keys()) if (!known.has(id)) fail(`the server received a message the database does not know: ${id}`);
  for (const m of snapshot.messages) {
    const times = delivered.get(m.messageId) ?? 0;
    const resends = ctx.resentOnPurpose.get(m.messageId) ?? 0;
    // Sent: the server said 250; or, settled from Sent Mail, it had the whole message (its copy is there).
    const confirmed = m.settledHow === 'sent_mail_found' && times > 0;
    if (m.status === 'sent' && !accepted.has(m.messageId) && !confirmed) fail(`${m.email} is sent but the server never accepted it`);
    if (m.status === 'sent') {
      // The last copy received is the one this status records (an earlier one may be a resent original).
      const copies = confirmed ? [...ctx.witness.accepted, ...ctx.witness.unacknowledged] : ctx.witness.accepted;
      const by = copies.findLast((a) => a.messageId === m.messageId)?.account.toLowerCase();
      if (by && by !== accountEmail.get(m.accountId ?? -1))
        fail(`${m.email} is recorded as sent by another account than the one that sent it`);
    }
    if (times > 1 + resends) fail(`${m.email} was delivered ${times} times (${resends} resends asked for)`);
    // A message the server has must be sent or in doubt (or, right after a kill, still being sent),
    // unless the user resent it on purpose and it is on its way again.
    const allowed =
      m.status === 'sent' || m.status === 'in_doubt' || (ctx.phase === 'after kill' && m.status === 'sending' && m.sendStarted);
    if (times > 0 && !allowed && resends === 0)
      fail(`${m.email} reached the server but is ${m.status}${m.status === 'sending' ? ' (not marked started)' : ''}`);

    // A send the crash interrupted is in doubt after the restart (the user may resend it).
    // (Or Sent Mail has settled it since: it was in doubt first.)
    if (ctx.startedAtLastKill.has(m.messageId) && resends === 0 && m.status !== 'in_doubt' && m.settledHow === null) {
      fail(`${m.email} was being sent when the process died, but after the restart it is ${m.status}, not in doubt`);
    }

    // What was committed stays committed: a settled message keeps its status, except one in doubt
    // that Sent Mail settled (sent if Gmail had it; back in the queue if it never took it).
    const before = ctx.settled.get(m.messageId);
    const settledFromSentMail =
      before === 'in_doubt' && ((m.settledHow === 'sent_mail_found' && m.status === 'sent') || m.settledHow === 'sent_mail_missing');
    if (before !== undefined && before !== m.status && !settledFromSentMail) fail(`${m.email} was ${before} and is now ${m.status}`);
    if (SETTLED.has(m.status)) ctx.settled.set(m.messageId, m.status);
    else if (settledFromSentMail) ctx.settled.delete(m.messageId);

    // In doubt waits for the user: no copy goes out after it was first seen in doubt, unless the
    // user resent it, or Sent Mail showed Gmail never took it (no copy had arrived).
    const seenAt = ctx.inDoubtSince.get(m.messageId);
    const neverTaken = m.settledHow === 'sent_mail_missing' && seenAt === 0;
    if (seenAt !== undefined && times > seenAt && !neverTaken) fail(`${m.email} was in doubt and was sent again without the user asking`);
    if (m.settledHow === 'sent_mail_missing' && seenAt !== undefined && seenAt > 0)
      fail(`${m.email} was queued again as missing from Sent Mail, but the server had it`);
    if (m.status === 'in_doubt' && seenAt === undefined) ctx.inDoubtSince.set(m.messageId, times);
  }

  // No account over its cap in the last 24 hours: by the server's count and by the send log.
  for (const account of snapshot.accounts) {
    const received = [...ctx.witness.accepted, ...ctx.witness.unacknowledged].filter(
      (m) => m.account.toLowerCase() === account.emailNorm && m.at > ctx.now - DAY,
    ).length;
    if (received > account.dailyCap) fail(`${account.email} delivered ${received} messages in 24 h, cap ${account.dailyCap}`);
    const logged = snapshot.sendLog.filter((r) => r.account === account.emailNorm && r.sentAt > ctx.now - DAY).length;
    if (logged > account.dailyCap) fail(`${account.email} has ${logged} sends in its 24 h log, cap ${account.dailyCap}`);
    if (logged < received) fail(`${account.email} delivered ${received} messages but its send log counts ${logged}`);
  }

  if (ctx.phase === 'final') violations.push(...finalChecks(snapshot, ctx));
  return violations;
}

/** Once a clean run has drained all it could: nothing in flight, everything settled and counted once. */
function finalChecks(snapshot: Snapshot, ctx: CheckContext): string[] {
  const violations: string[] = [];
  const fail = (text: string) => violations.push(`final: ${text}`);
  const count = (status: MessageStatus) => snapshot.messages.filter((m) => m.status === status).length;
  if (count('sending') > 0) fail(`${count('sending')} messages left in sending`);
  if (count('pending') > 0) fail(`${count('pending')} messages left pending`);

  let capacityLeft = 0;
  for (const account of snapshot.accounts) {
    const used = snapshot.sendLog.filter((r) => r.account === account.emailNorm && r.sentAt > ctx.now - DAY).length;
    capacityLeft += Math.max(0, account.dailyCap - used);
  }
  const waiting = count('queued') + count('retry_wait');
  if (waiting > 0 && capacityLeft > 0) fail(`${waiting} messages still wait although ${capacityLeft} sends of capacity are left`);

  // One send-log row per message that may have gone out (sent or in doubt), none for the others.
  const rows = new Map<number, number>();
  for (const r of snapshot.sendLog) if (r.messageRowId !== null) rows.set(r.messageRowId, (rows.get(r.messageRowId) ?? 0) + 1);
  for (const m of snapshot.messages) {
    const n = rows.get(m.id) ?? 0;
    const expected = m.status === 'sent' || m.status === 'in_doubt' ? 1 : 0;
    if (n !== expected) fail(`${m.email} is ${m.status} with ${n} send-log rows (expected ${expected})`);
  }

  // The batch history adds up: every batch finished (or closed as interrupted), every sent message counted once
  // (those Sent Mail confirmed were counted in doubt by their batch).
  if (snapshot.batches.unfinished > 0) fail(`${snapshot.batches.unfinished} batches never finished`);
  const confirmed = snapshot.messages.filter((m) => m.status === 'sent' && m.settledHow === 'sent_mail_found').length;
  if (snapshot.batches.sent !== count('sent') - confirmed) {
    fail(
      `the batches say ${snapshot.batches.sent} sent, the messages ${count('sent') - confirmed} (and ${confirmed} confirmed from Sent Mail)`,
    );
  }

  // After a look at the mailboxes, nothing stays in doubt that Sent Mail can settle: what the
  // server had whole is in Sent Mail, so it is sent.
  if (ctx.witness.mailboxLooked) {
    const delivered = deliveredCounts(ctx.witness);
    for (const m of snapshot.messages) {
      if (m.status === 'in_doubt' && (delivered.get(m.messageId) ?? 0) > 0)
        fail(`${m.email} is still in doubt although its copy is in Sent Mail`);
    }
  }

  // A campaign with nothing left to send says so.
  for (const campaign of snapshot.campaigns) {
    const open = snapshot.messages.filter(
      (m) => m.campaignId === campaign.id && (m.status === 'queued' || m.status === 'retry_wait' || m.status === 'sending'),
    ).length;
    if (open === 0 && campaign.status !== 'completed') fail(`campaign ${campaign.id} is '${campaign.status}' with nothing left to send`);
    if (open > 0 && campaign.status === 'completed') fail(`campaign ${campaign.id} is completed with ${open} messages still to send`);
  }
  return violations;
}
