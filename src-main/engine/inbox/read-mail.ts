import type { MessageEnvelopeObject } from 'imapflow';
import { type AddressObject, type Attachment, type HeaderValue, type ParsedMail, simpleParser } from 'mailparser';

// A mail from the mailbox, reduced to what classification reads. The MIME work (encodings,
// charsets, folded and encoded headers, multipart trees) is mailparser's: a kept library does it
// better than our code would. Nothing here is stored: classify.ts decides, effects.ts keeps only
// what PRODUCT.md §5b allows.

/**
 * What is fetched of every new message of the inbox, to decide whether it may be ours: its
 * ENVELOPE (the server's parse of From, To, Cc, Subject, Message-ID, In-Reply-To, decoded) and
 * a few header fields the envelope lacks (BODY.PEEK[HEADER.FIELDS (…)]), never its body.
 */
export const INBOX_TRIAGE_FIELDS = [
  'references',
  'delivered-to',
  'x-original-to',
  'content-type',
  'auto-submitted',
  'x-autoreply',
  'x-autorespond',
  'precedence',
  'x-failed-recipients',
];
export const INBOX_TRIAGE_QUERY = { uid: true, internalDate: true, envelope: true, headers: INBOX_TRIAGE_FIELDS } as const;

/** What is fetched of every new message of Sent Mail: its envelope (Message-ID, To, Cc, Bcc) and its date. */
export const SENT_QUERY = { uid: true, internalDate: true, envelope: true } as const;

/** How much of a candidate's text classification reads: a notice's report and quoted headers come first. */
export const TEXT_LIMIT = 64 * 1024;

export interface ReadMail {
  /** The mail's own Message-ID, angle brackets kept. */
  messageId?: string;
  /** The sender's address, lower case. */
  from?: string;
  /** Every address it was sent to, as the headers say (To, Cc, Delivered-To, X-Original-To), lower case. */
  to: string[];
  /** Its recipients as its sender addressed it (To, Cc, Bcc), lower case, once each: what Gmail counts. */
  recipients: string[];
  subject: string;
  /** Message-IDs named by In-Reply-To and References. */
  references: string[];
  /** Lower-case header name → its text (the first occurrence), for the headers classification reads. */
  headers: Map<string, string>;
  /** The body's text (up to TEXT_LIMIT), when the body was read. */
  text?: string;
  /** A report's message/delivery-status part (RFC 3464), as text. */
  deliveryStatus?: string;
  /** The returned message's header block (text/rfc822-headers, or the head of a message/rfc822 part). */
  originalHeaders?: string;
}

/**
 * Reads a mail (or only its header block) with mailparser. Never throws on what a mailbox holds:
 * a mail too broken to parse reads as one with no headers, which classifies as nothing.
 */
export async function readMail(source: Buffer): Promise<ReadMail> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(withHeaderEnd(source), {
      skipHtmlToText: false,
      skipImageLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      maxHtmlLengthToParse: TEXT_LIMIT,
      // A report's machine-readable part, apart from the text meant for people.
      keepDeliveryStatus: true,
      checksumAlgo: false,
    });
  } catch {
    return { to: [], recipients: [], subject: '', references: [], headers: new Map() };
  }
  const headers = new Map<string, string>();
  for (const [name, value] of parsed.headers) headers.set(name, headerText(value));
  const to = [
    ...addresses(parsed.to),
    ...addresses(parsed.cc),
    ...rawAddresses(headers.get('delivered-to')),
    ...rawAddresses(headers.get('x-original-to')),
  ];
  const references = [...(parsed.inReplyTo ? messageIds(parsed.inReplyTo) : []), ...[parsed.references ?? []].flat().flatMap(messageIds)];
  const from = addresses(parsed.from)[0];
  const mail: ReadMail = {
    ...(parsed.messageId ? { messageId: parsed.messageId } : {}),
    ...(from ? { from } : {}),
    to: [...new Set(to)],
    recipients: [...new Set([...addresses(parsed.to), ...addresses(parsed.cc), ...addresses(parsed.bcc)])],
    subject: (parsed.subject ?? '').trim(),
    references: [...new Set(references)],
    headers,
  };
  if (parsed.text !== undefined || parsed.attachments.length > 0 || parsed.html) {
    mail.text = (parsed.text ?? '').slice(0, TEXT_LIMIT);
  }
  for (const part of parsed.attachments) {
    const type = part.contentType.toLowerCase();
    if ((type === 'message/delivery-status' || type === 'message/global-delivery-status') && mail.deliveryStatus === undefined) {
      mail.deliveryStatus = partText(part);
    } else if ((type === 'text/rfc822-headers' || type === 'message/global-headers') && mail.originalHeaders === undefined) {
      mail.originalHeaders = partText(part);
    } else if ((type === 'message/rfc822' || type === 'message/global') && mail.originalHeaders === undefined) {
      const text = partText(part);
      const end = text.search(/\r?\n\r?\n/);
      mail.originalHeaders = end < 0 ? text : text.slice(0, end);
    }
  }
  return mail;
}

