/**
 * A "test Gmail": a real SMTP server on 127.0.0.1 that answers the way smtp.gmail.com does, so the
 * engine's tests exercise nodemailer against real sockets and real SMTP replies instead of mocks.
 *
 * It knows a set of accounts (address + app password), checks AUTH against them, requires the
 * envelope sender to be the logged-in account, enforces an optional per-account daily limit, and
 * can be scripted to fail at any stage of a session (a reply of our choosing, or a dropped
 * connection before or after the message data). Everything it sees is recorded for assertions.
 *
 * Connect with nodemailer `{ host, port, secure: false, ignoreTLS: true }`: there is no TLS by
 * default. With `tls` it speaks implicit TLS as smtp.gmail.com does on port 465 (connect with
 * `secure: true` and the certificate as `tls.ca`); with `latencyMs` and `dataReplyDelayMs` it
 * answers from as far away as Gmail does from a home connection (the benchmarks).
 *
 * With a mailbox (`startTestGmail({ mailbox: await startDovecot() })`) each account also has a
 * Gmail-shaped mailbox on a real IMAP server, and the test Gmail then does what the real one does
 * after the 250: a copy of every message it took goes to the account's Sent Mail, and for
 * recipients scripted with `bounce()` a failure notice lands in its inbox a moment later
 * (Gmail's submission server accepts unknown recipients and reports them this way, PRODUCT.md
 * §5b). Replies, unsubscribe requests, auto-replies and mail sent outside Trickle are put in by
 * the test (`answer()`, `deliver()`, `sendOutside()`); `mailboxIdle()` waits until all of it is in.
 * RCPT-time refusals (`fail({ stage: 'rcpt', … })`) still work: other SMTP hosts give them.
 */
import { type AddressInfo, type Server, Socket, createServer } from 'node:net';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerAuthentication,
  type SMTPServerAuthenticationResponse,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';
import type { ImapFlow } from 'imapflow';
import type { Dovecot, MailboxLanguage } from './dovecot';
import { headerBlock, type NoticeForm, type SampleForm, type SampleValues, sampleMail } from './mail-samples';

/** Gmail's own reply lines (code, enhanced status, text), for scripting faults and asserting on them. */
export const GMAIL_REPLIES = {
  // Answered by the test Gmail itself.
  badCredentials:
    '535 5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials',
  senderNotOwned: '553 5.7.1 Sender address rejected: not owned by user',
  dailyLimit:
    '550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852',
  messageTooBig: "552 5.3.4 Your message exceeded Google's message size limits.",
  // Only ever produced by a scripted fault.
  appPasswordRequired: '534 5.7.9 Application-specific password required.',
  webLoginRequired: '534 5.7.14 Please log in through your web browser and then try again.',
  tooManyLogins: '454 4.7.0 Too many login attempts, please try again later.',
  tryAgainLater: '421 4.7.0 Try again later, closing connection.',
  recipientRateLimited:
    '450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.',
  noSuchUser: '550 5.1.1 The email account that you tried to reach does not exist.',
  likelySpam: '550 5.7.1 Our system has detected that this message is likely unsolicited mail.',
  unsolicitedRate: '421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address.',
  temporarilyRejected: '451 4.3.0 Mail server temporarily rejected message.',
  tooManyRecipients: '452 4.5.3 Your message has too many recipients.',
} as const;

/** Gmail's limit is 25 MB of attachments, about 35 MB encoded; generous enough for any test message. */
const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

export interface TestGmailAccount {
  email: string;
  appPassword: string;
  /** Accepted messages allowed between two resetDay() calls; unlimited when absent. */
  dailyLimit?: number;
  /** Answers MAIL, RCPT and the end of the data this many ms late for this account (its own pace). */
  replyDelayMs?: number;
  /** With a mailbox: the language of its folder names (Sent Mail is "[Gmail]/Gesendet" in German). */
  mailboxLanguage?: MailboxLanguage;
}

/** A failure notice the test Gmail sends back, as Gmail does, for a recipient it accepted. */
export interface BounceRule {
  /** The recipient whose messages bounce. */
  rcpt: string;
  /** The notice's form (default: Gmail's RFC 3464 report). */
  form?: NoticeForm;
  /** Enhanced status and the receiving server's words (defaults by form: 5.1.1 "does not exist", 4.4.1 for the delayed one). */
  status?: string;
  diagnostic?: string;
  /** Real milliseconds between the 250 and the notice ("a few seconds later"); 0 by default. */
  delayMs?: number;
  /** How many messages it answers before it is removed; forever when absent. */
  times?: number;
}

