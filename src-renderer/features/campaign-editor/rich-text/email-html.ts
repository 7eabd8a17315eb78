/**
 * Between the visual editor's HTML and the HTML a mail program shows.
 *
 * Out (`toEmailHtml`): merge chips become `{{field}}` / `{{field|default}}` text again, and
 * every element gets the inline style mail programs honour (they ignore <style> blocks), the
 * button a padded coloured link. In (`toEditorHtml`): `{{…}}` in the text becomes chips, so a
 * reopened draft shows what it showed. Both parse with DOMParser, whose documents are inert:
 * nothing in them loads or runs, and the page's content policy is not involved.
 */
import { FIELD_TOKEN, parseMergeToken } from '../../../../src-shared/merge-fields';

/** The inline styles each element gets when it has none (a paste's own styles are kept). */
const ELEMENT_STYLES: Record<string, string> = {
  p: 'margin:0 0 12px;line-height:1.5',
  h1: 'font-size:26px;line-height:1.25;margin:0 0 12px;font-weight:bold',
  h2: 'font-size:21px;line-height:1.3;margin:0 0 10px;font-weight:bold',
  h3: 'font-size:17px;line-height:1.35;margin:0 0 8px;font-weight:bold',
  ul: 'margin:0 0 12px;padding-left:24px',
  ol: 'margin:0 0 12px;padding-left:24px',
  li: 'margin:0 0 4px',
  blockquote: 'margin:0 0 12px;padding-left:12px;border-left:3px solid #d0d7de;color:#555555',
  a: 'color:#1a5fd0;text-decoration:underline',
  img: 'max-width:100%;height:auto;border:0',
  hr: 'border:0;border-top:1px solid #d0d7de;margin:16px 0',
};

/** The button: a link dressed as one, which every mail program shows (no <button>, no CSS class). */
export const BUTTON_STYLE =
  'display:inline-block;padding:12px 22px;background-color:#2f6feb;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:bold';

/** The attribute the editor marks its nodes with (the engine's cleaning drops data-* attributes). */
export const MERGE_ATTR = 'data-merge-field';
export const MERGE_DEFAULT_ATTR = 'data-merge-default';
export const BUTTON_ATTR = 'data-email-button';

/**
 * HTML parsed in the page is made inert for it first: a document that DOMParser (or the
 * editor's paste) makes inherits the page's content policy — no inline styles, images only
 * from Trickle — and would report every style attribute and try every image. So style
 * attributes and image addresses are renamed while the HTML is in the page (and named back in
 * what is saved), and <style>, <script>, <base>, <link> and <meta> are dropped before parsing.
 */
const STYLE_ATTR = 'data-tr-style';
export const IMAGE_SRC_ATTR = 'data-tr-src';

const INERT_BLOCKS = /<(script|style|noscript|template|xml|title)\b[\s\S]*?<\/\1\s*>/gi;
const INERT_TAGS = /<\/?(base|link|meta|script|style)\b[^>]*>/gi;

/** `style=` and an image's `src=` inside tags are renamed (text between tags is left alone). */
export function inertForPage(html: string): string {
  return html
    .replace(INERT_BLOCKS, '')
    .replace(INERT_TAGS, '')
    .replace(/<([a-zA-Z][\w:-]*)\b[^>]*>/g, (tag, name: string) => {
      let renamed = tag.replace(/(\s)style(\s*=)/gi, `$1${STYLE_ATTR}$2`);
      if (/^(img|source|input)$/i.test(name)) renamed = renamed.replace(/(\s)(src|srcset)(\s*=)/gi, `$1${IMAGE_SRC_ATTR}$3`);
      return renamed;
    });
}

function parse(html: string): HTMLElement {
  return new DOMParser().parseFromString(`<!doctype html><body>${inertForPage(html)}</body>`, 'text/html').body;
}

/** The element's HTML with the renamed attributes named back, as it is saved. */
function serialize(body: HTMLElement): string {
  return body.innerHTML.replaceAll(` ${STYLE_ATTR}="`, ' style="').replaceAll(` ${IMAGE_SRC_ATTR}="`, ' src="');
}

/** The token a chip stands for. */
export function mergeToken(field: string, defaultValue: string | null | undefined): string {
  return defaultValue === null || defaultValue === undefined ? `{{${field}}}` : `{{${field}|${defaultValue}}}`;
}

