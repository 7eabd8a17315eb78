/**
 * Merge-field templates: `{{ first name }}` and `{{first_name|there}}`.
 *
 * Field names are normalized like CSV headers, so `{{First Name}}` reads the
 * `first_name` column. Rendering is a single pass: inserted values are never
 * scanned for `{{…}}` again, so recipient data cannot inject template syntax.
 */
import { compile } from 'html-to-text';
import type { DomNode, FormatCallback } from 'html-to-text';
import { normalizeFieldName } from './csv-import';

export interface TemplateField {
  name: string;
  defaultValue?: string;
}

export class MergeError extends Error {
  readonly code = 'merge_missing_field' as const;
  readonly field: string;

  constructor(field: string) {
    super(
      `The field {{${field}}} has no value for this recipient and no default. Give it a default like {{${field}|there}}.`,
    );
    this.name = 'MergeError';
    this.field = field;
  }
}

// No braces inside, so `{{` without a matching `}}` never matches and stays literal text.
const FIELD_TOKEN = /\{\{([^{}]*)\}\}/g;

interface ParsedToken {
  name: string;
  defaultValue?: string;
}

/** Returns undefined for tokens without a usable name (`{{}}`, `{{ | x }}`), which stay literal. */
function parseToken(inner: string): ParsedToken | undefined {
  const bar = inner.indexOf('|');
  const name = normalizeFieldName(bar === -1 ? inner : inner.slice(0, bar));
  if (name === '') return undefined;
  return bar === -1 ? { name } : { name, defaultValue: inner.slice(bar + 1).trim() };
}

/**
 * Every field the templates use, in order of first use. A field used anywhere
 * without a default is reported without one: some recipient must supply it.
 */
export function templateFields(...templates: (string | null | undefined)[]): TemplateField[] {
  const fields = new Map<string, TemplateField>();
  for (const template of templates) {
    if (!template) continue;
    for (const match of template.matchAll(FIELD_TOKEN)) {
      const token = parseToken(match[1] ?? '');
      if (!token) continue;
      const seen = fields.get(token.name);
      if (!seen) fields.set(token.name, token);
      else if (token.defaultValue === undefined) delete seen.defaultValue;
    }
  }
  return [...fields.values()];
}

/**
 * Fills in the fields. `values` is keyed by normalized field name. A blank value
 * falls back to the field's default; with no default it throws MergeError.
 * Values are inserted as-is apart from HTML escaping: subjects must still go
 * through sanitizeHeaderText.
 */
export function renderTemplate(
  template: string,
  values: Record<string, string>,
  opts: { escape: 'html' | 'none' },
): string {
  const encode = opts.escape === 'html' ? escapeHtml : (s: string) => s;
  return template.replace(FIELD_TOKEN, (literal, inner: string) => {
    const token = parseToken(inner);
    if (!token) return literal;
    // hasOwn: a field named "constructor" must not read Object.prototype.
    const value = Object.hasOwn(values, token.name) ? values[token.name] : undefined;
    if (value !== undefined && value.trim() !== '') return encode(value);
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
