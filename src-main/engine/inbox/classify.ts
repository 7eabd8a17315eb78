import { ourMessageIdsIn, unsubscribeToken } from '../core/message-ids';
import type { ReadMail } from './read-mail';

// What a mail in an account's inbox is, for Trickle (PRODUCT.md §5b): a failure notice (RFC 3464
// report, or the plain-text notices Gmail and other servers send), an unsubscribe request, an
// auto-reply (RFC 3834 and its common stand-ins), a reply to one of our messages, or none of
// these. Pure: matching to a message and acting on it are effects.ts's.

export interface NoticeRecipient {
  /** The address the notice says failed (Original-Recipient, else Final-Recipient), lower case. */
  address: string;
  /** The other address the report names for it (Final-Recipient when Original-Recipient is given). */
  alsoKnownAs?: string;
  /** Enhanced status, e.g. 5.1.1; the reply code (550) when the notice gives no more. */
  status: string;
  /** The receiving server's words. */
  diagnostic: string;
  /** 5.x.x: it will not be delivered. 4.x.x ("delayed"): the sender's server keeps trying. */
  permanent: boolean;
}

export type Classified =
  | {
      kind: 'notice';
      recipients: NoticeRecipient[];
      /** The returned message's Message-ID, when the notice quotes or names it. */
      originalMessageId?: string;
      /** Who reported it: the Reporting-MTA, else the notice's sender. */
      reporter: string;
    }
  | {
      kind: 'unsubscribe';
      /** The token of the List-Unsubscribe address it was sent to, if it was. */
      token?: { rowId: number; messageIdStart: string };
      /** Our Message-IDs it answers. */
      references: string[];
      from?: string;
      /** The request's first line (or its subject): the one piece of its text Trickle keeps. */
      firstLine: string;
    }
  | { kind: 'auto_reply'; references: string[]; from?: string }
  | { kind: 'reply'; references: string[]; from?: string }
  | { kind: 'other' };

/**
 * From the headers alone: whether the mail may be one of ours to act on, so its text is worth
 * fetching. Everything else is left unread (only its headers crossed the wire).
 */
export function worthReading(mail: ReadMail): boolean {
  return (
    looksLikeNotice(mail) ||
    mail.to.some((address) => unsubscribeToken(address) !== undefined) ||
    ourMessageIdsIn(mail.references.join(' ')).length > 0 ||
    UNSUBSCRIBE_SUBJECT.test(bareSubject(mail.subject))
  );
}

/** Classifies a mail whose text was read (or only its headers, for a decision from those). */
export function classify(mail: ReadMail): Classified {
  if (looksLikeNotice(mail)) {
    const notice = readNotice(mail);
    if (notice) return notice;
  }
  const references = ourMessageIdsIn(mail.references.join(' '));
  const from = mail.from ? { from: mail.from } : {};
  if (isAutoReply(mail)) return { kind: 'auto_reply', references, ...from };

  const token = mail.to.map(unsubscribeToken).find((t) => t !== undefined);
  const firstLine = firstLineOf(mail.text ?? '');
  const subject = bareSubject(mail.subject);
  // A reply's subject echoes ours ("Re: How to unsubscribe from …"): only what they wrote counts.
  const subjectAsks = references.length === 0 && UNSUBSCRIBE_SUBJECT.test(subject);
  if (token || subjectAsks || UNSUBSCRIBE_LINE.test(firstLine)) {
    const kept = (UNSUBSCRIBE_LINE.test(firstLine) || !subject ? firstLine : subject).slice(0, 200);
    return { kind: 'unsubscribe', ...(token ? { token } : {}), references, ...from, firstLine: kept };
  }
  if (references.length > 0) return { kind: 'reply', references, ...from };
  return { kind: 'other' };
}

// ---- Failure notices ----

const DAEMON_SENDER = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|bounce[s]?|mdaemon|microsoftexchange[0-9a-f]*)@/i;
const NOTICE_SUBJECT =
  /delivery status notification|undeliver(ed|able)|returned mail|returned to sender|delivery (has )?failed|delivery failure|failure notice|mail delivery (failed|system)|could not be delivered|non-?delivery|delivery (is )?delayed|delayed mail|warning: message .* delayed/i;