/** The visual editor's HTML as it is saved and sent. */
export function toEmailHtml(editorHtml: string): string {
  const body = parse(editorHtml);
  for (const chip of [...body.querySelectorAll(`[${MERGE_ATTR}]`)]) {
    const field = chip.getAttribute(MERGE_ATTR) ?? '';
    chip.replaceWith(body.ownerDocument.createTextNode(mergeToken(field, chip.getAttribute(MERGE_DEFAULT_ATTR))));
  }
  for (const button of [...body.querySelectorAll(`a[${BUTTON_ATTR}]`)]) {
    button.removeAttribute(BUTTON_ATTR);
    button.setAttribute(STYLE_ATTR, BUTTON_STYLE);
    button.setAttribute('target', '_blank');
  }
  for (const element of [...body.querySelectorAll('*')]) {
    const style = ELEMENT_STYLES[element.tagName.toLowerCase()];
    if (style && !element.getAttribute(STYLE_ATTR)) element.setAttribute(STYLE_ATTR, style);
    // A list item's paragraph needs no gap of its own.
    if (element.tagName === 'P' && element.parentElement?.tagName === 'LI') element.setAttribute(STYLE_ATTR, 'margin:0');
    element.removeAttribute('class');
  }
  return serialize(body);
}

/** Saved HTML as the visual editor reads it: merge tokens in the text become chips. */
export function toEditorHtml(emailHtml: string): string {
  // Images keep IMAGE_SRC_ATTR: the editor reads it, and never loads an image in the page.
  const body = parse(emailHtml);
  const walker = body.ownerDocument.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node as Text);
  for (const text of texts) {
    const value = text.data;
    if (!value.includes('{{')) continue;
    const pieces: Node[] = [];
    let last = 0;
    for (const match of value.matchAll(FIELD_TOKEN)) {
      const token = parseMergeToken(match[1] ?? '');
      if (!token) continue;
      pieces.push(body.ownerDocument.createTextNode(value.slice(last, match.index)));
      const chip = body.ownerDocument.createElement('span');
      chip.setAttribute(MERGE_ATTR, token.name);
      if (token.defaultValue !== undefined) chip.setAttribute(MERGE_DEFAULT_ATTR, token.defaultValue);
      chip.textContent = match[0];
      pieces.push(chip);
      last = (match.index ?? 0) + match[0].length;
    }
    if (pieces.length === 0) continue;
    pieces.push(body.ownerDocument.createTextNode(value.slice(last)));
    text.replaceWith(...pieces);
  }
  for (const link of [...body.querySelectorAll('a')]) {
    if (/display\s*:\s*inline-block/i.test(link.getAttribute(STYLE_ATTR) ?? '')) link.setAttribute(BUTTON_ATTR, '');
  }
  // The editor keeps no style of its own (email-html adds them again on the way out).
  for (const styled of [...body.querySelectorAll(`[${STYLE_ATTR}]`)]) styled.removeAttribute(STYLE_ATTR);
  return body.innerHTML;
}

/** Elements the visual editor keeps; HTML with others (tables, colours, layout) is kept in the source view. */
const EDITOR_TAGS = new Set([
  'P',
  'BR',
  'H1',
  'H2',
  'H3',
  'STRONG',
  'B',
  'EM',
  'I',
  'U',
  'S',
  'A',
  'IMG',
  'UL',
  'OL',
  'LI',
  'BLOCKQUOTE',
  'HR',
  'SPAN',
]);

/** Whether the visual editor shows this HTML without losing anything but its default styles. */
export function fitsVisualEditor(emailHtml: string): boolean {
  if (!emailHtml.trim()) return true;
  const body = parse(emailHtml);
  for (const element of body.querySelectorAll('*')) {
    if (!EDITOR_TAGS.has(element.tagName)) return false;
    if (element.tagName === 'SPAN' && element.getAttribute(STYLE_ATTR)) return false;
  }
  return true;
}

/** Why an image address cannot be used, or undefined when it can. */
export function imageUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return 'That is not a web address. Copy the image’s address (it starts with https://) and paste it here.';
  }
  if (parsed.protocol !== 'https:') {
    return 'Images must be at an https:// address: mail programs block others, or warn the reader. Use the https address of the image.';
  }
  return undefined;
}

/** Why a link address cannot be used, or undefined when it can. */
export function linkUrlProblem(url: string): string | undefined {
  const value = url.trim();
  if (/^\{\{[^{}]*\}\}$/.test(value)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return 'That is not a web address: it should start with https:// (or be mailto: for an address).';
  }
  if (!['https:', 'http:', 'mailto:', 'tel:'].includes(parsed.protocol)) {
    return 'A link must be a web address (https://…), a mailto: or a tel: link.';
  }
  return undefined;
}
