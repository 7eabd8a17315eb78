/**
 * Merge fields as both sides read them: `{{ first name }}` and `{{first_name|there}}`. The
 * window checks them while the user types, the engine before it queues, with the same words:
 * a field that is not one of the list's columns is almost always a typo, and its default
 * (or an empty value) would otherwise go to every recipient.
 */
import { normalizeFieldName } from './field-names';

// No braces inside, so `{{` without a matching `}}` never matches and stays literal text.
export const FIELD_TOKEN = /\{\{([^{}]*)\}\}/g;

export interface MergeToken {
  /** The column it reads, normalized as CSV headers are ("First Name" → first_name). */
  name: string;
  /** After `|`, trimmed; absent when the token has none. */
  defaultValue?: string;
}

/** Undefined for tokens without a usable name (`{{}}`, `{{ | x }}`), which stay literal text. */
export function parseMergeToken(inner: string): MergeToken | undefined {
  const bar = inner.indexOf('|');
  const name = normalizeFieldName(bar === -1 ? inner : inner.slice(0, bar));
  if (name === '') return undefined;
  return bar === -1 ? { name } : { name, defaultValue: inner.slice(bar + 1).trim() };
}

/** Every field the templates use, in order of first use (without a default if any use lacks one). */
export function mergeTokens(...templates: (string | null | undefined)[]): MergeToken[] {
  const fields = new Map<string, MergeToken>();
  for (const template of templates) {
    if (!template) continue;
    for (const match of template.matchAll(FIELD_TOKEN)) {
      const token = parseMergeToken(match[1] ?? '');
      if (!token) continue;
      const seen = fields.get(token.name);
      if (!seen) fields.set(token.name, { ...token });
      else if (token.defaultValue === undefined) delete seen.defaultValue;
    }
  }
  return [...fields.values()];
}

/**
 * Fields a template may use whatever the list's columns: the address, and the name (from a
 * name column, or the list's names; `{{name|there}}` is the usual greeting, filled by its
 * default for a list without names, as missing-value checks already handle).
 */
export const ALWAYS_KNOWN_FIELDS = ['email', 'name'] as const;

export interface UnknownField {
  field: string;
  /** The column the user probably meant, when one is close enough. */
  suggestion?: string;
}

/**
 * The fields the templates use that are not columns of the list (`columns` normalized, as
 * campaigns store them), each with the nearest column when one is close.
 */
export function unknownMergeFields(templates: (string | null | undefined)[], columns: readonly string[]): UnknownField[] {
  const known = new Set<string>([...columns, ...ALWAYS_KNOWN_FIELDS]);
  const unknown: UnknownField[] = [];
  for (const { name } of mergeTokens(...templates)) {
    if (known.has(name)) continue;
    const suggestion = nearestColumn(name, [...known]);
    unknown.push(suggestion ? { field: name, suggestion } : { field: name });
  }
  return unknown;
}

/** One sentence per unknown field: "There is no column frist_name — did you mean first_name?" */
export function describeUnknownField({ field, suggestion }: UnknownField, columns: readonly string[]): string {
  if (suggestion) return `There is no column ${field} — did you mean ${suggestion}?`;
  const listed = [...columns, ...ALWAYS_KNOWN_FIELDS];
  const shown = listed.length > 10 ? `${listed.slice(0, 10).join(', ')} and ${listed.length - 10} more` : listed.join(', ');
  return `There is no column ${field} in the list (its columns: ${shown}).`;
}

/** All of them, for an error that stops queueing. */
export function describeUnknownFields(unknown: UnknownField[], columns: readonly string[]): string {
  return `${unknown.map((u) => describeUnknownField(u, columns)).join(' ')} Correct the merge field, or import a list that has that column.`;
}

/** The column within a small edit distance (a third of the name's length, at least 1, at most 3). */
export function nearestColumn(field: string, columns: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(field.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const column of columns) {
    const distance = editDistance(field, column);
    if (distance <= limit && distance < bestDistance) {
      best = column;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: a swap of two neighbours ("frist") counts as one edit. */
export function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  // One flat row-major table; a cell outside it reads as Infinity.
  const d = new Array<number>((a.length + 1) * width).fill(0);
  const at = (i: number, j: number) => d[i * width + j] ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i <= a.length; i++) d[i * width] = i;
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      d[i * width + j] = value;
    }
  }
  return at(a.length, b.length);
}