function looksLikeNotice(mail: ReadMail): boolean {
  const contentType = mail.headers.get('content-type') ?? '';
  if (/multipart\/report/i.test(contentType) && /report-type\s*=\s*"?delivery-status/i.test(contentType)) return true;
  if (mail.headers.has('x-failed-recipients')) return true;
  return !!mail.from && DAEMON_SENDER.test(mail.from) && NOTICE_SUBJECT.test(mail.subject);
}

function readNotice(mail: ReadMail): Classified | undefined {
  const report = mail.deliveryStatus ? readDeliveryStatus(mail.deliveryStatus) : undefined;
  let recipients = report?.recipients ?? [];
  if (recipients.length === 0) recipients = readPlainNotice(mail);
  if (recipients.length === 0) return undefined;
  const originalMessageId = originalIdOf(mail, report?.originalMessageId);
  return {
    kind: 'notice',
    recipients,
    ...(originalMessageId ? { originalMessageId } : {}),
    reporter: report?.reporter ?? mail.from ?? 'unknown',
  };
}

/** RFC 3464: a per-message block, then one block per recipient (Final-Recipient, Action, Status, Diagnostic-Code). */
function readDeliveryStatus(text: string): { recipients: NoticeRecipient[]; reporter?: string; originalMessageId?: string } {
  const blocks = text
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n/)
    .map(fieldsOf)
    .filter((b) => b.size > 0);
  const recipients: NoticeRecipient[] = [];
  let reporter: string | undefined;
  let originalMessageId: string | undefined;
  for (const block of blocks) {
    reporter ??= typeValue(block.get('reporting-mta'));
    originalMessageId ??= block.get('x-original-message-id')?.match(/<[^<>\s]+>/)?.[0];
    const final = addressOf(block.get('final-recipient'));
    const original = addressOf(block.get('original-recipient'));
    const action = (block.get('action') ?? '').toLowerCase().trim();
    if (!final && !original) continue;
    if (action !== 'failed' && action !== 'delayed') continue;
    const statusField = block.get('status')?.match(/[245]\.\d{1,3}\.\d{1,3}/)?.[0];
    const diagnostic = typeValue(block.get('diagnostic-code')) ?? '';
    const status = statusField ?? enhancedIn(diagnostic) ?? (action === 'failed' ? '5.0.0' : '4.0.0');
    recipients.push({
      address: (original ?? final)!,
      ...(original && final && original !== final ? { alsoKnownAs: final } : {}),
      status,
      diagnostic: oneLine(diagnostic || `${action} (${status})`),
      permanent: action === 'failed' && status.startsWith('5'),
    });
  }
  return { recipients, ...(reporter ? { reporter } : {}), ...(originalMessageId ? { originalMessageId } : {}) };
}

/**
 * The plain-text notices: Gmail's older one (X-Failed-Recipients, "Delivery to the following
 * recipient failed permanently", the server's words, then "----- Original message -----") and
 * other servers' qmail-style ones. The status and the server's words come from the text.
 */
function readPlainNotice(mail: ReadMail): NoticeRecipient[] {
  const text = (mail.text ?? '').replace(/\r\n/g, '\n');
  const before = text.split(ORIGINAL_MARKER)[0] ?? text;
  const failed = (mail.headers.get('x-failed-recipients') ?? '')
    .split(/[,\s]+/)
    .map((a) => a.replace(/^<|>$/g, '').toLowerCase())
    .filter((a) => a.includes('@'));
  const addresses =
    failed.length > 0 ? failed : [...before.matchAll(/^\s*<?([^\s<>@]+@[^\s<>]+?)>?:?\s*$/gm)].map((m) => m[1]!.toLowerCase());
  if (addresses.length === 0) return [];
  const serverLine = before.match(/^\s*([45]\d\d[ -][^\n]*)$/m)?.[1];
  const enhanced = enhancedIn(serverLine ?? '') ?? enhancedIn(before);
  const temporary = /temporar|delay|will (keep )?(re)?try|not (been )?delivered yet/i.test(before) && !/permanent/i.test(before);
  const status = enhanced ?? (serverLine ? `${serverLine[0]}.0.0` : temporary ? '4.0.0' : '5.0.0');
  const diagnostic = oneLine(
    serverLine ?? before.match(/(?:technical details[^\n]*|the error[^\n]*):\s*\n+([^\n]+)/i)?.[1] ?? mail.subject,
  );
  return [...new Set(addresses)].map((address) => ({ address, status, diagnostic, permanent: status.startsWith('5') && !temporary }));
}

