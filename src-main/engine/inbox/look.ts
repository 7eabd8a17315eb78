import { ImapFlow, type ListResponse } from 'imapflow';
import { DAY } from '../core/clock';
import { isOurMessageId } from '../core/message-ids';
import { SecretUnreadableError } from '../core/secrets';
import { TimeSlicer } from '../core/time-slice';
import type { EngineContext } from '../context';
import type { AccountRow, StoredInboxState } from '../db/schema';
import type { Settings } from '../../../src-shared/views/settings';
import type { InboxCheckResult } from '../../../src-shared/views/accounts';
import { classify, worthReading } from './classify';
import type { Effect } from './effect-records';
import { applyMail } from './effects';
import type { MailboxOwner } from './matching';
import { confirmSent, forgetOldOutsideSends, inDoubtOf, recordOutsideSend, requeueMissing } from './sent-mail';
import { describeImapError, setInboxState } from './inbox-health';
import { dateOf, mailKey, newUids, saveCursor } from './mailbox-cursors';
import { INBOX_TRIAGE_QUERY, readMail, SENT_QUERY, triageMail } from './read-mail';

// One look at an account's mailbox (PRODUCT.md §5b): its inbox for failure notices, unsubscribe
// requests, replies and auto-replies; its Sent Mail for what it sent outside Trickle and for the
// in-doubt messages Gmail did or did not take. Read-only: the mailboxes are opened with EXAMINE
// and read with BODY.PEEK, never a flag set, a message moved or deleted. Only new messages are
// fetched (the last UID read is kept per mailbox and UIDVALIDITY), their envelope and a few
// header fields first; a body only for a mail that may be ours to act on, and only its first
// BODY_LIMIT bytes.

export interface ImapTimeouts {
  connectionMs: number;
  greetingMs: number;
  /** Silence on an open connection (a server that stopped answering mid-fetch). */
  socketMs: number;
}

export const DEFAULT_IMAP_TIMEOUTS: ImapTimeouts = { connectionMs: 30_000, greetingMs: 16_000, socketMs: 60_000 };

/** Messages fetched per FETCH: big enough to be quick, small enough that a dropped line loses little. */
const CHUNK = 250;
/** Of a mail worth reading, only its start: a notice's report and quoted headers come first. */
export const BODY_LIMIT = 256 * 1024;
/** In-doubt messages looked up per look (each is one SEARCH). */
const IN_DOUBT_PER_LOOK = 200;

type Account = Pick<
  AccountRow,
  'id' | 'email' | 'email_norm' | 'password_secret' | 'imap_host' | 'imap_port' | 'imap_security' | 'created_at'
>;

/** What a look found, and which campaigns got new bounces (for the 5 % notification). */
export type LookResult = InboxCheckResult & { bouncedCampaigns: number[] };

/** How the reader follows a look: its connection (closed at once when the engine stops). */
export interface LookControl {
  opened(client: ImapFlow): void;
  closed(client: ImapFlow): void;
  /** True once the engine is stopping: a look cut short by it records no problem. */
  stopping(): boolean;
}

