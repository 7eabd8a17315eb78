import { describe, it, expect } from 'vitest';
import { checkAddress, sanitizeHeaderText } from './addresses';

function reasonFor(raw: string): string {
  const result = checkAddress(raw);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
  return result.reason;
}

describe('checkAddress: accepted addresses', () => {
  it.each([
    'ann@example.com',
    'ann.lee+newsletter@example.co.uk',
    'first_last-99@mail.example-domain.org',
    "o'brien@example.ie",
    'ann@xn--bcher-kva.de',
    'ann@bücher.de',
    'josé@example.com',
    'пользователь@пример.рф',
  ])('accepts %s', (address) => {
    expect(checkAddress(address)).toMatchObject({ ok: true, email: address });
  });

  it('trims surrounding whitespace and lowercases only the normalized form', () => {
    expect(checkAddress('  Ann.Lee@Example.COM \r\n')).toEqual({
      ok: true,
      email: 'Ann.Lee@Example.COM',
      normalized: 'ann.lee@example.com',
    });
  });

  it('lowercases non-ASCII letters for duplicate detection', () => {
    expect(checkAddress('ÅSA@BÜCHER.DE')).toMatchObject({ ok: true, normalized: 'åsa@bücher.de' });
  });

  it('treats composed and decomposed accents as the same address', () => {
    const composed = checkAddress('jos\u00e9@example.com');
    const decomposed = checkAddress('jose\u0301@example.com');
    expect(composed.ok && decomposed.ok && composed.normalized === decomposed.normalized).toBe(true);
  });
});

describe('checkAddress: rejected addresses', () => {
  it.each([
    ['', 'The address is empty.'],
    ['   ', 'The address is empty.'],
    ['ann.example.com', 'The address has no @.'],
    ['ann@@example.com', 'The address has more than one @.'],
    ['ann@example.com@other.com', 'The address has more than one @.'],
    ['@example.com', 'There is nothing before the @.'],
    ['ann@', 'There is nothing after the @.'],
    ['ann lee@example.com', 'The address has a space or line break in it.'],
    ['ann@example.com\r\nBcc: victim@example.org', 'The address has a space or line break in it.'],
    ['ann\t@example.com', 'The address has a space or line break in it.'],
    ['ann\u00a0lee@example.com', 'The address has a space or line break in it.'],
    ['ann\u200b@example.com', 'The address contains an invisible character — retype it by hand.'],
    ['ann\u0000@example.com', 'The address contains an invisible character — retype it by hand.'],
    ['ann\u202e@example.com', 'The address contains an invisible character — retype it by hand.'],
    ['"ann lee"@example.com', 'The address contains quotes, which Trickle does not send to.'],
    ['ann@[192.168.0.1]', 'Addresses with an IP address instead of a domain are not supported.'],
    ['ann@192.168.0.1', 'Addresses with an IP address instead of a domain are not supported.'],
    ['ann@gmial', 'The domain "gmial" has no dot — check for a typo.'],
    ['.ann@example.com', 'The part before @ cannot start or end with a dot or have two dots in a row.'],
    ['ann.@example.com', 'The part before @ cannot start or end with a dot or have two dots in a row.'],
    ['ann..lee@example.com', 'The part before @ cannot start or end with a dot or have two dots in a row.'],
    ['ann,lee@example.com', 'The part before @ contains ",", which is not allowed in an address.'],
    ['ann@example..com', 'The domain "example..com" has a dot in the wrong place.'],
    ['ann@example.com.', 'The domain "example.com." has a dot in the wrong place.'],
    ['ann@.example.com', 'The domain ".example.com" has a dot in the wrong place.'],
    ['ann@example.com,', 'The domain "example.com," contains ",", which is not allowed.'],
    ['ann@exa_mple.com', 'The domain "exa_mple.com" contains "_", which is not allowed.'],
    ['ann@-example.com', 'The domain part is not valid.'],
    ['ann@example-.com', 'The domain part is not valid.'],
    ['ann@example.123', 'The domain part is not valid.'],
    ['ann@example.c', 'The domain part is not valid.'],
    [`ann@${'a'.repeat(64)}.com`, 'The domain part is not valid.'],
    ['mailto:ann@example.com', 'Remove "mailto:" from the start of the address.'],
    ['ann@example.com\uFFFD', 'The address contains a character that could not be read (�) — save the file as UTF-8 and import it again.'],
  ])('rejects %j', (address, reason) => {
    expect(reasonFor(address)).toBe(reason);
  });

  it('suggests the bare address for a display-name form', () => {
    expect(reasonFor('Ann Lee <ann@example.com>')).toBe('Put only the address itself, like ann@example.com, without a name or < >.');
    expect(reasonFor('<ann@example.com>')).toBe('Put only the address itself, like ann@example.com, without a name or < >.');
  });

  it('enforces the SMTP length limits', () => {
    expect(checkAddress(`${'a'.repeat(64)}@example.com`).ok).toBe(true);
    expect(reasonFor(`${'a'.repeat(65)}@example.com`)).toBe('The part before @ is longer than 64 characters.');
    // 32 two-byte characters are 64 bytes: fine. 33 are too long for SMTP.
    expect(checkAddress(`${'é'.repeat(32)}@example.com`).ok).toBe(true);
    expect(reasonFor(`${'é'.repeat(33)}@example.com`)).toBe('The part before @ is longer than 64 characters.');

    const domain = `${'d'.repeat(60)}.${'d'.repeat(60)}.${'d'.repeat(60)}.${'d'.repeat(60)}.com`; // 247 characters
    expect(checkAddress(`${'a'.repeat(6)}@${domain}`).ok).toBe(true); // 254 in all
    expect(reasonFor(`${'a'.repeat(7)}@${domain}`)).toBe('The address is longer than 254 characters.');
  });
});

describe('sanitizeHeaderText', () => {
  it('turns line breaks and control characters into single spaces', () => {
    expect(sanitizeHeaderText('Hello\r\nBcc: evil@example.com')).toBe('Hello Bcc: evil@example.com');
    expect(sanitizeHeaderText('a\nb\rc\td\u0000e\u0085f\u2028g')).toBe('a b c d e f g');
  });

  it('trims and leaves ordinary text alone', () => {
    expect(sanitizeHeaderText('\r\n  Spring news — 50% off  \n')).toBe('Spring news — 50% off');
    expect(sanitizeHeaderText('Ünïcödé 🎉 subject')).toBe('Ünïcödé 🎉 subject');
  });
});
