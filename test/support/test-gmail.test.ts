/**
 * Proves the test Gmail answers like Gmail, using nodemailer as the engine does: a pool with one
 * connection per account and no requeueing inside nodemailer.
 *
 * What nodemailer 10.6 reports for each case, as observed against this server (the tests below assert one
 * case of each kind, so the table cannot silently go stale):
 *
 * | case                                      | err.code    | err.responseCode | err.command  |
 * |-------------------------------------------|-------------|------------------|--------------|
 * | wrong password / unknown user (535 5.7.8) | EAUTH       | 535              | 'AUTH PLAIN' |
 * | the same with authMethod 'LOGIN'          | EAUTH       | 535              | 'AUTH LOGIN' |
 * | scripted 534 5.7.9 / 454 4.7.0 at AUTH    | EAUTH       | 534 / 454        | 'AUTH PLAIN' |
 * | 421 4.7.0 instead of the greeting         | EPROTOCOL   | 421              | 'CONN'       |
 * | sender not the account (553 5.7.1)        | EENVELOPE   | 553              | 'MAIL FROM'  |
 * | daily limit reached (550 5.4.5)           | EENVELOPE   | 550              | 'MAIL FROM'  |
 * | 421 4.7.28 at MAIL FROM                   | EENVELOPE   | 421              | 'MAIL FROM'  |
 * | 450 4.2.1 at RCPT                         | EENVELOPE   | 450              | 'RCPT TO'    |
 * | 550 5.1.1 at RCPT                         | EENVELOPE   | 550              | 'RCPT TO'    |
 * | 421 4.7.28 at RCPT (!)                    | ECONNECTION | 421              | 'CONN'       |
 * | 552 5.3.4 after DATA                      | EMESSAGE    | 552              | 'DATA'       |
 * | drop before data (at AUTH/MAIL/RCPT/DATA) | ECONNECTION | undefined        | 'CONN'       |
 * | drop after data (final dot sent)          | ECONNECTION | undefined        | 'CONN'       |
 * | drop instead of the greeting (pooled)     | ECONNECTION | undefined        | undefined    |
 *
 * - err.response is the server's reply line verbatim whenever there is a reply (e.g. '550 5.4.5 Daily user
 *   sending limit exceeded. …'), undefined for a drop. err.message prefixes it ('Invalid login: ', 'Mail
 *   command failed: ', "Can't send mail - all recipients were rejected: ", 'Message failed: ', and for the
 *   greeting 'Invalid greeting. response=<line>: <line>'); for a drop it is 'Connection closed unexpectedly'.
 * - err.permanent is set whenever responseCode is: true for 5xx, false for 4xx.
 * - A 421 (the server hangs up) at MAIL FROM or after DATA arrives as that command's error (EENVELOPE,
 *   EMESSAGE); at RCPT nodemailer fails the send from its connection-closing path instead: ECONNECTION,
 *   command 'CONN', message 'Server closed the connection: <line>', yet with responseCode 421 and the
 *   response. So err.code alone does not separate a lost connection from a 421: look at responseCode.
 * - A rejected RCPT also sets err.rejected = [address]. With several recipients of which only some are
 *   rejected, sendMail resolves and lists them in info.rejected instead.
 * - Every dropped connection looks the same (ECONNECTION, command 'CONN'), whatever the stage: only the
 *   transport's log ("tnx: 'message'" once the final dot is written) tells before-data from after-data.
 * - A drop instead of the greeting: through the pool the message is 'Reached maximum number of retries
 *   after connection was closed' and there is no err.command; without a pool it is 'Connection closed
 *   unexpectedly' with command 'CONN'.
 */
import { once } from 'node:events';
import net from 'node:net';
import nodemailer from 'nodemailer';
import type { NodemailerError, SendMailOptions, SMTPPoolOptions, Transporter } from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GMAIL_REPLIES, startTestGmail, type TestGmail, type TestGmailAccount } from './test-gmail';
import { TEST_TLS } from './test-tls';

const ALICE: TestGmailAccount = { email: 'alice@gmail.com', appPassword: 'abcd efgh ijkl mnop' };
const BOB: TestGmailAccount = { email: 'bob@gmail.com', appPassword: 'bbbb cccc dddd eeee' };

let gmail: TestGmail;
let transports: Transporter[] = [];