export interface AcceptedMessage {
  /** The account that was logged in, spelled as it was registered. */
  account: string;
  envelope: { from: string; to: string[] };
  /** The Message-ID header's value, angle brackets included; undefined if the message had none. */
  messageId: string | undefined;
  /** The message as received (dot-stuffing removed), decoded as UTF-8; only its header block when bodies are not kept. */
  raw: string;
  /** Bytes received for the message (after dot-stuffing removal). */
  size: number;
  /** Header name (lower case) → unfolded value of its first occurrence. */
  headers: Map<string, string>;
  at: number;
}

/** Where in the SMTP session a scripted fault strikes. */
export type FaultStage = 'connect' | 'auth' | 'mail' | 'rcpt' | 'data';

export type Fault =
  /** Answer with this full reply line, e.g. '421 4.7.0 Try again later, closing connection.' (a 421 also closes). */
  | { reply: string }
  /** Destroy the connection at the stage, without a reply; at 'data', as soon as DATA arrives (before the 354). */
  | { drop: 'before-data' }
  /** Only at 'data': read the whole message (final dot included), then destroy the connection without a reply. */
  | { drop: 'after-data' }
  /**
   * Only at 'data': destroy the connection as the first part of the message data arrives, before
   * its end is read. The client may have written it all (it is in doubt); Gmail never took it.
   */
  | { drop: 'mid-data' }
  /** Only at 'data': read the whole message, then never answer (the client waits, as when the app dies mid-send). */
  | { stall: 'after-data' };

export interface FaultRule {
  stage: FaultStage;
  /** Only for this account (the AUTH username at 'auth'). Meaningless at 'connect'. */
  account?: string;
  /** Only for this recipient: the RCPT address at 'rcpt', any envelope recipient at 'data'. */
  rcpt?: string;
  /** How many times the rule fires before it is removed; forever when absent. */
  times?: number;
  fault: Fault;
}

/**
 * Points of a session where a test may act, e.g. SIGKILL the client process (the crash test):
 * 'rcpt' once the recipient is accepted, before DATA; 'data-chunk' when part of the message data
 * has arrived and the rest has not; 'data-end' when the whole message (final dot) has arrived and
 * no reply is written yet; 'replied' just after the 250 was written to the socket.
 */
export type SessionPoint = 'rcpt' | 'data-chunk' | 'data-end' | 'replied';

export interface SessionEvent {
  point: SessionPoint;
  account: string;
  rcpts: string[];
  /** The Message-ID header, from 'data-end' on. */
  messageId?: string;
}

export interface TestGmail {
  /** As an account's SMTP host is written: '127.0.0.1', or '[::1]' when listening on IPv6. */
  host: '127.0.0.1' | '[::1]';
  port: number;
  /** Registers an account, or replaces the one with the same address. */
  addAccount(account: TestGmailAccount): void;
  /** Changes an account's app password, e.g. to simulate the user revoking it (its mailbox's too: await mailboxIdle()). */
  setPassword(email: string, appPassword: string): void;
  setDailyLimit(email: string, limit: number): void;
  /** Forgets the per-account counts of messages accepted today. */
  resetDay(): void;
  /** Scripts a fault. Rules are checked in the order added; the first one that matches is used. */
  fail(rule: FaultRule): void;
  clearFaults(): void;
  /** Calls `listener` synchronously at each session point (see SessionPoint); undefined stops it. */
  observe(listener: ((event: SessionEvent) => void) | undefined): void;
  /** Every message answered with 250 after DATA. */
  readonly accepted: AcceptedMessage[];
  /** Messages received in full but never answered (a `drop: 'after-data'` fault): Gmail may have delivered them. */
  readonly receivedButUnacknowledged: AcceptedMessage[];
  /** Messages received in full and then refused by a scripted reply at 'data' (not delivered). */
  readonly receivedButRefused: (AcceptedMessage & { reply: string })[];
  /**
   * Called when a message's data has fully arrived, before any reply goes out, e.g. to make
   * something happen on the client's side while it waits for the answer.
   */
  onReceived(listener: ((message: AcceptedMessage) => void) | undefined): void;
  acceptedBy(account: string): AcceptedMessage[];
  /** Every AUTH attempt; `account` is the registered spelling when the user is known. */
  readonly logins: { account: string; ok: boolean; at: number }[];
  /** TCP connections opened so far. */
  readonly connections: number;
  /** Stops listening and destroys open connections at once (no waiting for clients to QUIT). */
  close(): Promise<void>;

  // --- The mailbox (only with `mailbox` given) ---

