/**
 * What an SMTP reply or a connection error means for Trickle (PRODUCT.md §5). Classification
 * reads the reply's code and enhanced status, the command it answered, and whether the
 * message data had been fully handed over; nodemailer's `err.code` alone is not enough
 * (Gmail's 5.4.5 arrives as EENVELOPE at MAIL FROM, and a lost socket is ECONNECTION in
 * every phase).
 */

export type ReplyAction =
  /** The account needs the user (new app password): account `auth_failed`, message back to queued. */
  | 'account_auth'
  /** Gmail's own daily cap: account `limit_reached`, message back to queued. */
  | 'account_limit'
  /** The server or network, not the message: account `cooling`, message back to queued. */
  | 'account_cooling'
  /** A temporary refusal of this message: `retry_wait`, attempt counted. */
  | 'message_retry'
  /** The address does not exist: `failed`, address suppressed as bounced. */
  | 'message_bounced'
  /** Refused for its content or the sender's reputation: `failed`; three in a row pause the campaign. */
  | 'message_policy'
  /** Refused for good for another reason: `failed`. */
  | 'message_failed'
  /** The connection broke after the message was handed over: it may have arrived. */
  | 'in_doubt';

export interface ClassifiedReply {
  action: ReplyAction;
  /** Enhanced status (5.1.1), else the reply code (550), else the error code (ECONNECTION). */
  code: string;
  /** The server's words, verbatim, or the network error's message. */
  response: string;
  /** One sentence a person understands: what happened and what Trickle or they will do. */
  explanation: string;
}

/** The fields of a nodemailer error that matter here. */
export interface SmtpErrorLike {
  code?: string | undefined;
  responseCode?: number | undefined;
  response?: string | undefined;
  command?: string | undefined;
  message?: string | undefined;
}

export interface ReplyContext {
  /** The message data, including its final dot, had been written to the server. */
  dataHandedOver: boolean;
}

const NETWORK_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETLS',
  'EGREETING',
  'EPROTOCOL',
]);

export function parseReply(response: string | undefined): { replyCode?: number; enhanced?: string } {
  const match = /^(\d{3})[ -]?(?:([245]\.\d{1,3}\.\d{1,3})\b)?/.exec(response?.trim() ?? '');
  if (!match) return {};
  return { replyCode: Number(match[1]), ...(match[2] ? { enhanced: match[2] } : {}) };
}

export function classifySmtpError(error: SmtpErrorLike, context: ReplyContext): ClassifiedReply {
  const response = (error.response ?? error.message ?? 'Unknown error').trim();
  const parsed = parseReply(error.response);
  const replyCode = parsed.replyCode ?? error.responseCode;
  const enhanced = parsed.enhanced;
  const command = (error.command ?? '').toUpperCase();
  const code = enhanced ?? (replyCode ? String(replyCode) : (error.code ?? 'ERROR'));
  const result = (action: ReplyAction, explanation: string): ClassifiedReply => ({
    action,
    code,
    response,
    explanation,
  });

  if (!replyCode) {
    if (context.dataHandedOver) {
      return result(
        'in_doubt',
        'The connection broke after the message was handed to the server, so it may have arrived. Trickle will not send it again unless you choose to.',
      );
    }
    if (error.code && NETWORK_CODES.has(error.code)) {
      return result(
        'account_cooling',
        error.code === 'EDNS' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
          ? 'The mail server’s name could not be looked up — the computer may be offline. Trickle pauses this account for 15 minutes and tries again.'
          : 'Could not reach the mail server (the connection failed or timed out) before the message was sent. Trickle pauses this account for 15 minutes and tries again; nothing was lost.',
      );
    }
    if (error.code === 'EAUTH') {
      return result('account_auth', 'The server did not accept the login. Check the address and app password.');
    }
    return result('message_failed', `The message could not be sent: ${response}`);
  }

  if (replyCode === 535 || (replyCode === 534 && enhanced !== '4.7.0') || (error.code === 'EAUTH' && replyCode >= 500)) {
    return result('account_auth', authExplanation(enhanced, response));
  }
  if (enhanced === '5.4.5' || /daily user sending (limit|quota)/i.test(response)) {
    return result(
      'account_limit',
      'Gmail says this account reached its daily sending limit. Trickle stops using it until its oldest send in the last 24 hours is a day old (at least 1 hour); other accounts carry on.',
    );
  }
  if (replyCode === 421 || replyCode === 454) {
    return result(
      'account_cooling',
      enhanced === '4.7.28'
        ? 'Gmail is limiting this account for an unusual rate of mail. Trickle pauses it for 15 minutes; the message will go later.'
        : 'The server asked Trickle to slow down or try again later. Trickle pauses this account for 15 minutes; the message will go later.',
    );
  }
  if (replyCode >= 400 && replyCode < 500) {
    return result(
      'message_retry',
      'The server refused this message for now (a temporary problem). Trickle will try again at the next retry.',
    );
  }
  // Permanent refusals. One at MAIL FROM is about the sender, never about the recipient.
  if (command.startsWith('MAIL')) {
    return result(
      'account_auth',
      `The server refused to send from this account (“${response}”). Check the account’s address and settings.`,
    );
  }
  if (enhanced?.startsWith('5.1.') || enhanced === '5.2.1' || (replyCode === 553 && !enhanced?.startsWith('5.7.'))) {
    return result(
      'message_bounced',
      'This address does not exist or no longer accepts mail. Trickle added it to the suppression list so it is never sent to again.',
    );
  }
  if (enhanced === '5.3.4' || (replyCode === 552 && !enhanced)) {
    return result('message_failed', 'The message is too large for the server. Make the attachments smaller, then retry.');
  }
  if (enhanced === '5.2.2') {
    return result(
      'message_failed',
      'The recipient’s mailbox is full, so the server refused the message. Retry later, or contact them another way.',
    );
  }
  if (enhanced?.startsWith('5.7.')) {
    return result(
      'message_policy',
      'The server blocked this message as unsolicited or against its policy. Check the content and that recipients asked for it; Trickle pauses the campaign after three such blocks in a row.',
    );
  }
  return result('message_failed', `The server refused this message for good (“${response}”).`);
}

function authExplanation(enhanced: string | undefined, response: string): string {
  if (enhanced === '5.7.9') {
    return 'Gmail needs an app password, not the account’s normal password. Turn on 2-Step Verification, create an app password at myaccount.google.com/apppasswords, and enter it here.';
  }
  if (enhanced === '5.7.14') {
    return 'Google wants you to sign in to this account in a web browser first (a security check). Sign in at mail.google.com, then verify the account again in Trickle.';
  }
  if (enhanced === '5.7.8' || /username and password not accepted/i.test(response)) {
    return 'Gmail did not accept the app password (it is wrong or was revoked). Create a new app password and enter it in Trickle.';
  }
  return `The server did not accept the login (“${response}”). Check the address and app password.`;
}
