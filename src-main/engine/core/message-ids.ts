// Trickle's Message-IDs, and the unsubscribe address that carries one's token. A message's
// Message-ID is fixed when it is stored, ready to send (import-storage.ts insertRecipients;
// a draft's is shown once it is queued): `<` 24 random hex digits `.` its row id `@` a random
// name `.trickle.invalid>`. What comes back in a mailbox
// (a notice quoting it, a reply naming it, a request to its unsubscribe address) is matched to
// the message through the row id it carries, then checked against the whole stored Message-ID:
// a made-up one with the right shape matches nothing.

import { randomBytes } from 'node:crypto';

/** Every Message-ID Trickle gives ends its domain with this; nothing else in the world does (.invalid). */
export const MESSAGE_ID_SUFFIX = '.trickle.invalid';

let cachedDomain: string | undefined;
/** The domain of this process's Message-IDs: random, so they never reveal the user's machine name. */
export function messageIdDomain(): string {
  cachedDomain ??= `${randomBytes(4).toString('hex')}${MESSAGE_ID_SUFFIX}`;
  return cachedDomain;
}

/** Message-IDs for messages whose row ids are known (an import chooses them), the random parts drawn in one go. */
export function messageIdsFor(rowIds: readonly number[]): string[] {
  const random = randomBytes(12 * rowIds.length).toString('hex');
  const domain = messageIdDomain();
  return rowIds.map((id, k) => `<${random.slice(24 * k, 24 * k + 24)}.${id}@${domain}>`);
}

/** The SQL that gives the message row `id` (a column of the statement) a new Message-ID, as messageIdsFor does. */
export function messageIdSql(): string {
  return `'<' || lower(hex(randomblob(12))) || '.' || id || '@${messageIdDomain()}>'`;
}

/** A test copy's Message-ID: Trickle's (so Sent Mail does not count it as sent outside), matching no message. */
export function testCopyMessageId(): string {
  return `<${randomBytes(12).toString('hex')}.test@${messageIdDomain()}>`;
}

const OURS = /<?([0-9a-f]{24})\.(\d{1,15})@([0-9a-z-]+\.trickle\.invalid)>?/i;

/** The row id a Trickle Message-ID carries, or undefined if it is not one of ours. */
export function ourMessageRowId(messageId: string): number | undefined {
  const found = OURS.exec(messageId.trim());
  return found ? Number(found[2]) : undefined;
}

/** Every Trickle Message-ID named in a header value (In-Reply-To, References, a quoted original), angle brackets kept. */
export function ourMessageIdsIn(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(new RegExp(OURS.source, 'gi')))
    found.add(`<${match[1]!.toLowerCase()}.${match[2]}@${match[3]!.toLowerCase()}>`);
  return [...found];
}

/** Whether a Message-ID is Trickle's (a campaign's message or a test copy). */
export function isOurMessageId(messageId: string | undefined): boolean {
  return !!messageId && messageId.trim().replace(/>$/, '').toLowerCase().endsWith(MESSAGE_ID_SUFFIX);
}

const TOKEN_TAG = 'unsub';
/** Gmail delivers `alice+anything@gmail.com` to alice: the token rides after the `+`. */
const TOKEN_ADDRESS = new RegExp(`\\+${TOKEN_TAG}-([0-9a-f]{16})-(\\d{1,15})@`, 'i');
const MAX_LOCAL_OCTETS = 64;

/**
 * The address a message's List-Unsubscribe mailto points at: the sending account's own, with the
 * message's token added (`alice+unsub-<16 hex>-<row id>@gmail.com`), so a request sent there is
 * recognised even with no subject and no text. The plain address when the message has no
 * Message-ID yet (a draft's preview) or the local part would grow past 64 octets.
 */
export function unsubscribeAddress(accountEmail: string, messageId: string | null | undefined): string {
  const found = messageId ? OURS.exec(messageId) : null;
  const at = accountEmail.lastIndexOf('@');
  if (!found || at <= 0) return accountEmail;
  const local = `${accountEmail.slice(0, at)}+${TOKEN_TAG}-${found[1]!.slice(0, 16).toLowerCase()}-${found[2]}`;
  if (Buffer.byteLength(local, 'utf8') > MAX_LOCAL_OCTETS) return accountEmail;
  return `${local}${accountEmail.slice(at)}`;
}

/** The token in an unsubscribe address: the row id, and the start of the Message-ID it must match. */
export function unsubscribeToken(address: string): { rowId: number; messageIdStart: string } | undefined {
  const found = TOKEN_ADDRESS.exec(address);
  return found ? { rowId: Number(found[2]), messageIdStart: `<${found[1]!.toLowerCase()}` } : undefined;
}