  /** The IMAP server holding the accounts' mailboxes. */
  readonly mailbox: Dovecot | undefined;
  /** Whose time mailbox dates (INTERNALDATE, Date:) are: the tests' clock (default: the real one). */
  setClock(now: () => number): void;
  /** Scripts a failure notice for messages to a recipient, in the sender's inbox after the 250. */
  bounce(rule: BounceRule): void;
  /** Puts a message (raw RFC 5322 text) in an account's inbox. */
  deliver(account: string, raw: string, options?: { at?: number }): Promise<void>;
  /** Puts mail that answers a message it accepted in the sending account's inbox: a reply, an auto-reply, an unsubscribe request… */
  answer(message: AcceptedMessage, form: SampleForm, values?: Partial<SampleValues>): Promise<void>;
  /** The account sent a message outside Trickle (from Gmail itself): a copy in its Sent Mail only. */
  sendOutside(account: string, message: { to: string[]; cc?: string[]; bcc?: string[]; at?: number; subject?: string }): Promise<void>;
  /** Resolves once everything delivered or scheduled so far (copies, notices, answers) is in the mailboxes. */
  mailboxIdle(): Promise<void>;
}

export interface TestGmailOptions {
  accounts?: TestGmailAccount[];
  /** false: keep only each message's header block and size, so big messages do not pile up in memory. */
  keepBodies?: boolean;
  /**
   * Greet at once (the default) instead of after smtp-server's 100 ms wait for clients that
   * talk too early, which nodemailer never does: that wait, once per connection, was most of a
   * sending test's time. `false` keeps smtp-server's own behaviour.
   */
  quickGreeting?: boolean;
  /** Answers MAIL, RCPT and the end of the data this many real milliseconds late, like a server a few network hops away (benchmarks). */
  replyDelayMs?: number;
  /**
   * The end of the data is answered this many real milliseconds late instead (the server's
   * own work on a message: Gmail takes a few hundred), on top of `latencyMs`.
   */
  dataReplyDelayMs?: number;
  /**
   * The network's round trip, in real milliseconds: everything the server writes (greeting,
   * TLS handshake, every reply) reaches the client this much later, through a relay in front
   * of the server, as over a real connection. For benchmarks; 0 (the default) adds nothing.
   */
  latencyMs?: number;
  /** Implicit TLS from the first byte (smtp.gmail.com:465), with this certificate and key (test/support/test-tls.ts). */
  tls?: { key: string; cert: string };
  /** Gives each account a Gmail-shaped mailbox there: Sent Mail copies, failure notices, answers. */
  mailbox?: Dovecot;
  /** Listen on IPv6's loopback (::1) instead of 127.0.0.1. */
  ipv6?: boolean;
}

export async function startTestGmail(opts: TestGmailOptions = {}): Promise<TestGmail> {
  const gmail = new TestGmailServer(opts);
  for (const account of opts.accounts ?? []) gmail.addAccount(account);
  await gmail.listen();
  return gmail;
}

/** A rule as stored: its reply parsed once, its remaining uses counted down. */
interface ActiveRule {
  stage: FaultStage;
  account: string | undefined;
  rcpt: string | undefined;
  remaining: number;
  fault: ParsedFault;
}

type ParsedFault = { reply: SmtpReply } | { drop: 'before-data' | 'after-data' | 'mid-data' } | { stall: 'after-data' };

interface SmtpReply {
  code: number;
  /** Everything after the code: enhanced status and text. */
  text: string;
}

/** The error shape smtp-server turns into a reply: `responseCode` plus the message as the reply text. */
type SmtpReplyError = Error & { responseCode: number };

type Callback = (err?: Error | null) => void;

class TestGmailServer implements TestGmail {
  readonly host: '127.0.0.1' | '[::1]';
  port = 0;
  readonly accepted: AcceptedMessage[] = [];
  readonly receivedButUnacknowledged: AcceptedMessage[] = [];
  readonly receivedButRefused: (AcceptedMessage & { reply: string })[] = [];
  readonly logins: { account: string; ok: boolean; at: number }[] = [];

  /** Keyed by lower-cased address: Gmail addresses are case-insensitive. */
  private readonly accounts = new Map<string, TestGmailAccount>();
  private readonly sentToday = new Map<string, number>();
  private rules: ActiveRule[] = [];
  private connectionCount = 0;
  /** Raw sockets, tracked from the moment they are accepted, so close() never waits on one. */
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;
  private receivedListener: ((message: AcceptedMessage) => void) | undefined;
  private observer: ((event: SessionEvent) => void) | undefined;

  private readonly server: SMTPServer;
  private relay: Server | undefined;