/**
 * The same reduction from what triage fetched: the envelope the server parsed and the few header
 * fields it lacks, read without a MIME parser (they are ASCII: ids, addresses, tokens), so a
 * mailbox of thousands of messages is sorted without parsing each one.
 */
export function triageMail(envelope: MessageEnvelopeObject | undefined, fields: Buffer | undefined): ReadMail {
  const headers = new Map<string, string>();
  const block = (fields ?? Buffer.alloc(0)).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const addressesOf = (list: { address?: string | undefined }[] | undefined) =>
    (list ?? []).flatMap((a) => (a.address ? [a.address.toLowerCase()] : []));
  const to = [
    ...addressesOf(envelope?.to),
    ...addressesOf(envelope?.cc),
    ...rawAddresses(headers.get('delivered-to')),
    ...rawAddresses(headers.get('x-original-to')),
  ];
  const references = [...messageIds(envelope?.inReplyTo ?? ''), ...messageIds(headers.get('references') ?? '')];
  const from = addressesOf(envelope?.from)[0];
  return {
    ...(envelope?.messageId ? { messageId: envelope.messageId } : {}),
    ...(from ? { from } : {}),
    to: [...new Set(to)],
    recipients: [...new Set([...addressesOf(envelope?.to), ...addressesOf(envelope?.cc), ...addressesOf(envelope?.bcc)])],
    subject: (envelope?.subject ?? '').trim(),
    references: [...new Set(references)],
    headers,
  };
}

/** A header block alone (as IMAP returns HEADER.FIELDS) must end with its blank line to parse as one. */
function withHeaderEnd(source: Buffer): Buffer {
  const text = source.subarray(0, 65_536).toString('latin1');
  return /\r?\n\r?\n/.test(text) ? source : Buffer.concat([source, Buffer.from('\r\n\r\n')]);
}

function partText(part: Attachment): string {
  return part.content.subarray(0, TEXT_LIMIT).toString('utf8');
}

function headerText(value: HeaderValue): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : 'text' in v ? v.text : v.value)).join(', ');
  if ('text' in value && typeof value.text === 'string') return value.text;
  if ('value' in value && typeof value.value === 'string' && 'params' in value) {
    return [value.value, ...Object.entries(value.params as Record<string, string>).map(([k, v]) => `${k}=${v}`)].join('; ');
  }
  // List-* headers parse into an object; classification reads none of them.
  return '';
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const found: string[] = [];
  const walk = (list: { address?: string | undefined; group?: { address?: string | undefined }[] | undefined }[]) => {
    for (const a of list) {
      if (a.address) found.push(a.address.toLowerCase());
      if (a.group) walk(a.group);
    }
  };
  for (const object of [value ?? []].flat()) walk(object.value);
  return found;
}

/** Addresses in a header mailparser leaves as text (Delivered-To). */
function rawAddresses(value: string | undefined): string[] {
  return value ? [...value.matchAll(/[^\s<>,;"]+@[^\s<>,;"]+/g)].map((m) => m[0].toLowerCase()) : [];
}

function messageIds(value: string): string[] {
  return [...value.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]);
}
