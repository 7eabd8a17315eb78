import { describe, expect, it } from 'vitest';
import { type ClassifiedReply, classifySmtpError, parseReply, type ReplyAction, type SmtpErrorLike } from './server-replies';

/**
 * Every row of PRODUCT.md §5, with errors shaped exactly as nodemailer 10.6 builds them
 * (smtp-connection `_formatError`): `code` is the error type, `response` the server's reply
 * line verbatim, `responseCode` its leading number, `command` what it answered, and `message`
 * a prefix such as 'Mail command failed' followed by ': ' and the reply.
 */
function nodemailerError(prefix: string, code: string, response: string | false, command: string): SmtpErrorLike {
  const error: SmtpErrorLike = { code, command, message: response ? `${prefix}: ${response}` : prefix };
  if (response) {
    error.response = response;
    const responseCode = Number(/^\d+/.exec(response)?.[0]);
    if (responseCode) error.responseCode = responseCode;
  }
  return error;
}

// Gmail's reply lines, as smtp.gmail.com words them.
const R = {
  badCredentials:
    '535 5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials',
  appPasswordRequired: '534 5.7.9 Application-specific password required.',
  webLoginRequired: '534 5.7.14 Please log in through your web browser and then try again.',
  tooManyLogins: '454 4.7.0 Too many login attempts, please try again later.',
  tryAgainLater: '421 4.7.0 Try again later, closing connection.',
  senderNotOwned: '553 5.7.1 Sender address rejected: not owned by user',
  dailyLimit:
    '550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852',
  unsolicitedRate: '421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address.',
  recipientRateLimited:
    '450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.',
  noSuchUser: '550 5.1.1 The email account that you tried to reach does not exist.',
  disabledUser: '550 5.2.1 The email account that you tried to reach is disabled.',
  badRecipientSyntax: '553 5.1.3 The recipient address <x@@example.com> is not a valid RFC 5321 address.',
  mailboxNameNotAllowed: '553 Requested action not taken: mailbox name not allowed',
  mailboxFull: '552 5.2.2 The email account that you tried to reach is over quota.',
  messageTooBig: "552 5.3.4 Your message exceeded Google's message size limits.",
  likelySpam: '550 5.7.1 Our system has detected that this message is likely unsolicited mail.',
  temporarilyRejected: '451 4.3.0 Mail server temporarily rejected message.',
  tooManyRecipients: '452 4.5.3 Your message has too many recipients.',
} as const;

const BEFORE_DATA = { dataHandedOver: false };
const AFTER_DATA = { dataHandedOver: true };

/** A sentence a person can read: capitalised, ends with a full stop, no programmer's words. */
function expectPlainSentence(explanation: string) {
  expect(explanation).toMatch(/^[A-Z]/);
  expect(explanation).toMatch(/[.!)]$/);
  expect(explanation.length).toBeGreaterThan(30);
  expect(explanation).not.toMatch(/\bE[A-Z]{3,}\b|undefined|null|\[object|Error:|responseCode|RCPT TO|MAIL FROM/);
}

function expectReply(reply: ClassifiedReply, expected: { action: ReplyAction; code: string; response: string; explanation?: RegExp }) {
  expect(reply.action).toBe(expected.action);
  expect(reply.code).toBe(expected.code);
  expect(reply.response).toBe(expected.response);
  expectPlainSentence(reply.explanation);
  if (expected.explanation) expect(reply.explanation).toMatch(expected.explanation);
}

describe('classifySmtpError: replies to the login (AUTH)', () => {
  it('535 5.7.8 bad or revoked app password → account needs a new app password', () => {
    const reply = classifySmtpError(nodemailerError('Invalid login', 'EAUTH', R.badCredentials, 'AUTH PLAIN'), BEFORE_DATA);
    expectReply(reply, { action: 'account_auth', code: '5.7.8', response: R.badCredentials, explanation: /app password/i });
    expect(reply.explanation).toMatch(/new app password/i);
  });

  it('535 5.7.8 is the same whether the handover flag is set or not (no data was ever sent)', () => {
    const reply = classifySmtpError(nodemailerError('Invalid login', 'EAUTH', R.badCredentials, 'AUTH LOGIN'), AFTER_DATA);
    expect(reply.action).toBe('account_auth');
  });

  it('534 5.7.9 normal password used → account needs an app password, and says how to make one', () => {
    const reply = classifySmtpError(nodemailerError('Invalid login', 'EAUTH', R.appPasswordRequired, 'AUTH PLAIN'), BEFORE_DATA);
    expectReply(reply, { action: 'account_auth', code: '5.7.9', response: R.appPasswordRequired, explanation: /app password/i });
    expect(reply.explanation).toMatch(/not the account.s normal password/i);
    expect(reply.explanation).toMatch(/myaccount\.google\.com\/apppasswords/);
  });

  it('534 5.7.14 Google wants a browser sign-in → account needs the user, with that advice', () => {
    const reply = classifySmtpError(nodemailerError('Invalid login', 'EAUTH', R.webLoginRequired, 'AUTH PLAIN'), BEFORE_DATA);
    expectReply(reply, { action: 'account_auth', code: '5.7.14', response: R.webLoginRequired, explanation: /web browser/i });
    expect(reply.explanation).toMatch(/sign in/i);
    expect(reply.explanation).not.toMatch(/app password/i);
  });

  it('454 4.7.0 too many login attempts → account cools down (not a password problem)', () => {
    const reply = classifySmtpError(nodemailerError('Invalid login', 'EAUTH', R.tooManyLogins, 'AUTH PLAIN'), BEFORE_DATA);
    expectReply(reply, { action: 'account_cooling', code: '4.7.0', response: R.tooManyLogins, explanation: /15 minutes/ });
    expect(reply.explanation).not.toMatch(/password/i);
  });
});