beforeEach(async () => {
  gmail = await startTestGmail({ accounts: [ALICE, BOB] });
});

afterEach(async () => {
  for (const transport of transports) transport.close();
  transports = [];
  await gmail.close();
});

/** A transport configured like the engine's per-account pool. */
function transportFor(account: { email: string; appPassword: string }, options: Partial<SMTPPoolOptions> = {}): Transporter {
  const transport = nodemailer.createTransport({
    host: gmail.host,
    port: gmail.port,
    secure: false,
    ignoreTLS: true,
    auth: { user: account.email, pass: account.appPassword },
    pool: true,
    maxConnections: 1,
    maxRequeues: 0,
    ...options,
  });
  transports.push(transport);
  return transport;
}

type Failure = Pick<NodemailerError, 'code' | 'command' | 'responseCode' | 'response'>;

/** The fields of a failed send that the engine classifies, for checking what is absent too. */
async function failureOf(sending: Promise<unknown>): Promise<Failure> {
  const error = await sending.then(
    () => expect.fail('the send should have failed'),
    (e: unknown) => e as NodemailerError,
  );
  return { code: error.code, command: error.command, responseCode: error.responseCode, response: error.response };
}

function mail(overrides: SendMailOptions = {}): SendMailOptions {
  return { from: ALICE.email, to: 'carol@example.com', subject: 'Hello', text: 'Hi Carol', ...overrides };
}

describe('test Gmail: accepting mail', () => {
  it('records an accepted message with its account, envelope, Message-ID and unfolded headers', async () => {
    const subject = 'A subject long enough that nodemailer folds it over more than one line of the header';
    const info = await transportFor(ALICE).sendMail(
      mail({ messageId: '<m1@trickle.test>', to: ['carol@example.com', 'dave@example.com'], subject }),
    );

    expect(info.response).toMatch(/^250 2\.0\.0 OK /);
    expect(gmail.accepted).toHaveLength(1);
    const message = gmail.accepted[0]!;
    expect(message).toMatchObject({
      account: ALICE.email,
      envelope: { from: ALICE.email, to: ['carol@example.com', 'dave@example.com'] },
      messageId: '<m1@trickle.test>',
    });
    expect(message.raw).toMatch(/\r\nSubject: A subject long enough .*\r\n /); // folded on the wire...
    expect(message.headers.get('subject')).toBe(subject); // ...unfolded here
    expect(message.raw).toContain('Hi Carol');
    expect(gmail.acceptedBy('ALICE@gmail.com')).toEqual([message]);
    expect(gmail.logins).toEqual([{ account: ALICE.email, ok: true, at: expect.any(Number) }]);
  });

  it('accepts AUTH LOGIN as well as AUTH PLAIN', async () => {
    await transportFor(BOB, { authMethod: 'LOGIN' }).sendMail(mail({ from: BOB.email }));
    expect(gmail.acceptedBy(BOB.email)).toHaveLength(1);
  });

  it('sends many messages over one pooled login', async () => {
    const transport = transportFor(ALICE);
    await Promise.all([1, 2, 3, 4, 5].map((n) => transport.sendMail(mail({ subject: `Message ${n}` }))));

    expect(gmail.acceptedBy(ALICE.email)).toHaveLength(5);
    expect(gmail.logins).toHaveLength(1);
    expect(gmail.connections).toBe(1);
  });

  it('carries a message of a few megabytes', async () => {
    const attachment = Buffer.alloc(3 * 1024 * 1024, 'x');
    await transportFor(ALICE).sendMail(mail({ attachments: [{ filename: 'big.txt', content: attachment }] }));
    expect(gmail.accepted[0]!.raw.length).toBeGreaterThan(4 * 1024 * 1024); // base64 grows it by a third
  });
});

