/**
 * The HTML Trickle stores and sends, cleaned by one allow-list (sanitize-html) in the engine:
 * whatever gave the HTML — the editor, a paste from Word or Gmail, a script through the API —
 * what is stored, previewed and sent has no script, event handler, `javascript:` link, form,
 * frame or <style> block, and its images are https. sanitize-html rather than DOMPurify: it
 * runs in Node without a DOM (DOMPurify would need jsdom in the main process), and the engine
 * is the one place every body passes through.
 *
 * Cleaned twice: when a campaign is written (`cleanCampaignHtml`: what the editor reopens is
 * what will be sent) and once more for each recipient after merging (`cleanRenderedHtml`: a
 * merge value in an `href="{{link}}"` cannot make a `javascript:` link, nor an image over http).
 */
import sanitizeHtml from 'sanitize-html';

/** Common in email and kept; anything else (forms, frames, media, SVG, <style>) is removed. */
const ALLOWED_TAGS = [
  'p',
  'br',
  'div',
  'span',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'strong',
  'b',
  'em',
  'i',
  'u',
  's',
  'strike',
  'sub',
  'sup',
  'small',
  'code',
  'pre',
  'blockquote',
  'hr',
  'a',
  'img',
  'ul',
  'ol',
  'li',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'td',
  'th',
  'caption',
  'center',
  'font',
];

const LAYOUT_ATTRIBUTES = [
  'align',
  'valign',
  'width',
  'height',
  'bgcolor',
  'border',
  'cellpadding',
  'cellspacing',
  'colspan',
  'rowspan',
  'role',
];

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  '*': ['style', 'dir', 'lang', 'title'],
  a: ['href', 'target', 'rel', 'name'],
  img: ['src', 'alt', 'width', 'height'],
  font: ['color', 'face', 'size'],
  table: LAYOUT_ATTRIBUTES,
  td: LAYOUT_ATTRIBUTES,
  th: LAYOUT_ATTRIBUTES,
  tr: LAYOUT_ATTRIBUTES,
  ol: ['start', 'type'],
};

// A CSS value without url(), expression() or escapes: none of them has a use in an email body
// that a mail client would honour, and each has carried an attack.
const SAFE_VALUE = /^(?!.*(?:url|expression|image-set|\\))[^<>{};\\]*$/i;
const STYLE_PROPERTIES = [
  'color',
  'background-color',
  'background',
  'font',
  'font-size',
  'font-weight',
  'font-style',
  'font-family',
  'text-align',
  'text-decoration',
  'text-transform',
  'line-height',
  'letter-spacing',
  'white-space',
  'vertical-align',
  'margin',
  'margin-top',
  'margin-right',
  'margin-bottom',
  'margin-left',
  'padding',
  'padding-top',
  'padding-right',
  'padding-bottom',
  'padding-left',
  'border',
  'border-top',
  'border-right',
  'border-bottom',
  'border-left',
  'border-color',
  'border-style',
  'border-width',
  'border-radius',
  'border-collapse',
  'width',
  'max-width',
  'min-width',
  'height',
  'display',
  'list-style-type',
];
const ALLOWED_STYLES = { '*': Object.fromEntries(STYLE_PROPERTIES.map((p) => [p, [SAFE_VALUE]])) };

/** A merge field standing for a whole URL: checked again after it is filled in. */
const MERGE_URL = /^\{\{[^{}]*\}\}$/;

function options(stage: 'stored' | 'sent'): sanitizeHtml.IOptions {
  return {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedStyles: ALLOWED_STYLES,
    allowedSchemes: ['https', 'http', 'mailto', 'tel'],
    allowedSchemesByTag: { img: ['https'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    // Word's <o:p>, <w:…> and conditional comments go; their text stays where it is text.
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'xml', 'template', 'select'],
    exclusiveFilter: (frame) => {
      if (frame.tag === 'img') {
        const src = frame.attribs.src ?? '';
        // A relative or http image shows as a broken frame in the recipient's mail.
        return !(src.startsWith('https://') || (stage === 'stored' && MERGE_URL.test(src.trim())));
      }
      return false;
    },
    transformTags: {
      // A link that opens elsewhere must not give the page a handle on the mail client's window.
      a: (tagName, attribs) => ({
        tagName,
        attribs: attribs.target ? { ...attribs, rel: 'noopener noreferrer' } : attribs,
      }),
    },
  };
}

/** The HTML as it is stored: merge fields (`{{…}}`) are kept, also as a whole link or image URL. */
export function cleanCampaignHtml(html: string): string {
  return sanitizeHtml(html, options('stored'));
}

/** One recipient's HTML after merging, as it is sent and previewed. */
export function cleanRenderedHtml(html: string): string {
  return sanitizeHtml(html, options('sent'));
}
