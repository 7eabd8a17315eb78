/**
 * The common CSV read without the general parser: a slice with no quotes and no whitespace
 * but spaces and tabs is rows split at line ends (\r\n, \n or \r) and cells split at the
 * delimiter, each cell trimmed — exactly what csv-parse makes of it with csv-parsing.ts's
 * options (a property test holds the two to the same answers), at a fraction of the cost:
 * the general parser was a quarter of a big import's time (issue 17). Anything else (a
 * quote, a no-break space, a form feed...) returns undefined: the caller uses csv-parse.
 */

// Quotes, and every character csv-parse's trim or String#trimEnd treats as whitespace
// beyond space, tab and the line ends.
const NOT_PLAIN = /["\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
const LINE_END = /\r\n|\n|\r/;
const EDGE_BLANKS = /^[ \t]+|[ \t]+$/g;

export function parsePlainCsv(slice: string, delimiter: string): string[][] | undefined {
  if (NOT_PLAIN.test(slice)) return undefined;
  const lines = slice.split(LINE_END);
  // A line end closes its record; it does not open one. What follows the last line end (or is
  // the whole text) is no record either when it is only blanks without a delimiter.
  const last = lines[lines.length - 1]!;
  if (!last.includes(delimiter) && last.replace(EDGE_BLANKS, '') === '') lines.pop();
  const records: string[][] = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const cells = lines[i]!.split(delimiter);
    for (let k = 0; k < cells.length; k++) {
      const cell = cells[k]!;
      const first = cell.charCodeAt(0);
      const last = cell.charCodeAt(cell.length - 1);
      // Most cells have no blank at either end: no regex for them.
      if (first === 32 || first === 9 || last === 32 || last === 9) cells[k] = cell.replace(EDGE_BLANKS, '');
    }
    records[i] = cells;
  }
  return records;
}