describe('test Gmail: Gmail-like refusals', () => {
  it('answers 535 5.7.8 to a wrong password, an unknown user and a revoked app password', async () => {
    const badCredentials = {
      code: 'EAUTH',
      responseCode: 535,
      command: 'AUTH PLAIN',
      response: GMAIL_REPLIES.badCredentials,
    };
    const wrongPassword = transportFor({ ...ALICE, appPassword: 'wrong' });
    await expect(wrongPassword.sendMail(mail())).rejects.toMatchObject(badCredentials);
    await expect(
      transportFor({ email: 'nobody@gmail.com', appPassword: 'x' }).sendMail(mail({ from: 'nobody@gmail.com' })),
    ).rejects.toMatchObject(badCredentials);

    gmail.setPassword(ALICE.email, 'a new one');
    await expect(transportFor(ALICE).sendMail(mail())).rejects.toMatchObject(badCredentials);

    expect(gmail.logins.map((l) => [l.account, l.ok])).toEqual([
      [ALICE.email, false],
      ['nobody@gmail.com', false],
      [ALICE.email, false],
    ]);
    expect(gmail.accepted).toEqual([]);
  });

  it('answers 553 5.7.1 when MAIL FROM is not the logged-in account', async () => {
    await expect(transportFor(ALICE).sendMail(mail({ from: BOB.email }))).rejects.toMatchObject({
      code: 'EENVELOPE',
      responseCode: 553,
      command: 'MAIL FROM',
      response: GMAIL_REPLIES.senderNotOwned,
    });
  });

  it('answers 550 5.4.5 at MAIL FROM once the daily limit is reached, until the day is reset', async () => {
    gmail.setDailyLimit(ALICE.email, 2);
    const transport = transportFor(ALICE);
    await transport.sendMail(mail());
    await transport.sendMail(mail());

    const refused = transport.sendMail(mail());
    await expect(refused).rejects.toMatchObject({
      code: 'EENVELOPE',
      responseCode: 550,
      command: 'MAIL FROM',
      response: expect.stringContaining('5.4.5'),
      permanent: true,
    });
    // Other accounts have their own count.
    await transportFor(BOB).sendMail(mail({ from: BOB.email }));

    gmail.resetDay();
    await transport.sendMail(mail());
    expect(gmail.acceptedBy(ALICE.email)).toHaveLength(3);
  });
});

