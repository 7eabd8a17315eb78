import { type AddressObject, type Attachment, type HeaderValue, type ParsedMail, simpleParser } from 'mailparser';

// A mail from the mailbox, reduced to what classification reads. The MIME work (encodings,
// charsets, folded and encoded headers, multipart trees) is mailparser's: a kept library does it
// better than our code would. Nothing here is stored: classify.ts decides, effects.ts keeps only
// what PRODUCT.md §5b allows.

/** The headers fetched for every new message of the inbox (BODY.PEEK[HEADER.FIELDS (…)]). */
export const INBOX_HEADER_FIELDS = [
  'message-id',
  'from',
  'to',
  'cc',
  'delivered-to',
  'x-original-to',
  'subject',
  'date',
  'in-reply-to',
  'references',
  'content-type',
  'auto-submitted',
  'x-autoreply',
  'x-autorespond',
  'precedence',
  'x-failed-recipients',
];

/** The headers fetched for every new message of Sent Mail. */
export const SENT_HEADER_FIELDS = ['message-id', 'to', 'cc', 'bcc'];

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
