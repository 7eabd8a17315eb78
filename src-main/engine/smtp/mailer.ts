import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable, pipeline } from 'node:stream';
import nodemailer from 'nodemailer';
import type { SMTPPoolOptions, SendMailOptions, Transporter } from 'nodemailer';
import { type ClassifiedReply, classifySmtpError, type SmtpErrorLike } from './server-replies';
import type { AccountSecurity } from '../db/schema';

/** How to reach an account's SMTP server. The password is plaintext here and nowhere else. */
export interface SmtpAccount {
  id: number;
  email: string;
  password: string;
  host: string;
  port: number;
  security: AccountSecurity;
}

/**
 * Builds a nodemailer transport from options. Injected so tests can shorten timeouts; the
 * engine always talks to a real SMTP server through it.
 */
export type TransportFactory = (options: SMTPPoolOptions) => Transporter;

export const createNodemailerTransport: TransportFactory = (options) => nodemailer.createTransport(options);

export type SendResult = { ok: true; response: string } | { ok: false; reply: ClassifiedReply };

interface PooledTransport {
  fingerprint: string;
  transporter: Transporter;
  /** Set by the transport's log when the message data, final dot included, has been written. */
  dataHandedOver: boolean;
  lastUsedAt: number;
  /** The current send's `dataMayGo`: the message data waits for it (the transport's stream plugin). */
  gate: Promise<void> | undefined;
}

/**
 * One pooled SMTP connection per account (maxConnections 1, reused across messages, so Gmail
 * sees few logins), messages never re-queued inside nodemailer (the outbox decides), idle
 * connections closed. Sends on one account are sequential, so the transport's log lines
 * between a send's start and end belong to that send.
 */
export class Mailer {
  private readonly pools = new Map<number, PooledTransport>();

  constructor(
    private readonly factory: TransportFactory = createNodemailerTransport,
    private readonly timeouts: { connectionMs: number; socketMs: number; idleMs: number } = {
      connectionMs: 30_000,
      socketMs: 60_000,
      idleMs: 60_000,
    },
  ) {}

  /**
   * Sends one message. With `dataMayGo`, the connection logs in and sends the envelope (MAIL,
   * RCPT, DATA) at once, but not a byte of the message itself until `dataMayGo` resolves: the
   * send path's start mark is flushed to disk during the envelope's round trips instead of
   * before them. If it rejects, the message never leaves (the connection is dropped before any
   * of its data) and send() throws that error rather than an SMTP result.
   */
  async send(account: SmtpAccount, mail: SendMailOptions, now: number, dataMayGo?: Promise<void>): Promise<SendResult> {
    const pool = this.poolFor(account);
    pool.dataHandedOver = false;
    pool.lastUsedAt = now;
    let held: { error: unknown } | undefined;
    pool.gate = dataMayGo?.then(
      () => undefined,
      (error: unknown) => {
        held = { error };
        throw error;
      },
    );
    // Reported through the send; a send that fails before its data must not leave it unhandled.
    pool.gate?.catch(() => undefined);
    try {
      const info = (await pool.transporter.sendMail(mail)) as { response?: string };
      return { ok: true, response: info.response ?? '250 OK' };
    } catch (error) {
      if (held) {
        this.close(account.id);
        throw held.error;
      }
      const reply = classifySmtpError(error as SmtpErrorLike, { dataHandedOver: pool.dataHandedOver });
      // A broken or refused connection is not reused: the next send logs in afresh.
      if (reply.action !== 'message_retry' && reply.action !== 'message_bounced' && reply.action !== 'message_failed') {
        this.close(account.id);
      }
      return { ok: false, reply };
    } finally {
      pool.gate = undefined;
    }
  }

  /** Logs in once (SMTP AUTH) on a fresh connection and reports what the server said. */
  async verify(account: SmtpAccount): Promise<{ ok: true } | { ok: false; reply: ClassifiedReply }> {
    const transporter = this.factory({ ...this.connectionOptions(account), pool: false } as SMTPPoolOptions);
    try {
      await transporter.verify();
      return { ok: true };
    } catch (error) {
      return { ok: false, reply: classifySmtpError(error as SmtpErrorLike, { dataHandedOver: false }) };
    } finally {
      transporter.close();
    }
  }

  /** Closes the account's connection, e.g. after its password changed or it was removed. */
  close(accountId: number): void {
    const pool = this.pools.get(accountId);
    if (!pool) return;
    this.pools.delete(accountId);
    pool.transporter.close();
  }

