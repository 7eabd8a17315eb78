import type { ImapFlow } from 'imapflow';
import { accountIdSchema } from '../accounts/account-schemas';
import type { EngineContext } from '../context';
import { EngineError, notFound } from '../core/errors';
import { parseInput } from '../core/validation';
import type { Settings } from '../../../src-shared/views/settings';
import type { InboxCheckResult } from '../../../src-shared/views/accounts';
import { alertBounces } from './bounce-alert';
import { type ImapTimeouts, type LookResult, lookAtMailbox } from './look';

/**
 * The mailbox reader: one look per account at a time (one IMAP connection each), on its own
 * schedule (the scheduler's inbox job) or when the user asks ("Check now"), never in the send
 * path. A mailbox that cannot be read says so in its account's inbox state; sending goes on.
 */
export class Inbox {
  private readonly looks = new Map<number, Promise<LookResult>>();
  private readonly clients = new Set<ImapFlow>();
  private stopping = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly timeouts: ImapTimeouts,
  ) {}

  /** Looks at one account's mailbox now, or joins the look already under way. */
  look(accountId: number, settings: Settings): Promise<LookResult> {
    const running = this.looks.get(accountId);
    if (running) return running;
    const look = this.lookOnce(accountId, settings).finally(() => this.looks.delete(accountId));
    this.looks.set(accountId, look);
    return look;
  }

  /** Every watched mailbox, one after another (the scheduler's job). */
  async lookAtAll(settings: Settings): Promise<void> {
    const watched = await this.ctx.db
      .selectFrom('accounts')
      .select('id')
      .where('watch_inbox', '=', 1)
      .where('imap_host', 'is not', null)
      .orderBy('id')
      .execute();
    for (const { id } of watched) {
      if (this.stopping) return;
      await this.look(id, settings);
    }
  }

  /** Closes the connections of looks under way and waits for them to end (nothing is settled by a look cut short). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const client of this.clients) client.close();
    await Promise.allSettled([...this.looks.values()]);
  }

  private async lookOnce(accountId: number, settings: Settings): Promise<LookResult> {
    const account = await this.ctx.db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
    const none: LookResult = { bounces: 0, unsubscribes: 0, replies: 0, autoReplies: 0, settled: 0, bouncedCampaigns: [] };
    if (!account || this.stopping) return none;
    const result = await lookAtMailbox(this.ctx, account, settings, this.timeouts, {
      opened: (client) => this.clients.add(client),
      closed: (client) => this.clients.delete(client),
      stopping: () => this.stopping,
    });
    if (result.bouncedCampaigns.length > 0) await alertBounces(this.ctx, result.bouncedCampaigns);
    return result;
  }
}

/**
 * accounts.checkInbox: looks at the account's mailbox now and says what it found. `own` takes
 * the data folder's ownership (a look may settle in-doubt messages), once the input is checked.
 */
export async function checkInbox(
  ctx: EngineContext,
  inbox: Inbox,
  input: unknown,
  settings: Settings,
  own: () => Promise<void>,
): Promise<InboxCheckResult> {
  const { id } = parseInput(accountIdSchema, input);
  const account = await ctx.db.selectFrom('accounts').select(['imap_host', 'watch_inbox']).where('id', '=', id).executeTakeFirst();
  if (!account) throw notFound('Account', id);
  if (!account.imap_host) {
    throw new EngineError(
      'conflict',
      'This account has no IMAP server set, so its mailbox cannot be read. Give one under Advanced (imap.gmail.com for Gmail).',
    );
  }
  if (!account.watch_inbox) {
    throw new EngineError('conflict', 'Watching this mailbox is turned off. Turn it on in the account’s settings, then check again.');
  }
  await own();
  const { bouncedCampaigns: _, ...result } = await inbox.look(id, settings);
  return result;
}