  private createServer(tls: TestGmailOptions['tls']): SMTPServer {
    return new SMTPServer({
      name: 'smtp.gmail.com',
      ...(tls ? { secure: true, key: tls.key, cert: tls.cert } : {}),
      banner: 'test-gmail - gsmtp',
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      authMethods: ['PLAIN', 'LOGIN'],
      size: MAX_MESSAGE_BYTES,
      // A reverse lookup of 127.0.0.1 can take the full 1.5 s timeout on some machines.
      disableReverseLookup: true,
      logger: false,
      onConnect: (session, callback) => this.onConnect(session, callback),
      onAuth: (auth, session, callback) => this.onAuth(auth, session, callback),
      onMailFrom: (address, session, callback) => this.onMailFrom(address, session, this.answerLater(callback, session)),
      onRcptTo: (address, session, callback) => this.onRcptTo(address, session, this.answerLater(callback, session)),
      onData: (stream, session, callback) => this.onData(stream, session, this.answerLater(callback, session, this.dataReplyDelayMs)),
    });
  }

  private readonly keepBodies: boolean;
  private readonly replyDelayMs: number;
  private readonly dataReplyDelayMs: number | undefined;
  private readonly latencyMs: number;
  readonly mailbox: Dovecot | undefined;
  private now: () => number = Date.now;
  private bounceRules: (BounceRule & { remaining: number })[] = [];
  /** Per account (lower case): its mailbox's work, one after another over one IMAP session. */
  private readonly mailboxQueues = new Map<string, Promise<unknown>>();
  private readonly mailboxSessions = new Map<string, Promise<ImapFlow>>();
  /** Deliveries scheduled or under way; mailboxIdle() waits for them. */
  private readonly pendingDeliveries = new Set<Promise<unknown>>();
  private mailboxFailure: Error | undefined;