describe('test Gmail: scripted faults', () => {
  it("refuses the greeting with 421 and closes the connection (fault at 'connect')", async () => {
    gmail.fail({ stage: 'connect', fault: { reply: GMAIL_REPLIES.tryAgainLater } });

    const socket = net.connect(gmail.port, gmail.host);
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    await once(socket, 'close');
    expect(received).toBe(`${GMAIL_REPLIES.tryAgainLater}\r\n`);

    await expect(transportFor(ALICE).sendMail(mail())).rejects.toMatchObject({
      code: 'EPROTOCOL',
      responseCode: 421,
      command: 'CONN',
      response: GMAIL_REPLIES.tryAgainLater,
    });
    expect(gmail.connections).toBe(2);
    expect(gmail.logins).toEqual([]);
  });

  it("answers AUTH with a scripted 534, consumed after `times` uses (fault at 'auth')", async () => {
    gmail.fail({ stage: 'auth', account: ALICE.email, times: 1, fault: { reply: GMAIL_REPLIES.appPasswordRequired } });

    await expect(transportFor(ALICE).sendMail(mail())).rejects.toMatchObject({
      code: 'EAUTH',
      responseCode: 534,
      command: 'AUTH PLAIN',
      response: GMAIL_REPLIES.appPasswordRequired,
    });
    await transportFor(ALICE).sendMail(mail());
    expect(gmail.logins.map((l) => l.ok)).toEqual([false, true]);
  });

  it("answers RCPT with 450 4.2.1 (fault at 'rcpt')", async () => {
    gmail.fail({ stage: 'rcpt', fault: { reply: GMAIL_REPLIES.recipientRateLimited } });
    await expect(transportFor(ALICE).sendMail(mail())).rejects.toMatchObject({
      code: 'EENVELOPE',
      responseCode: 450,
      command: 'RCPT TO',
      response: GMAIL_REPLIES.recipientRateLimited,
      permanent: false,
      rejected: ['carol@example.com'],
    });
  });

  it('answers RCPT with 421 4.7.28, which nodemailer reports as a closed connection carrying the reply', async () => {
    gmail.fail({ stage: 'rcpt', fault: { reply: GMAIL_REPLIES.unsolicitedRate } });
    expect(await failureOf(transportFor(ALICE).sendMail(mail()))).toEqual({
      code: 'ECONNECTION',
      command: 'CONN',
      responseCode: 421,
      response: GMAIL_REPLIES.unsolicitedRate,
    });
  });

  it('answers 550 5.1.1 for one recipient only, and the same connection goes on', async () => {
    gmail.fail({ stage: 'rcpt', rcpt: 'Nobody@Example.com', fault: { reply: GMAIL_REPLIES.noSuchUser } });
    const transport = transportFor(ALICE);

    await expect(transport.sendMail(mail({ to: 'nobody@example.com' }))).rejects.toMatchObject({
      code: 'EENVELOPE',
      responseCode: 550,
      command: 'RCPT TO',
      response: GMAIL_REPLIES.noSuchUser,
      permanent: true,
    });
    await transport.sendMail(mail({ to: 'carol@example.com' }));
    expect(gmail.accepted.map((m) => m.envelope.to)).toEqual([['carol@example.com']]);
    expect(gmail.connections).toBe(1);
  });

  it("answers 552 5.3.4 after the whole message (fault at 'data')", async () => {
    gmail.fail({ stage: 'data', fault: { reply: GMAIL_REPLIES.messageTooBig } });
    await expect(transportFor(ALICE).sendMail(mail())).rejects.toMatchObject({
      code: 'EMESSAGE',
      responseCode: 552,
      command: 'DATA',
      response: GMAIL_REPLIES.messageTooBig,
    });
    expect(gmail.accepted).toEqual([]);
    expect(gmail.receivedButUnacknowledged).toEqual([]);
    expect(gmail.receivedButRefused.map((m) => [m.envelope.to, m.reply])).toEqual([[['carol@example.com'], GMAIL_REPLIES.messageTooBig]]);
  });

  it('tells a listener when the data has arrived, before answering it', async () => {
    const seen: { messageId: string | undefined; acceptedSoFar: number }[] = [];
    gmail.onReceived((m) => seen.push({ messageId: m.messageId, acceptedSoFar: gmail.accepted.length }));
    await transportFor(ALICE).sendMail(mail({ messageId: '<m1@trickle.test>' }));
    expect(seen).toEqual([{ messageId: '<m1@trickle.test>', acceptedSoFar: 0 }]);
    expect(gmail.accepted).toHaveLength(1);
  });

  it('without bodies, keeps each message’s headers and size only', async () => {
    const lean = await startTestGmail({ accounts: [ALICE], keepBodies: false });
    try {
      const body = 'x'.repeat(200_000);
      const transport = nodemailer.createTransport({
        host: lean.host,
        port: lean.port,
        secure: false,
        ignoreTLS: true,
        auth: { user: ALICE.email, pass: ALICE.appPassword },
      });
      transports.push(transport);
      await transport.sendMail(mail({ text: body, messageId: '<big@trickle.test>' }));
      const [m] = lean.accepted;
      expect(m!.messageId).toBe('<big@trickle.test>');
      expect(m!.headers.get('subject')).toBe('Hello');
      expect(m!.raw).not.toContain('xxxx');
      expect(m!.size).toBeGreaterThan(200_000);
    } finally {
      await lean.close();
    }
  });

  it('drops the connection before the message data: a connection error, nothing received', async () => {
    gmail.fail({ stage: 'rcpt', fault: { drop: 'before-data' } });
    expect(await failureOf(transportFor(ALICE).sendMail(mail()))).toEqual({
      code: 'ECONNECTION',
      command: 'CONN',
      responseCode: undefined,
      response: undefined,
    });
    expect(gmail.accepted).toEqual([]);
    expect(gmail.receivedButUnacknowledged).toEqual([]);
  });

  it('drops the connection after the message data: a connection error, the message possibly delivered', async () => {
    gmail.fail({ stage: 'data', fault: { drop: 'after-data' } });
    expect(await failureOf(transportFor(ALICE).sendMail(mail({ messageId: '<m2@trickle.test>' })))).toEqual({
      code: 'ECONNECTION',
      command: 'CONN',
      responseCode: undefined,
      response: undefined,
    });
    expect(gmail.accepted).toEqual([]);
    expect(gmail.receivedButUnacknowledged.map((m) => m.messageId)).toEqual(['<m2@trickle.test>']);
  });

  it('drops the connection instead of the greeting: through the pool, an ECONNECTION without a command', async () => {
    gmail.fail({ stage: 'connect', times: 1, fault: { drop: 'before-data' } });
    expect(await failureOf(transportFor(ALICE).sendMail(mail()))).toEqual({
      code: 'ECONNECTION',
      command: undefined,
      responseCode: undefined,
      response: undefined,
    });
  });

  it('uses the first matching rule, scoped by account, and removes it when used up', async () => {
    gmail.fail({ stage: 'mail', account: BOB.email, fault: { reply: GMAIL_REPLIES.temporarilyRejected } });
    gmail.fail({ stage: 'mail', times: 2, fault: { reply: GMAIL_REPLIES.unsolicitedRate } });
    gmail.fail({ stage: 'mail', fault: { reply: GMAIL_REPLIES.likelySpam } });

    const responseCodeOf = (account: TestGmailAccount) =>
      transportFor(account)
        .sendMail(mail({ from: account.email }))
        .then(
          () => 250,
          (e: { responseCode?: number }) => e.responseCode,
        );
    expect(await responseCodeOf(BOB)).toBe(451);
    expect(await responseCodeOf(ALICE)).toBe(421);
    expect(await responseCodeOf(ALICE)).toBe(421);
    expect(await responseCodeOf(ALICE)).toBe(550);
    gmail.clearFaults();
    expect(await responseCodeOf(ALICE)).toBe(250);
  });

  it('rejects rules that cannot fire', () => {
    expect(() => gmail.fail({ stage: 'rcpt', fault: { drop: 'after-data' } })).toThrow(/data stage/);
    expect(() => gmail.fail({ stage: 'mail', rcpt: 'x@example.com', fault: { reply: '550 5.1.1 x' } })).toThrow(/recipient/);
    expect(() => gmail.fail({ stage: 'rcpt', fault: { reply: 'nope' } })).toThrow(/4xx\|5xx/);
    expect(() => gmail.fail({ stage: 'rcpt', times: 0, fault: { reply: '550 x' } })).toThrow(/times/);
  });
});

