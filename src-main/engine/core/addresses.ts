/**
 * Email address checks for bulk sending.
 *
 * This is deliberately stricter than RFC 5322: it accepts the addresses real
 * people have and rejects forms that are technically legal but almost always a
 * data-entry mistake (quoted local parts, IP literals, dotless domains). Every
 * rejection comes with a sentence a non-technical user can act on.
 */

export type AddressCheck = { ok: true; email: string; normalized: string } | { ok: false; reason: string };

// SMTP limits are in octets (RFC 5321 §4.5.3.1), so non-ASCII counts as UTF-8 bytes.
const MAX_ADDRESS_OCTETS = 254;
const MAX_LOCAL_OCTETS = 64;
const MAX_LABEL_OCTETS = 63;

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const WHITESPACE = /\s/u; // includes CR, LF, tab, NBSP, U+2028/2029, U+FEFF
const CONTROL_CHAR = /\p{Cc}/u;
// Zero-width spaces, bidi overrides, soft hyphens, lone surrogates: invisible
// in a spreadsheet, so they only get into an address by copy-paste accident.
const INVISIBLE_CHAR = /[\p{Cf}\p{Cs}]/u;
const REPLACEMENT_CHAR = '\uFFFD';
const DISPLAY_NAME_FORM = /<\s*([^<>\s]+@[^<>\s]+)\s*>/;
// RFC 5322 atext plus dots (placement checked separately), plus any non-ASCII
// character (RFC 6531 SMTPUTF8); invisible/space characters are rejected earlier.
const LOCAL_BAD_CHAR = /[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.\u0080-\u{10FFFF}]/u;
const LABEL_BAD_CHAR = /[^\p{L}\p{M}\p{N}-]/u;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
// No top-level domain is numeric or a single ASCII letter (".c" is a typo for ".com").
const BAD_TLD = /^(?:\d+|[a-z])$/i;
const MAILTO_PREFIX = /^mailto:/i;
const CONTROL_CHARS_RUN = /[\p{Cc}\u2028\u2029]+/gu;

const INVALID_DOMAIN = 'The domain part is not valid.';
const IP_NOT_SUPPORTED = 'Addresses with an IP address instead of a domain are not supported.';

/** Whether the UTF-8 encoding of `s` is longer than `limit` bytes. */
function exceedsOctets(s: string, limit: number): boolean {
  // A UTF-16 code unit encodes to 1–3 bytes, so most strings are decided without encoding.
  if (s.length > limit) return true;
  return s.length * 3 > limit && Buffer.byteLength(s, 'utf8') > limit;
}

function fail(reason: string): AddressCheck {
  return { ok: false, reason };
}

export function checkAddress(raw: string): AddressCheck {
  const trimmed = raw.trim();
  if (trimmed === '') return fail('The address is empty.');
  // Nearly every address is printable ASCII, for which the Unicode checks cannot fail.
  const ascii = PRINTABLE_ASCII.test(trimmed);
  const email = ascii ? trimmed : trimmed.normalize('NFC');

  const bracketed = email.includes('<') ? DISPLAY_NAME_FORM.exec(email) : null;
  if (bracketed) {
    return fail(`Put only the address itself, like ${bracketed[1]}, without a name or < >.`);
  }
  if (email.includes('"')) return fail('The address contains quotes, which Trickle does not send to.');
  if (!ascii) {
    if (WHITESPACE.test(email)) return fail('The address has a space or line break in it.');
    if (CONTROL_CHAR.test(email) || INVISIBLE_CHAR.test(email)) {
      return fail('The address contains an invisible character — retype it by hand.');
    }
    if (email.includes(REPLACEMENT_CHAR)) {
      return fail('The address contains a character that could not be read (�) — save the file as UTF-8 and import it again.');
    }
  }
  if (MAILTO_PREFIX.test(email)) return fail('Remove "mailto:" from the start of the address.');
  if (exceedsOctets(email, MAX_ADDRESS_OCTETS)) return fail('The address is longer than 254 characters.');

  const at = email.indexOf('@');
  if (at === -1) return fail('The address has no @.');
  if (email.indexOf('@', at + 1) !== -1) return fail('The address has more than one @.');

  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local === '') return fail('There is nothing before the @.');
  if (domain === '') return fail('There is nothing after the @.');

  const localProblem = checkLocalPart(local);
  if (localProblem) return fail(localProblem);
  const domainProblem = checkDomain(domain);
  if (domainProblem) return fail(domainProblem);

  return { ok: true, email, normalized: email.toLowerCase() };
}

function checkLocalPart(local: string): string | undefined {
  if (exceedsOctets(local, MAX_LOCAL_OCTETS)) return 'The part before @ is longer than 64 characters.';
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return 'The part before @ cannot start or end with a dot or have two dots in a row.';
  }
  const bad = LOCAL_BAD_CHAR.exec(local);
  if (bad) return `The part before @ contains "${bad[0]}", which is not allowed in an address.`;
  return undefined;
}

function checkDomain(domain: string): string | undefined {
  if (domain.startsWith('[') || IPV4.test(domain)) return IP_NOT_SUPPORTED;

  const labels = domain.split('.');
  for (const label of labels) {
    const bad = LABEL_BAD_CHAR.exec(label);
    if (bad) return `The domain "${domain}" contains "${bad[0]}", which is not allowed.`;
  }
  if (labels.length === 1) return `The domain "${domain}" has no dot — check for a typo.`;

  for (const label of labels) {
    if (label === '') return `The domain "${domain}" has a dot in the wrong place.`;
    if (label.startsWith('-') || label.endsWith('-')) return INVALID_DOMAIN;
    if (exceedsOctets(label, MAX_LABEL_OCTETS)) return INVALID_DOMAIN;
  }
  if (BAD_TLD.test(labels[labels.length - 1] ?? '')) return INVALID_DOMAIN;
  return undefined;
}

/**
 * Makes text safe for a single-line header (subject, display name): any line
 * break or control character becomes a space, so no header can be injected.
 */
export function sanitizeHeaderText(s: string): string {
  return s.replace(CONTROL_CHARS_RUN, ' ').trim();
}
