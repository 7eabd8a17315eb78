import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_OPTIONS } from './csv-parsing';
import { parsePlainCsv } from './plain-csv';

/** Text made of what plain CSV holds: letters (some not ASCII), digits, @ . - _, the three delimiters, spaces, tabs and line ends. */
const plainText = fc
  .array(fc.constantFrom('a', 'B', 'z', '0', '9', '@', '.', '-', '_', 'é', 'ß', '日', '🙂', ',', ';', '\t', ' ', ' ', '\n', '\r\n', '\r'), {
    maxLength: 80,
  })
  .map((parts) => parts.join(''));

describe('plain CSV without the general parser', () => {
  it.each([',', ';', '\t'])('reads quote-free text exactly as csv-parse does (delimiter %j)', (delimiter) => {
    fc.assert(
      fc.property(plainText, (text) => {
        expect(parsePlainCsv(text, delimiter)).toEqual(parse(text, { ...CSV_OPTIONS, delimiter }));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads a typical file the same way, blank lines and ragged rows included', () => {
    const text = 'email,first_name\r\n a@example.com , Ann \r\n\r\nb@example.com,Bob,extra\n  \nc@example.com\n';
    expect(parsePlainCsv(text, ',')).toEqual(parse(text, { ...CSV_OPTIONS, delimiter: ',' }));
  });

  it('leaves quotes and unusual whitespace to the general parser', () => {
    expect(parsePlainCsv('email\n"a@x.com"\n', ',')).toBeUndefined();
    expect(parsePlainCsv('email\na@x.com\u00a0\n', ',')).toBeUndefined();
    expect(parsePlainCsv('email\fname\n', ',')).toBeUndefined();
    expect(parsePlainCsv('\ufeffemail\n', ',')).toBeUndefined();
  });
});