describe('classifySmtpError: replies about the connection or the sender', () => {
  it('421 4.7.0 as the greeting (EPROTOCOL at CONN) → account cools down for 15 minutes', () => {
    const error = nodemailerError(`Invalid greeting. response=${R.tryAgainLater}`, 'EPROTOCOL', R.tryAgainLater, 'CONN');
    const reply = classifySmtpError(error, BEFORE_DATA);
    expectReply(reply, { action: 'account_cooling', code: '4.7.0', response: R.tryAgainLater, explanation: /15 minutes/ });
  });

  it('553 5.7.1 sender not owned at MAIL FROM → the account is at fault, never the recipient', () => {
    const reply = classifySmtpError(nodemailerError('Mail command failed', 'EENVELOPE', R.senderNotOwned, 'MAIL FROM'), BEFORE_DATA);
    expectReply(reply, { action: 'account_auth', code: '5.7.1', response: R.senderNotOwned, explanation: /account/i });
    expect(reply.explanation).toContain(R.senderNotOwned);
  });

  it('550 5.4.5 daily limit at MAIL FROM → account limit reached, other accounts carry on', () => {
    const reply = classifySmtpError(nodemailerError('Mail command failed', 'EENVELOPE', R.dailyLimit, 'MAIL FROM'), BEFORE_DATA);
    expectReply(reply, { action: 'account_limit', code: '5.4.5', response: R.dailyLimit, explanation: /daily sending limit/i });
    expect(reply.explanation).toMatch(/at least 1 hour/);
  });

  it('421 4.7.28 unusual rate at MAIL FROM → account cools down', () => {
    const reply = classifySmtpError(nodemailerError('Mail command failed', 'EENVELOPE', R.unsolicitedRate, 'MAIL FROM'), BEFORE_DATA);
    expectReply(reply, { action: 'account_cooling', code: '4.7.28', response: R.unsolicitedRate, explanation: /unusual rate/i });
    expect(reply.explanation).toMatch(/15 minutes/);
  });

  it('421 during RCPT (nodemailer reports ECONNECTION at CONN, with the 421 reply) → account cools down', () => {
    const error = nodemailerError('Server closed the connection', 'ECONNECTION', R.tryAgainLater, 'CONN');
    expect(error.responseCode).toBe(421);
    const reply = classifySmtpError(error, BEFORE_DATA);
    expectReply(reply, { action: 'account_cooling', code: '4.7.0', response: R.tryAgainLater, explanation: /15 minutes/ });
  });
});

describe('classifySmtpError: replies about one recipient (RCPT TO)', () => {
  const rcpt = (response: string) => nodemailerError("Can't send mail - all recipients were rejected", 'EENVELOPE', response, 'RCPT TO');

  it('450 4.2.1 recipient receiving too fast → retry later, attempt counted', () => {
    const reply = classifySmtpError(rcpt(R.recipientRateLimited), BEFORE_DATA);
    expectReply(reply, { action: 'message_retry', code: '4.2.1', response: R.recipientRateLimited, explanation: /try again/i });
  });

  it('550 5.1.1 no such user → bounced (suppressed)', () => {
    const reply = classifySmtpError(rcpt(R.noSuchUser), BEFORE_DATA);
    expectReply(reply, { action: 'message_bounced', code: '5.1.1', response: R.noSuchUser, explanation: /does not exist/i });
    expect(reply.explanation).toMatch(/suppression list/i);
  });

  it('550 5.2.1 account disabled → bounced', () => {
    const reply = classifySmtpError(rcpt(R.disabledUser), BEFORE_DATA);
    expectReply(reply, { action: 'message_bounced', code: '5.2.1', response: R.disabledUser });
  });

  it('553 at RCPT (unlike 553 at MAIL FROM) → bounced, with or without an enhanced status', () => {
    expectReply(classifySmtpError(rcpt(R.badRecipientSyntax), BEFORE_DATA), {
      action: 'message_bounced',
      code: '5.1.3',
      response: R.badRecipientSyntax,
    });
    expectReply(classifySmtpError(rcpt(R.mailboxNameNotAllowed), BEFORE_DATA), {
      action: 'message_bounced',
      code: '553',
      response: R.mailboxNameNotAllowed,
    });
  });

  it('552 5.2.2 mailbox full → failed, but the address is not treated as non-existent', () => {
    const reply = classifySmtpError(rcpt(R.mailboxFull), BEFORE_DATA);
    expectReply(reply, { action: 'message_failed', code: '5.2.2', response: R.mailboxFull });
    expect(reply.explanation).not.toMatch(/does not exist|suppression/i);
  });
});