  constructor(options: TestGmailOptions) {
    this.host = options.ipv6 ? '[::1]' : '127.0.0.1';
    this.keepBodies = options.keepBodies ?? true;
    this.replyDelayMs = options.replyDelayMs ?? 0;
    this.dataReplyDelayMs = options.dataReplyDelayMs;
    this.latencyMs = options.latencyMs ?? 0;
    this.server = this.createServer(options.tls);
    this.mailbox = options.mailbox;
    // smtp-server re-emits socket errors (e.g. a client resetting mid-transaction, which the
    // fault tests provoke on purpose); without a listener the EventEmitter would throw them.
    this.server.on('error', () => {});
    if (options.quickGreeting ?? true) this.greetAtOnce();
    // Raw TCP sockets, TLS or not (smtp-server upgrades them itself).
    this.server.server.on('connection', (socket: Socket) => {
      this.connectionCount++;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  get connections(): number {
    return this.connectionCount;
  }

  /**
   * The reply, after `replyDelayMs` (the logged-in account's own, else the server's) when set:
   * the server is "further away"; the end of the data after `dataReplyDelayMs` when that is set.
   * Timed with setTimeout, so fake timers move it too.
   */
  private answerLater<A extends unknown[]>(
    callback: (...args: A) => void,
    session: SMTPServerSession,
    override?: number,
  ): (...args: A) => void {
    const user = typeof session.user === 'string' ? this.accounts.get(session.user.toLowerCase()) : undefined;
    const delay = override ?? user?.replyDelayMs ?? this.replyDelayMs;
    if (delay <= 0) return callback;
    return (...args: A) => void setTimeout(() => callback(...args), delay);
  }

  private bindAddress(): string {
    return this.host === '[::1]' ? '::1' : this.host;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.listen(0, this.bindAddress(), () => {
        this.server.server.off('error', reject);
        this.port = (this.server.server.address() as AddressInfo).port;
        resolve();
      });
    });
    if (this.latencyMs > 0) this.port = await this.listenThroughRelay(this.port);
  }

  /**
   * A relay in front of the server that holds back everything the server writes by the
   * round trip (latencyMs): each reply, the greeting and the TLS handshake's answers reach the
   * client that much after its request, as over a real network. What the client writes goes
   * through at once. Timers of one duration fire in the order they were set, so bytes keep
   * their order. Returns the relay's port, which clients connect to.
   */
  private listenThroughRelay(serverPort: number): Promise<number> {
    const relay = createServer((client) => {
      this.sockets.add(client);
      const upstream = new Socket();
      this.sockets.add(upstream);
      const later = (work: () => void) => void setTimeout(work, this.latencyMs);
      upstream.connect(serverPort, this.bindAddress());
      client.on('data', (chunk) => upstream.write(chunk));
      client.on('end', () => upstream.end());
      upstream.on('data', (chunk) => later(() => client.writable && client.write(chunk)));
      upstream.on('end', () => later(() => client.end()));
      for (const [socket, other] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        socket.on('error', () => other.destroy());
        socket.once('close', () => {
          this.sockets.delete(socket);
          later(() => other.destroy());
        });
      }
    });
    this.relay = relay;
    return new Promise((resolve, reject) => {
      relay.once('error', reject);
      relay.listen(0, this.bindAddress(), () => {
        relay.off('error', reject);
        resolve((relay.address() as AddressInfo).port);
      });
    });
  }

  addAccount(account: TestGmailAccount): void {
    const known = this.accounts.has(account.email.toLowerCase());
    this.accounts.set(account.email.toLowerCase(), { ...account });
    const mailbox = this.mailbox;
    if (!mailbox) return;
    if (known) this.track(mailbox.setPassword(account.email, account.appPassword));
    else
      this.inMailbox(account.email, () =>
        mailbox.addUser(account.email, account.appPassword, account.mailboxLanguage ? { language: account.mailboxLanguage } : {}),
      );
  }

  setPassword(email: string, appPassword: string): void {
    this.account(email).appPassword = appPassword;
    // An app password opens IMAP as well as SMTP: revoked, both refuse it (after mailboxIdle()).
    if (this.mailbox) this.track(this.mailbox.setPassword(email, appPassword));
  }

  /** Counts `work` among what mailboxIdle() waits for. */
  private track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => {
      this.mailboxFailure ??= error instanceof Error ? error : new Error(String(error));
    });
    this.pendingDeliveries.add(tracked);
    void tracked.finally(() => this.pendingDeliveries.delete(tracked));
  }

  setDailyLimit(email: string, limit: number): void {
    this.account(email).dailyLimit = limit;
  }

  resetDay(): void {
    this.sentToday.clear();
  }

  fail(rule: FaultRule): void {
    this.rules.push(activeRule(rule));
  }

  clearFaults(): void {
    this.rules = [];
  }

  onReceived(listener: ((message: AcceptedMessage) => void) | undefined): void {
    this.receivedListener = listener;
  }

  observe(listener: ((event: SessionEvent) => void) | undefined): void {
    this.observer = listener;
  }

  acceptedBy(account: string): AcceptedMessage[] {
    return this.accepted.filter((m) => sameAddress(m.account, account));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await new Promise<void>((resolve) => {
        this.relay?.close();
        this.server.close(() => resolve());
        // smtp-server would otherwise give open sessions a 30 s grace period.
        for (const socket of this.sockets) socket.destroy();
      });
      await Promise.allSettled([...this.pendingDeliveries]);
      for (const session of this.mailboxSessions.values()) {
        await session.then((s) => s.logout()).catch(() => undefined);
      }
    })();
    return this.closing;
  }

  // --- The mailbox ---

  setClock(now: () => number): void {
    this.now = now;
  }

  bounce(rule: BounceRule): void {
    if (!this.mailbox) throw new Error('test Gmail: bounce() needs a mailbox (startTestGmail({ mailbox }))');
    if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0))
      throw new Error(`bounce times must be ≥ 1: ${rule.times}`);
    this.bounceRules.push({ ...rule, remaining: rule.times ?? Infinity });
  }

  deliver(account: string, raw: string, options: { at?: number } = {}): Promise<void> {
    const at = options.at ?? this.now();
    return this.inMailbox(account, async (session) => {
      await (await session()).append('INBOX', raw, [], new Date(at));
    });
  }

  answer(message: AcceptedMessage, form: SampleForm, values: Partial<SampleValues> = {}): Promise<void> {
    const to = message.envelope.to[0] ?? 'someone@example.com';
    const unsubscribe = /<mailto:([^?>]+)/.exec(message.headers.get('list-unsubscribe') ?? '')?.[1];
    const raw = sampleMail(form, {
      ACCOUNT: message.account,
      RCPT: to,
      REPLIER: to,
      ORIGINAL_MESSAGE_ID: message.messageId ?? '<none@example.com>',
      ORIGINAL_SUBJECT: message.headers.get('subject') ?? '',
      ORIGINAL_HEADERS: headerBlock(message.raw),
      DATE: mailDate(this.now()),
      ...(unsubscribe ? { TOKEN_ADDRESS: unsubscribe } : {}),
      ...values,
    });
    return this.deliver(message.account, raw);
  }

  sendOutside(account: string, message: { to: string[]; cc?: string[]; bcc?: string[]; at?: number; subject?: string }): Promise<void> {
    const at = message.at ?? this.now();
    const id = `<${Math.random().toString(36).slice(2)}${Date.now().toString(36)}@mail.gmail.com>`;
    const raw = [
      `From: ${account}`,
      `To: ${message.to.join(', ')}`,
      ...(message.cc?.length ? [`Cc: ${message.cc.join(', ')}`] : []),
      // Gmail keeps Bcc in the sender's copy.
      ...(message.bcc?.length ? [`Bcc: ${message.bcc.join(', ')}`] : []),
      `Subject: ${message.subject ?? 'Sent from Gmail'}`,
      `Date: ${mailDate(at)}`,
      `Message-ID: ${id}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8',
      '',
      'Written in Gmail, not in Trickle.',
      '',
    ].join('\r\n');
    return this.inMailbox(account, async (session) => {
      await (await session()).append(this.mailbox!.sentMailbox(account), raw, ['\\Seen'], new Date(at));
    });
  }

  async mailboxIdle(): Promise<void> {
    while (this.pendingDeliveries.size > 0) await Promise.allSettled([...this.pendingDeliveries]);
    if (this.mailboxFailure) throw this.mailboxFailure;
  }

  /**
   * Runs `work` on the account's mailbox after what was queued before it (after `delayMs` of real
   * time), tracked until done. `session()` is the account's one IMAP session, opened on first use:
   * the first job (addAccount's) creates the user before anything logs in as it.
   */
  private inMailbox(account: string, work: (session: () => Promise<ImapFlow>) => Promise<void>, delayMs = 0): Promise<void> {
    const mailbox = this.mailbox;
    if (!mailbox) return Promise.reject(new Error('test Gmail: no mailbox (startTestGmail({ mailbox }))'));
    if (delayMs > 0) {
      // Queued only once the time has passed, so it holds up nothing queued meanwhile.
      const later = new Promise((resolve) => setTimeout(resolve, delayMs)).then(() => this.inMailbox(account, work));
      const tracked = later.catch(() => undefined);
      this.pendingDeliveries.add(tracked);
      void tracked.finally(() => this.pendingDeliveries.delete(tracked));
      return later;
    }
    const key = account.toLowerCase();
    const previous = this.mailboxQueues.get(key) ?? Promise.resolve();
    const session = () => {
      let opened = this.mailboxSessions.get(key);
      if (!opened) {
        opened = mailbox.session(key);
        this.mailboxSessions.set(key, opened);
      }
      return opened;
    };
    const run = (async () => {
      await previous.catch(() => undefined);
      await work(session);
    })();
    const tracked = run.catch((error: unknown) => {
      this.mailboxFailure ??= error instanceof Error ? error : new Error(String(error));
    });
    this.mailboxQueues.set(key, tracked);
    this.pendingDeliveries.add(tracked);
    void tracked.finally(() => this.pendingDeliveries.delete(tracked));
    return run;
  }

  /** After a 250: the copy in Sent Mail, and any scripted failure notice. */
  private afterAccepted(message: AcceptedMessage): void {
    if (!this.mailbox) return;
    const at = this.now();
    const mailbox = this.mailbox;
    void this.inMailbox(message.account, async (session) => {
      await (await session()).append(mailbox.sentMailbox(message.account), message.raw, ['\\Seen'], new Date(at));
    }).catch(() => undefined);
    for (const rcpt of message.envelope.to) {
      const index = this.bounceRules.findIndex((r) => sameAddress(r.rcpt, rcpt));
      const rule = this.bounceRules[index];
      if (!rule) continue;
      if (--rule.remaining <= 0) this.bounceRules.splice(index, 1);
      const form = rule.form ?? 'gmail-dsn';
      const raw = sampleMail(form, {
        ACCOUNT: message.account,
        RCPT: rcpt,
        ORIGINAL_MESSAGE_ID: message.messageId ?? '<none@example.com>',
        ORIGINAL_SUBJECT: message.headers.get('subject') ?? '',
        ORIGINAL_HEADERS: headerBlock(message.raw),
        DATE: mailDate(at),
        ...(rule.status ? { STATUS: rule.status } : {}),
        ...(rule.diagnostic ? { DIAGNOSTIC: rule.diagnostic } : {}),
      });
      void this.inMailbox(
        message.account,
        async (session) => {
          await (await session()).append('INBOX', raw, [], new Date(at + (rule.delayMs ?? 0)));
        },
        rule.delayMs ?? 0,
      ).catch(() => undefined);
    }
  }

  /** Connections enter the server's set just before their init(): each gets an init without the wait. */
  private greetAtOnce(): void {
    type Connection = { init(): void; connectionReady(): void; _setListeners(ready: () => void): void };
    const connections = this.server.connections as unknown as Set<Connection>;
    const add = connections.add.bind(connections);
    connections.add = (connection: Connection) => {
      connection.init = () => connection._setListeners(() => connection.connectionReady());
      return add(connection);
    };
  }

  // --- SMTP session handlers ---

  private onConnect(session: SMTPServerSession, callback: Callback): void {
    const fault = this.takeFault('connect', {});
    if (fault) {
      this.applyFault(fault, session, callback);
      return;
    }
    callback();
  }

  private onAuth(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ): void {
    const username = auth.username ?? '';
    const known = this.accounts.get(username.toLowerCase());
    const attempt = { account: known?.email ?? username, ok: false, at: Date.now() };
    this.logins.push(attempt);

    // Scripted faults come first: Gmail says "application-specific password required" whatever was typed.
    const fault = this.takeFault('auth', { account: username });
    if (fault) {
      this.applyFault(fault, session, callback);
      return;
    }
    if (!known || auth.password !== known.appPassword) {
      callback(replyError(GMAIL_REPLIES.badCredentials));
      return;
    }

    attempt.ok = true;
    callback(null, { user: known.email });
  }

  private onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, callback: Callback): void {
    const account = sessionAccount(session);
    const fault = this.takeFault('mail', { account });
    if (fault) {
      this.applyFault(fault, session, callback);
      return;
    }
    if (!sameAddress(address.address, account)) {
      callback(replyError(GMAIL_REPLIES.senderNotOwned));
      return;
    }

    const limit = this.accounts.get(account.toLowerCase())?.dailyLimit;
    const limitReached = limit !== undefined && this.sentTodayBy(account) >= limit;
    callback(limitReached ? replyError(GMAIL_REPLIES.dailyLimit) : null);
  }

  private onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: Callback): void {
    const fault = this.takeFault('rcpt', { account: sessionAccount(session), rcpts: [address.address] });
    if (fault) {
      this.applyFault(fault, session, callback);
      return;
    }
    callback();
    this.observer?.({ point: 'rcpt', account: sessionAccount(session), rcpts: [address.address] });
  }

  private onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void): void {
    const account = sessionAccount(session);
    const envelope = {
      from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      to: session.envelope.rcptTo.map((r) => r.address),
    };
    const fault = this.takeFault('data', { account, rcpts: envelope.to });
    if (fault && 'drop' in fault && fault.drop === 'before-data') {
      this.dropConnection(session);
      return;
    }

    // Replies for DATA only go out once the whole message (up to the final dot) has arrived.
    const chunks: Buffer[] = [];
    let size = 0;
    let cut = false;
    stream.on('data', (chunk: Buffer) => {
      if (cut) return;
      if (fault && 'drop' in fault && fault.drop === 'mid-data') {
        cut = true;
        return this.dropConnection(session);
      }
      size += chunk.length;
      // Without bodies, the first 64 KB are enough for the header block.
      if (this.keepBodies || size - chunk.length < 65_536) chunks.push(chunk);
      this.observer?.({ point: 'data-chunk', account, rcpts: envelope.to });
    });
    stream.on('end', () => {
      if (cut) return;
      const received = Buffer.concat(chunks);
      const headerEnd = received.indexOf('\r\n\r\n');
      // Without bodies, only the header bytes are decoded (a slice of a longer string would keep it all).
      const text = (this.keepBodies || headerEnd < 0 ? received : received.subarray(0, headerEnd)).toString('utf8');
      const message = receivedMessage(account, envelope, text, size);
      this.receivedListener?.(message);
      this.observer?.({ point: 'data-end', account, rcpts: envelope.to, messageId: message.messageId });
      if (fault && 'drop' in fault) {
        this.receivedButUnacknowledged.push(message);
        // Gmail had it whole: it goes out, and its copy is in Sent Mail, whatever the client heard.
        this.afterAccepted(message);
        return this.dropConnection(session);
      }
      if (fault && 'stall' in fault) {
        this.receivedButUnacknowledged.push(message);
        this.afterAccepted(message);
        return; // no reply, ever: close() destroys the socket
      }
      if (fault) {
        this.receivedButRefused.push({ ...message, reply: `${fault.reply.code} ${fault.reply.text}` });
        return callback(replyError(fault.reply));
      }
      if (stream.sizeExceeded) return callback(replyError(GMAIL_REPLIES.messageTooBig));

      this.accepted.push(message);
      this.sentToday.set(account.toLowerCase(), this.sentTodayBy(account) + 1);
      this.afterAccepted(message);
      callback(null, `2.0.0 OK ${Math.floor(message.at / 1000)} ${session.id} - gsmtp`);
      this.observer?.({ point: 'replied', account, rcpts: envelope.to, messageId: message.messageId });
    });
  }

  // --- helpers ---

  private account(email: string): TestGmailAccount {
    const account = this.accounts.get(email.toLowerCase());
    if (!account) throw new Error(`test Gmail: no account ${email}`);
    return account;
  }

  private sentTodayBy(account: string): number {
    return this.sentToday.get(account.toLowerCase()) ?? 0;
  }

  /** Finds the first rule for this stage and subject, and uses it up once. */
  private takeFault(stage: FaultStage, subject: FaultSubject): ParsedFault | undefined {
    const index = this.rules.findIndex((rule) => ruleMatches(rule, stage, subject));
    const rule = this.rules[index];
    if (!rule) return undefined;
    if (--rule.remaining <= 0) this.rules.splice(index, 1);
    return rule.fault;
  }

  /** A reply goes out through the handler's callback; a drop never calls it back, the socket just dies. */
  private applyFault(fault: ParsedFault, session: SMTPServerSession, callback: Callback): void {
    if ('reply' in fault) callback(replyError(fault.reply));
    else if ('drop' in fault) this.dropConnection(session);
  }

  private dropConnection(session: SMTPServerSession): void {
    // smtp-server hands handlers the session only; its connection (and socket) share the session's id.
    const connection = [...this.server.connections].find((c) => c.id === session.id);
    if (!connection) throw new Error(`test Gmail: no open connection for session ${session.id}`);
    connection._socket.destroy();
  }
}

function activeRule(rule: FaultRule): ActiveRule {
  const { stage, account, rcpt, times, fault } = rule;
  // A rule that can never match would make a test pass or fail for the wrong reason: refuse it.
  const invalid =
    (times !== undefined && !(Number.isInteger(times) && times > 0) && `fault times must be ≥ 1: ${times}`) ||
    (stage === 'connect' && account !== undefined && 'no account is known at the connect stage') ||
    (rcpt !== undefined && stage !== 'rcpt' && stage !== 'data' && `no recipient is known at the ${stage} stage`) ||
    ('drop' in fault && fault.drop === 'after-data' && stage !== 'data' && "'after-data' drops happen at the data stage") ||
    ('drop' in fault && fault.drop === 'mid-data' && stage !== 'data' && "'mid-data' drops happen at the data stage") ||
    ('stall' in fault && stage !== 'data' && 'stalls happen at the data stage');
  if (invalid) throw new Error(`test Gmail: ${invalid}`);
  return {
    stage,
    account,
    rcpt,
    remaining: times ?? Infinity,
    fault: 'reply' in fault ? { reply: parseReply(fault.reply) } : fault,
  };
}

/** What a stage knows about the session: the account (AUTH username at 'auth') and the recipients. */
interface FaultSubject {
  account?: string;
  rcpts?: string[];
}

function ruleMatches(rule: ActiveRule, stage: FaultStage, subject: FaultSubject): boolean {
  const { account, rcpt } = rule;
  return (
    rule.stage === stage &&
    (account === undefined || (subject.account !== undefined && sameAddress(account, subject.account))) &&
    (rcpt === undefined || (subject.rcpts ?? []).some((r) => sameAddress(r, rcpt)))
  );
}

function parseReply(line: string): SmtpReply {
  const match = /^([45]\d\d) (.+)$/.exec(line);
  if (!match) throw new Error(`a fault reply is '4xx|5xx text', got: ${JSON.stringify(line)}`);
  return { code: Number(match[1]), text: match[2]! };
}

function replyError(reply: SmtpReply | string): SmtpReplyError {
  const { code, text } = typeof reply === 'string' ? parseReply(reply) : reply;
  return Object.assign(new Error(text), { responseCode: code });
}

/** The logged-in account: onAuth stores its address as the session user, and AUTH is required before MAIL. */
function sessionAccount(session: SMTPServerSession): string {
  return String(session.user);
}

/** An RFC 5322 date, as mail headers carry it. */
function mailDate(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function receivedMessage(account: string, envelope: AcceptedMessage['envelope'], raw: string, size: number): AcceptedMessage {
  const headers = parseHeaders(raw);
  return { account, envelope, messageId: headers.get('message-id'), raw, size, headers, at: Date.now() };
}

/** Header block only; continuation lines unfolded (RFC 5322 §2.2.3), names lower-cased, first occurrence wins. */
function parseHeaders(raw: string): Map<string, string> {
  const end = raw.search(/\r?\n\r?\n/);
  const block = end < 0 ? raw : raw.slice(0, end);
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}