  /** Closes connections unused since `before`, so an idle app holds no logins open. */
  closeIdle(before: number): void {
    for (const [id, pool] of this.pools) if (pool.lastUsedAt < before) this.close(id);
  }

  closeAll(): void {
    for (const id of [...this.pools.keys()]) this.close(id);
  }

  private poolFor(account: SmtpAccount): PooledTransport {
    const fingerprint = JSON.stringify([account.email, account.password, account.host, account.port, account.security]);
    const existing = this.pools.get(account.id);
    if (existing?.fingerprint === fingerprint) return existing;
    if (existing) this.close(account.id);
    const pool: PooledTransport = { fingerprint, transporter: undefined as never, dataHandedOver: false, lastUsedAt: 0, gate: undefined };
    pool.transporter = this.factory({
      ...this.connectionOptions(account),
      pool: true,
      maxConnections: 1,
      maxMessages: 100,
      maxRequeues: 0,
      idleTimeout: this.timeouts.idleMs,
      logger: handoverLogger(() => {
        pool.dataHandedOver = true;
      }),
    });
    // Runs as each message is compiled, before the transport sends it; sends on one account
    // are sequential, so the gate in place is this message's.
    pool.transporter.use('stream', (mail, done) => {
      const gate = pool.gate;
      if (gate) mail.message.processFunc((data: Readable) => heldUntil(gate, data));
      done();
    });
    this.pools.set(account.id, pool);
    return pool;
  }

  private connectionOptions(account: SmtpAccount): SMTPPoolOptions {
    return {
      host: socketHost(account.host),
      port: account.port,
      secure: account.security === 'tls',
      requireTLS: account.security === 'starttls',
      ignoreTLS: account.security === 'none',
      auth: { user: account.email, pass: account.password },
      connectionTimeout: this.timeouts.connectionMs,
      greetingTimeout: this.timeouts.connectionMs,
      socketTimeout: this.timeouts.socketMs,
    };
  }
}

/** An IPv6 address is stored in brackets ("[::1]", as in a URL); a socket wants it bare. */
function socketHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * The message's data stream, passed on only once `gate` resolves; if it rejects, the stream
 * fails before its first byte (nodemailer then drops the connection without ending the data,
 * so the server delivers nothing). Nodemailer reads the stream after the server's 354.
 */
function heldUntil(gate: Promise<void>, data: Readable): Readable {
  const held = new PassThrough();
  gate.then(
    () => pipeline(data, held, () => undefined),
    () => {
      data.destroy();
      // An error of its own: nodemailer rewrites the code of the error it is given.
      held.destroy(new Error('The message was held back: its start mark could not be stored.'));
    },
  );
  return held;
}

/**
 * A nodemailer logger that prints nothing (so no password or address reaches a log) and
 * notices the one line that matters: nodemailer logs `tnx: 'message'` with byte counts when
 * the message stream, final dot included, has been written to the socket.
 */
function handoverLogger(onHandedOver: () => void) {
  const ignore = () => {};
  return {
    trace: ignore,
    debug: ignore,
    warn: ignore,
    error: ignore,
    fatal: ignore,
    info(entry: unknown) {
      const e = entry as { tnx?: string; inByteCount?: number } | undefined;
      if (e?.tnx === 'message' && typeof e.inByteCount === 'number') onHandedOver();
    },
  };
}

/**
 * Rehearsal: renders the exact message nodemailer would send and appends it to the campaign's
 * own log file, so a campaign can be rehearsed end to end without sending anything. One file
 * per campaign (`rehearsals/campaign-<id>.log` in the data folder), readable only by the user.
 */
export class RehearsalLog {
  private readonly transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  constructor(private readonly folder: string) {}

  /** Where a campaign's rehearsed messages are written. */
  fileOf(campaignId: number): string {
    return join(this.folder, `campaign-${campaignId}.log`);
  }

  async write(campaignId: number, mail: SendMailOptions, now: number): Promise<void> {
    const info = (await this.transporter.sendMail(mail)) as { message: Buffer };
    const separator = `\n===== rehearsal ${new Date(now).toISOString()} =====\n`;
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    // Synchronous: a few kilobytes, and the entry is complete before the outcome is recorded.
    appendFileSync(this.fileOf(campaignId), `${separator + info.message.toString('utf8')}\n`, { mode: 0o600 });
  }
}