describe('classifySmtpError: replies after the message data (DATA)', () => {
  const data = (response: string) => nodemailerError('Message failed', 'EMESSAGE', response, 'DATA');

  it('552 5.3.4 too large → failed, and says to make it smaller', () => {
    const reply = classifySmtpError(data(R.messageTooBig), AFTER_DATA);
    expectReply(reply, { action: 'message_failed', code: '5.3.4', response: R.messageTooBig, explanation: /too large/i });
    expect(reply.explanation).toMatch(/smaller/i);
  });

  it('550 5.7.1 likely unsolicited → policy block (counts towards pausing the campaign)', () => {
    const reply = classifySmtpError(data(R.likelySpam), AFTER_DATA);
    expectReply(reply, { action: 'message_policy', code: '5.7.1', response: R.likelySpam, explanation: /unsolicited/i });
    expect(reply.explanation).toMatch(/pauses the campaign after three/i);
  });

  it('451 4.3.0 and 452 4.5.3 → retry later, attempt counted (a reply came: not in doubt)', () => {
    expectReply(classifySmtpError(data(R.temporarilyRejected), AFTER_DATA), {
      action: 'message_retry',
      code: '4.3.0',
      response: R.temporarilyRejected,
    });
    expectReply(classifySmtpError(data(R.tooManyRecipients), AFTER_DATA), {
      action: 'message_retry',
      code: '4.5.3',
      response: R.tooManyRecipients,
    });
  });
});

describe('classifySmtpError: no reply at all (network)', () => {
  const dropped = () => nodemailerError('Connection closed unexpectedly', 'ECONNECTION', false, 'CONN');
  const timedOut = () => nodemailerError('Timeout', 'ETIMEDOUT', false, 'CONN');
  const dns = () => ({ ...nodemailerError('getaddrinfo ENOTFOUND smtp.gmail.com', 'EDNS', false, 'CONN'), originalCode: 'ENOTFOUND' });

  it('a dropped connection before the data was handed over → account cools down, nothing lost', () => {
    const error = dropped();
    expect(error.responseCode).toBeUndefined();
    const reply = classifySmtpError(error, BEFORE_DATA);
    expectReply(reply, {
      action: 'account_cooling',
      code: 'ECONNECTION',
      response: 'Connection closed unexpectedly',
      explanation: /15 minutes/,
    });
    expect(reply.explanation).toMatch(/before the message was sent/i);
  });

  it('a dropped connection after the data was handed over → in doubt, never re-sent by itself', () => {
    const reply = classifySmtpError(dropped(), AFTER_DATA);
    expectReply(reply, {
      action: 'in_doubt',
      code: 'ECONNECTION',
      response: 'Connection closed unexpectedly',
      explanation: /may have arrived/i,
    });
    expect(reply.explanation).toMatch(/not send it again unless you choose/i);
  });

  it('ETIMEDOUT → cooling before the data, in doubt after it', () => {
    expectReply(classifySmtpError(timedOut(), BEFORE_DATA), {
      action: 'account_cooling',
      code: 'ETIMEDOUT',
      response: 'Timeout',
      explanation: /timed out/i,
    });
    expect(classifySmtpError(timedOut(), AFTER_DATA).action).toBe('in_doubt');
  });

  it('EDNS → cooling before the data (says the computer may be offline), in doubt after it', () => {
    const reply = classifySmtpError(dns(), BEFORE_DATA);
    expectReply(reply, {
      action: 'account_cooling',
      code: 'EDNS',
      response: 'getaddrinfo ENOTFOUND smtp.gmail.com',
      explanation: /offline/i,
    });
    expect(classifySmtpError(dns(), AFTER_DATA).action).toBe('in_doubt');
  });

  it('a reply that came before the drop decides, even after the data: a 421 is not in doubt', () => {
    const error = nodemailerError('Server closed the connection', 'ECONNECTION', R.tryAgainLater, 'CONN');
    expect(classifySmtpError(error, AFTER_DATA).action).toBe('account_cooling');
  });
});

describe('parseReply', () => {
  it('reads the reply code and the enhanced status, and tolerates their absence', () => {
    expect(parseReply(R.noSuchUser)).toEqual({ replyCode: 550, enhanced: '5.1.1' });
    expect(parseReply(R.unsolicitedRate)).toEqual({ replyCode: 421, enhanced: '4.7.28' });
    expect(parseReply(R.mailboxNameNotAllowed)).toEqual({ replyCode: 553 });
    expect(parseReply(undefined)).toEqual({});
    expect(parseReply('Connection closed unexpectedly')).toEqual({});
  });
});