/** Looks once at the account's mailbox; never throws for what the server does (the result and the account's inbox state say). */
export async function lookAtMailbox(
  ctx: EngineContext,
  account: Account,
  settings: Settings,
  timeouts: ImapTimeouts,
  control: LookControl,
): Promise<LookResult> {
  const result: LookResult = { bounces: 0, unsubscribes: 0, replies: 0, autoReplies: 0, settled: 0, bouncedCampaigns: [] };
  const owner: MailboxOwner = { id: account.id, email: account.email, emailNorm: account.email_norm };
  if (!account.imap_host) return { ...result, problem: 'No IMAP server is set for this account.' };
  let password: string;
  try {
    password = ctx.secrets.decrypt(account.password_secret);
  } catch (error) {
    if (!(error instanceof SecretUnreadableError)) throw error;
    return failed(ctx, account, result, 'auth_failed', error.message);
  }
  const client = new ImapFlow({
    host: account.imap_host,
    port: account.imap_port ?? 993,
    secure: account.imap_security !== 'none',
    // 'none' is allowed only for this computer (accounts.ts); never upgrade a loopback test server.
    ...(account.imap_security === 'none' ? { doSTARTTLS: false } : {}),
    auth: { user: account.email, pass: password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    clientInfo: { name: 'Trickle' },
  });
  // Errors also arrive as events (a socket that dies between commands); the awaited call reports them.
  client.on('error', () => {});
  control.opened(client);
  try {
    await client.connect();
  } catch (error) {
    client.close();
    control.closed(client);
    if (control.stopping()) return result;
    return failed(ctx, account, result, ...describeImapError(error, account));
  }
  const tally = (effects: Effect[]) => {
    for (const e of effects) {
      if (e.kind === 'bounced') {
        result.bounces++;
        if (!result.bouncedCampaigns.includes(e.campaignId)) result.bouncedCampaigns.push(e.campaignId);
      } else if (e.kind === 'unsubscribed') result.unsubscribes++;
      else if (e.kind === 'replied') result.replies++;
      else if (e.kind === 'auto_replied') result.autoReplies++;
    }
  };
  try {
    await readInbox(ctx, client, account, owner, tally);
    const sent = (await client.list()).find((box: ListResponse) => box.flags.has('\\Sent'));
    let detail: string | null = null;
    if (sent) {
      await readSent(ctx, client, account, owner, sent.path);
      if (settings.settleInDoubtFromSentMail) result.settled = await settleInDoubt(ctx, client, owner, settings);
    } else {
      detail =
        'No Sent Mail folder (marked \\Sent) was found in this mailbox: mail sent outside Trickle and in-doubt messages cannot be checked.';
    }
    await setInboxState(ctx, account.id, 'ok', detail);
  } catch (error) {
    if (control.stopping()) return result;
    return failed(ctx, account, result, ...describeImapError(error, account));
  } finally {
    await client.logout().catch(() => client.close());
    control.closed(client);
  }
  if (result.bounces || result.unsubscribes || result.replies || result.autoReplies || result.settled) {
    const { bounces, unsubscribes, replies, autoReplies, settled } = result;
    ctx.log.info('mailbox read', { accountId: account.id, bounces, unsubscribes, replies, autoReplies, settled });
  }
  return result;
}

// ---- The inbox ----

async function readInbox(
  ctx: EngineContext,
  client: ImapFlow,
  account: Account,
  owner: MailboxOwner,
  tally: (effects: Effect[]) => void,
): Promise<void> {
  const box = await client.mailboxOpen('INBOX', { readOnly: true });
  const validity = String(box.uidValidity);
  // Notices about Trickle's sends come after them: a first look reads from the day before the account was added.
  const uids = await newUids(ctx, client, account.id, 'inbox', validity, box, account.created_at - DAY);
  const slicer = new TimeSlicer();
  for (let i = 0; i < uids.length; i += CHUNK) {
    const chunk = uids.slice(i, i + CHUNK);
    const heads = await client.fetchAll(chunk.join(','), INBOX_TRIAGE_QUERY, { uid: true });
    const worth: { uid: number; key: string; arrivedAt: number }[] = [];
    for (const head of heads) {
      const mail = triageMail(head.envelope, head.headers);
      if (worthReading(mail)) worth.push({ uid: head.uid, key: mailKey(mail.messageId, head), arrivedAt: dateOf(head, ctx.clock.now()) });
      await slicer.maybeYield();
    }
    if (worth.length > 0) {
      const bodies = await client.fetchAll(
        worth.map((w) => w.uid).join(','),
        { uid: true, source: { maxLength: BODY_LIMIT } },
        { uid: true },
      );
      for (const body of bodies) {
        const found = worth.find((w) => w.uid === body.uid);
        if (!found || !body.source) continue;
        const classified = classify(await readMail(body.source));
        tally(await applyMail(ctx, owner, { key: found.key, classified, arrivedAt: found.arrivedAt }));
        await slicer.maybeYield();
      }
    }
    // Read up to here: a line dropped later loses nothing before it.
    await saveCursor(ctx, account.id, 'inbox', validity, chunk.at(-1)!);
  }
  await saveCursor(ctx, account.id, 'inbox', validity, Math.max(uids.at(-1) ?? 0, box.uidNext - 1));
}

// ---- Sent Mail ----

async function readSent(ctx: EngineContext, client: ImapFlow, account: Account, owner: MailboxOwner, path: string): Promise<void> {
  const box = await client.mailboxOpen(path, { readOnly: true });
  const validity = String(box.uidValidity);
  const now = ctx.clock.now();
  // Only the last day counts towards the cap: a first look reads from the day before that.
  const uids = await newUids(ctx, client, account.id, 'sent', validity, box, now - 2 * DAY);
  const slicer = new TimeSlicer();
  for (let i = 0; i < uids.length; i += CHUNK) {
    const chunk = uids.slice(i, i + CHUNK);
    const heads = await client.fetchAll(chunk.join(','), SENT_QUERY, { uid: true });
    for (const head of heads) {
      const sentAt = dateOf(head, 0);
      if (sentAt <= now - DAY) continue;
      const mail = triageMail(head.envelope, undefined);
      if (isOurMessageId(mail.messageId)) continue;
      await recordOutsideSend(ctx, owner, { key: mailKey(mail.messageId, head), sentAt, recipients: mail.recipients.length });
      await slicer.maybeYield();
    }
    await saveCursor(ctx, account.id, 'sent', validity, chunk.at(-1)!);
  }
  await saveCursor(ctx, account.id, 'sent', validity, Math.max(uids.at(-1) ?? 0, box.uidNext - 1));
  await forgetOldOutsideSends(ctx, owner);
}

/**
 * Each in-doubt message of the account, looked up in Sent Mail by its Message-ID (Sent Mail is
 * open): found → sent; missing `settleInDoubtAfterMinutes` after its attempt → queued again.
 * Only after this successful look: if the mailbox could not be read, nothing is settled.
 */
async function settleInDoubt(ctx: EngineContext, client: ImapFlow, owner: MailboxOwner, settings: Settings): Promise<number> {
  let settled = 0;
  for (const message of await inDoubtOf(ctx, owner, IN_DOUBT_PER_LOOK)) {
    const found = await client.search({ header: { 'message-id': message.messageId } }, { uid: true });
    if (found && found.length > 0) {
      const copy = await client.fetchOne(String(found[0]), { uid: true, internalDate: true }, { uid: true });
      const takenAt = copy ? dateOf(copy, 0) || undefined : undefined;
      if (await confirmSent(ctx, owner, message, takenAt)) settled++;
    } else if (ctx.clock.now() >= message.attemptAt + settings.settleInDoubtAfterMinutes * 60_000) {
      if (await requeueMissing(ctx, owner, message, settings.settleInDoubtAfterMinutes)) settled++;
    }
  }
  return settled;
}

async function failed(
  ctx: EngineContext,
  account: Account,
  result: LookResult,
  state: StoredInboxState,
  detail: string,
): Promise<LookResult> {
  ctx.log.warn('mailbox not read', { accountId: account.id, state });
  await setInboxState(ctx, account.id, state, detail);
  return { ...result, problem: detail };
}