describe('test Gmail: close()', () => {
  it('resolves at once even with a pooled connection still open', async () => {
    await transportFor(ALICE).sendMail(mail());
    const started = Date.now();
    await gmail.close();
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('test Gmail: as far away as Gmail (the bench)', () => {
  const LATENCY_MS = 20;
  const DATA_MS = 60;

  async function farGmail(): Promise<TestGmail> {
    return startTestGmail({ accounts: [ALICE], tls: TEST_TLS, latencyMs: LATENCY_MS, dataReplyDelayMs: DATA_MS });
  }

  function tlsTransport(far: TestGmail, ca: string | undefined): Transporter {
    const transport = nodemailer.createTransport({
      host: far.host,
      port: far.port,
      secure: true,
      ...(ca ? { tls: { ca: [ca] } } : {}),
      auth: { user: ALICE.email, pass: ALICE.appPassword },
      pool: true,
      maxConnections: 1,
    });
    transports.push(transport);
    return transport;
  }

  it('speaks implicit TLS: a client that trusts the test certificate sends, one that does not is refused', async () => {
    const far = await farGmail();
    try {
      const refused = await tlsTransport(far, undefined)
        .sendMail(mail())
        .then(
          () => 'sent',
          (e: { code?: string }) => e.code,
        );
      expect(refused).toMatch(/CERT|ESOCKET/);
      expect(far.accepted).toEqual([]);
      const info = await tlsTransport(far, TEST_TLS.cert).sendMail(mail({ messageId: '<tls@trickle.test>' }));
      expect(info.response).toMatch(/^250 /);
      expect(far.accepted.map((m) => m.messageId)).toEqual(['<tls@trickle.test>']);
    } finally {
      await far.close();
    }
  });

  it('answers every command a round trip late, and the message data later still', async () => {
    const far = await farGmail();
    try {
      const transport = tlsTransport(far, TEST_TLS.cert);
      // A fresh connection: greeting, EHLO, AUTH, MAIL, RCPT, DATA, each a round trip, then the
      // round trip and the server's own time for the data (the TLS handshake adds more).
      let started = performance.now();
      await transport.sendMail(mail());
      expect(performance.now() - started).toBeGreaterThanOrEqual(7 * LATENCY_MS + DATA_MS);
      // The same connection again: MAIL, RCPT, DATA and the data.
      started = performance.now();
      await transport.sendMail(mail());
      expect(performance.now() - started).toBeGreaterThanOrEqual(4 * LATENCY_MS + DATA_MS);
      expect(far.accepted).toHaveLength(2);
      expect(far.connections).toBe(1);
    } finally {
      await far.close();
    }
  });
});