const ORIGINAL_MARKER = /^-{2,}\s*(original message|below this line is a copy of the message|this is a copy of the message)[^\n]*$/im;

/** The returned message's id: from its quoted headers, the report, else the notice's own references. */
function originalIdOf(mail: ReadMail, fromReport: string | undefined): string | undefined {
  const quoted = mail.originalHeaders ?? (mail.text ?? '').replace(/\r\n/g, '\n').split(ORIGINAL_MARKER).slice(1).join('\n');
  const header = /^message-id:\s*(<[^<>\s]+>)/im.exec(unfold(quoted))?.[1];
  return header ?? fromReport ?? ourMessageIdsIn(mail.references.join(' '))[0];
}

function fieldsOf(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of unfold(block).split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[a-z0-9-]+$/.test(name)) continue;
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

function unfold(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ');
}

/** "rfc822; a@b.com" → "a@b.com"; "dns; mx.example.com" → "mx.example.com". */
function typeValue(field: string | undefined): string | undefined {
  if (!field) return undefined;
  const semicolon = field.indexOf(';');
  return (semicolon < 0 ? field : field.slice(semicolon + 1)).trim() || undefined;
}

function addressOf(field: string | undefined): string | undefined {
  const value = typeValue(field)?.replace(/^<|>$/g, '').toLowerCase();
  return value?.includes('@') ? value : undefined;
}

function enhancedIn(text: string): string | undefined {
  return text.match(/\b([245]\.\d{1,3}\.\d{1,3})\b/)?.[1];
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}

// ---- Auto-replies, unsubscribe requests, replies ----

const AUTO_SUBJECT =
  /^(auto(matic)?[ -]?(reply|response|antwort|svar)\b|auto:|out of (the )?office|ooo\b|abwesenheit|absence|abwesend|réponse automatique|respuesta automática|risposta automatica|automatisch antwoord|fuori sede|autosvar|ausente)/i;

function isAutoReply(mail: ReadMail): boolean {
  const submitted = mail.headers.get('auto-submitted')?.trim().toLowerCase();
  if (submitted && !submitted.startsWith('no')) return true;
  if (mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond')) return true;
  if (/^\s*auto_reply\b/i.test(mail.headers.get('precedence') ?? '')) return true;
  return AUTO_SUBJECT.test(bareSubject(mail.subject));
}

/** A subject that asks to unsubscribe: the word anywhere, or a bare "stop" (not "Stop by on Friday"). */
const UNSUBSCRIBE_SUBJECT =
  /\b(unsubscribe|remove me|abmelden|austragen|désinscri\w*|desinscri\w*|désabonne\w*|darse de baja|annulla iscrizione|afmelden|uitschrijven)\b|^(stop|baja|cancel)[.!]*$/i;
const UNSUBSCRIBE_LINE =
  /^(please\s+)?(unsubscribe|remove me|take me off|stop (sending|emailing|mailing)|abmelden|désinscri|désabonne|darse de baja|afmelden)\b/i;

/** The subject without Re:/Fwd:/AW:/WG:/TR: prefixes. */
function bareSubject(subject: string): string {
  return subject.replace(/^\s*((re|fw|fwd|aw|wg|tr|sv|vs|antw)\s*(\[\d+\])?\s*:\s*)+/i, '').trim();
}

/**
 * The first line the sender wrote: the text's first non-empty line, unless it is already the
 * quoted message ("> …", "On … wrote:").
 */
function firstLineOf(text: string): string {
  for (const raw of text.replace(/\r\n/g, '\n').split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('>') || /^(on .+ wrote:|am .+ schrieb|le .+ a écrit|-{2,}\s*original message)/i.test(line)) return '';
    return line.slice(0, 200);
  }
  return '';
}
