/**
 * Merge-field templates: `{{ first name }}` and `{{first_name|there}}`.
 *
 * Field names are normalized like CSV headers, so `{{First Name}}` reads the
 * `first_name` column. Rendering is a single pass: inserted values are never
 * scanned for `{{…}}` again, so recipient data cannot inject template syntax.
 */
import { compile } from 'html-to-text';
import type { DomNode, FormatCallback } from 'html-to-text';
import { FIELD_TOKEN, mergeTokens, parseMergeToken } from '../../../src-shared/merge-fields';

/**
 * Characters that show nothing: white space, control characters (C0, DEL, C1), zero-width and
 * direction marks, line and paragraph separators, the byte-order mark. A merge value made of
 * these only is empty: in a subject it would vanish once header text is made a single line,
 * leaving a message without a Subject. The queue's SQL check trims the same list; NUL is left
 * out of it because SQLite's trim() stops reading its list at a NUL: that check finds a value
 * of NULs and invisible characters another way (campaign-recipients.ts, isBlankSql).
 */
export const INVISIBLE_CHARACTERS = String.fromCodePoint(
  ...range(0x01, 0x20),
  ...range(0x7f, 0xa0),
  0x1680,
  ...range(0x2000, 0x200f),
  ...range(0x2028, 0x202f),
  ...range(0x205f, 0x2064),
  0x3000,
  0xfeff,
);

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** True when the value shows nothing (see INVISIBLE_CHARACTERS). */
export function isBlankValue(value: string): boolean {
  for (const ch of value) if (ch !== '\0' && !INVISIBLE_CHARACTERS.includes(ch)) return false;
  return true;
}

export interface TemplateField {
  name: string;
  defaultValue?: string;
}

export class MergeError extends Error {
  readonly code = 'merge_missing_field' as const;
  readonly field: string;

  constructor(field: string) {
    super(`The field {{${field}}} has no value for this recipient and no default. Give it a default like {{${field}|there}}.`);
    this.name = 'MergeError';
    this.field = field;
  }
}

/**
 * Every field the templates use, in order of first use. A field used anywhere
 * without a default is reported without one: some recipient must supply it.
 */
export function templateFields(...templates: (string | null | undefined)[]): TemplateField[] {
  return mergeTokens(...templates);
}

/** How many times the templates use each field (for weighing recipients by message size). */
export function fieldUses(...templates: (string | null | undefined)[]): Map<string, number> {
  const uses = new Map<string, number>();
  for (const template of templates) {
    if (!template) continue;
    for (const match of template.matchAll(FIELD_TOKEN)) {
      const token = parseMergeToken(match[1] ?? '');
      if (token) uses.set(token.name, (uses.get(token.name) ?? 0) + 1);
    }
  }
  return uses;
}

/**
 * Fills in the fields. `values` is keyed by normalized field name. A blank value
 * falls back to the field's default; with no default it throws MergeError.
 * Values are inserted as-is apart from HTML escaping: subjects must still go
 * through sanitizeHeaderText.
 */
export function renderTemplate(template: string, values: Record<string, string>, opts: { escape: 'html' | 'none' }): string {
  const encode = opts.escape === 'html' ? escapeHtml : (s: string) => s;
  return template.replace(FIELD_TOKEN, (literal, inner: string) => {
    const token = parseMergeToken(inner);
    if (!token) return literal;
    // hasOwn: a field named "constructor" must not read Object.prototype.
    const value = Object.hasOwn(values, token.name) ? values[token.name] : undefined;
    if (value !== undefined && !isBlankValue(value)) return encode(value);
    if (token.defaultValue !== undefined) return encode(token.defaultValue);
    throw new MergeError(token.name);
  });
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const HTML_SPECIAL = /[&<>"']/g;

export function escapeHtml(s: string): string {
  return s.replace(HTML_SPECIAL, (ch) => HTML_ESCAPES[ch] ?? ch);
}

// Images become their alt text: the src URL means nothing in a text email
// and tracking pixels have no alt, so they vanish.
const imageAltText: FormatCallback = (elem: DomNode, _walk, builder) => {
  const alt: unknown = elem.attribs?.alt;
  if (typeof alt === 'string' && alt.trim() !== '') builder.addInline(alt.trim());
};

const convertHtml = compile({
  wordwrap: 78,
  formatters: { imageAltText },
  selectors: [
    { selector: 'a', options: { linkBrackets: ['(', ')'], hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'imageAltText' },
  ],
});

/** The plain-text alternative of an HTML email: links as "text (url)", images as alt text. */
export function htmlToPlainText(html: string): string {
  return convertHtml(html);
}
