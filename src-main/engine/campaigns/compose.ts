import { basename } from 'node:path';
import type { SendMailOptions } from 'nodemailer';
import { sanitizeHeaderText } from '../core/addresses';
import { unsubscribeAddress } from '../core/message-ids';
import type { CampaignRow, MessageRow } from '../db/schema';
import { cleanRenderedHtml } from './email-html';
import { escapeHtml, htmlToPlainText, renderTemplate } from './merge';

/** A file to attach: the store's copy (attachments.ts checked it) and the name it goes by. */
export interface StoredAttachment {
  path: string;
  filename: string;
}

export interface RenderedMessage {
  from: { name: string; address: string };
  to: { name: string; address: string };
  replyTo?: string;
  subject: string;
  html?: string;
  text: string;
  messageId: string;
  listUnsubscribe: string;
  attachments: StoredAttachment[];
}

/** Who a message is from when no account exists yet (a preview, a rehearsal before any account is added). */
export const PLACEHOLDER_SENDER = { email: 'you@gmail.com', fromName: '' };

type CampaignForRender = Pick<CampaignRow, 'subject' | 'html' | 'text' | 'from_name' | 'reply_to'>;
type MessageForRender = Pick<MessageRow, 'email' | 'name' | 'fields' | 'message_id'>;

/** The values a recipient's merge fields draw on: their CSV columns, plus email and name. */
export function mergeValues(message: Pick<MessageRow, 'email' | 'name' | 'fields'>): Record<string, string> {
  const fields = JSON.parse(message.fields) as Record<string, string>;
  return { ...fields, email: message.email, ...(message.name ? { name: message.name } : {}) };
}

/**
 * One recipient's message, as it will be sent: merge fields filled in a single pass (escaped
 * in HTML), a plain-text part derived from the HTML when the campaign has none, and an
 * unsubscribe line plus a List-Unsubscribe header. Header texts are single lines, so no
 * subject, name or merge value can add a header. Throws MergeError on a missing field.
 * `attachments` are the campaign's stored files, as attachmentsToSend checked them.
 *
 * Unsubscribe requests go to the sending account, whose inbox Trickle reads (PRODUCT.md §5b),
 * even when replies go elsewhere (a reply-to): the List-Unsubscribe mailto carries the
 * message's token (`alice+unsub-…@gmail.com`), so a request is recognised without a subject.
 */
export function renderMessage(
  campaign: CampaignForRender,
  message: MessageForRender,
  sender: { email: string; fromName: string },
  attachments: StoredAttachment[] = [],
): RenderedMessage {
  const values = mergeValues(message);
  const unsubscribeMailto = `mailto:${unsubscribeAddress(sender.email, message.message_id)}?subject=unsubscribe`;
  // With a reply-to, a reply goes there, where Trickle cannot read it: the line asks for a message to the account.
  const how = campaign.reply_to ? `write "unsubscribe" to ${sender.email}` : `reply with "unsubscribe" or write to ${sender.email}`;
  const fromName = sanitizeHeaderText(campaign.from_name || sender.fromName);

  // Cleaned after merging: a value filled into a link or image address is checked like the rest.
  const html = campaign.html ? cleanRenderedHtml(renderTemplate(campaign.html, values, { escape: 'html' })) : undefined;
  const text = campaign.text ? renderTemplate(campaign.text, values, { escape: 'none' }) : htmlToPlainText(html ?? '');
  const who = fromName || sender.email;

  return {
    from: { name: fromName, address: sender.email },
    to: { name: sanitizeHeaderText(message.name ?? ''), address: message.email },
    ...(campaign.reply_to ? { replyTo: campaign.reply_to } : {}),
    subject: sanitizeHeaderText(renderTemplate(campaign.subject, values, { escape: 'none' })),
    ...(html ? { html: html + unsubscribeHtml(who, sender.email, unsubscribeMailto, !!campaign.reply_to) } : {}),
    text: `${text}\n\n--\nYou received this from ${who}. To unsubscribe, ${how}.\n`,
    messageId: message.message_id ?? '',
    listUnsubscribe: `<${unsubscribeMailto}>`,
    attachments,
  };
}

/**
 * The most a message may be: Gmail accepts 25 MB per message, body and attachments together,
 * counted before the encoding for sending (which adds about a third: its SMTP server takes
 * about 35 MB as sent). The same 25 MB as for the attachments alone.
 */
export const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;
/** The headers besides subject and names: addresses, Message-ID, List-Unsubscribe, MIME parts. */
const HEADER_ALLOWANCE_BYTES = 2048;

/** The message's size as Gmail counts it: its texts in UTF-8 and its attachments' files. */
export function messageBytes(rendered: RenderedMessage, attachmentBytes: number): number {
  const utf8 = (s: string | undefined) => (s ? Buffer.byteLength(s, 'utf8') : 0);
  return (
    utf8(rendered.subject) +
    utf8(rendered.html) +
    utf8(rendered.text) +
    utf8(rendered.from.name) +
    utf8(rendered.to.name) +
    HEADER_ALLOWANCE_BYTES +
    attachmentBytes
  );
}

/** "26.3 MB" */
export function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function unsubscribeHtml(who: string, address: string, mailto: string, hasReplyTo: boolean): string {
  const how = hasReplyTo ? '' : 'reply with “unsubscribe” or ';
  return (
    `\n<p style="margin-top:24px;font-size:12px;color:#666">You received this from ${escapeHtml(who)}. ` +
    `To unsubscribe, ${how}<a href="${escapeHtml(mailto)}">write to ${escapeHtml(address)}</a>.</p>`
  );
}

export function toMailOptions(rendered: RenderedMessage): SendMailOptions {
  return {
    from: rendered.from,
    to: rendered.to,
    ...(rendered.replyTo ? { replyTo: rendered.replyTo } : {}),
    subject: rendered.subject,
    ...(rendered.html ? { html: rendered.html } : {}),
    text: rendered.text,
    ...(rendered.messageId ? { messageId: rendered.messageId } : {}),
    headers: { 'List-Unsubscribe': rendered.listUnsubscribe },
    attachments: rendered.attachments.map((a) => ({ filename: a.filename || basename(a.path), path: a.path })),
    // Only the files the user attached are read; nothing a template says can point at a file or URL.
    disableUrlAccess: true,
  };
}
