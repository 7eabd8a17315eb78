/**
 * The editor's own nodes: a merge field as one chip (an atom the cursor steps over, never half
 * of it), a button (a link dressed as one), and images that are https only. In the editor they
 * show as plain DOM (node views), so no inline style reaches the page (its content policy has
 * no 'unsafe-inline'); their saved HTML is what email-html.ts turns into the sent message.
 */
import { mergeAttributes, Node } from '@tiptap/core';
import Image from '@tiptap/extension-image';
import { BUTTON_ATTR, IMAGE_SRC_ATTR, MERGE_ATTR, MERGE_DEFAULT_ATTR, imageUrlProblem, mergeToken } from './email-html';

declare module '@tiptap/core' {
  interface Commands<ReturnType> {
    mergeField: { insertMergeField: (field: string, defaultValue?: string) => ReturnType };
    emailButton: { insertEmailButton: (href: string, text: string) => ReturnType };
  }
}

export const MergeField = Node.create({
  name: 'mergeField',
  group: 'inline',
  inline: true,
  atom: true,
  selectable: true,
  addAttributes() {
    return {
      field: { default: '', parseHTML: (el) => el.getAttribute(MERGE_ATTR) ?? '', renderHTML: (a) => ({ [MERGE_ATTR]: a.field }) },
      defaultValue: {
        default: null,
        parseHTML: (el) => el.getAttribute(MERGE_DEFAULT_ATTR),
        renderHTML: (a) => (a.defaultValue === null ? {} : { [MERGE_DEFAULT_ATTR]: a.defaultValue }),
      },
    };
  },
  parseHTML() {
    return [{ tag: `span[${MERGE_ATTR}]` }];
  },
  renderHTML({ node, HTMLAttributes }) {
    return ['span', mergeAttributes(HTMLAttributes), mergeToken(node.attrs.field as string, node.attrs.defaultValue as string | null)];
  },
  renderText({ node }) {
    return mergeToken(node.attrs.field as string, node.attrs.defaultValue as string | null);
  },
  addNodeView() {
    return ({ node }) => {
      const dom = document.createElement('span');
      dom.className = 'tr-merge-chip';
      dom.contentEditable = 'false';
      const field = node.attrs.field as string;
      const fallback = node.attrs.defaultValue as string | null;
      dom.textContent = fallback === null ? field : `${field} · ${fallback || '(empty)'}`;
      dom.title = `Merge field ${mergeToken(field, fallback)}: each recipient’s ${field}${fallback === null ? '' : `, or “${fallback}” when empty`}`;
      return { dom };
    };
  },
  addCommands() {
    return {
      insertMergeField:
        (field, defaultValue) =>
        ({ commands }) =>
          commands.insertContent({
            type: this.name,
            attrs: { field, defaultValue: defaultValue === undefined || defaultValue === '' ? null : defaultValue },
          }),
    };
  },
});

export const EmailButton = Node.create({
  name: 'emailButton',
  group: 'block',
  atom: true,
  selectable: true,
  draggable: true,
  addAttributes() {
    return {
      href: { default: '' },
      text: { default: 'Open' },
    };
  },
  parseHTML() {
    return [
      {
        tag: 'p',
        // Before a plain paragraph: a paragraph holding only a link marked as a button.
        priority: 60,
        getAttrs: (el) => {
          const only = el.children.length === 1 ? el.firstElementChild : null;
          if (only?.tagName !== 'A' || !only.hasAttribute(BUTTON_ATTR) || el.textContent?.trim() !== only.textContent?.trim()) return false;
          return { href: only.getAttribute('href') ?? '', text: only.textContent ?? '' };
        },
      },
    ];
  },
  renderHTML({ node }) {
    return ['p', {}, ['a', { href: node.attrs.href as string, [BUTTON_ATTR]: '' }, node.attrs.text as string]];
  },
  addNodeView() {
    return ({ node }) => {
      const dom = document.createElement('p');
      dom.className = 'tr-email-button-block';
      const button = document.createElement('span');
      button.className = 'tr-email-button';
      button.textContent = node.attrs.text as string;
      button.title = `Button to ${node.attrs.href as string}`;
      dom.append(button);
      return { dom };
    };
  },
  addCommands() {
    return {
      insertEmailButton:
        (href, text) =>
        ({ commands }) =>
          commands.insertContent({ type: this.name, attrs: { href, text } }),
    };
  },
});

/**
 * Images by https address only (a paste's http, file: or data: images are dropped), shown as a
 * labelled box. Their address is kept in IMAGE_SRC_ATTR, never `src`, so the page loads none
 * (its content policy would refuse it); email-html names it `src` again in what is saved.
 */
export const HttpsImage = Image.extend({
  addAttributes() {
    return {
      ...this.parent?.(),
      src: {
        default: null,
        parseHTML: (el) => el.getAttribute(IMAGE_SRC_ATTR) ?? el.getAttribute('src'),
        renderHTML: (a) => ({ [IMAGE_SRC_ATTR]: a.src as string }),
      },
    };
  },
  parseHTML() {
    return [
      {
        tag: 'img',
        getAttrs: (el) => {
          const src = el.getAttribute(IMAGE_SRC_ATTR) ?? el.getAttribute('src') ?? '';
          return imageUrlProblem(src) === undefined ? {} : false;
        },
      },
    ];
  },
  addNodeView() {
    return ({ node }) => {
      const dom = document.createElement('span');
      dom.className = 'tr-image-chip';
      dom.contentEditable = 'false';
      const alt = (node.attrs.alt as string | null) || '';
      dom.textContent = `Image${alt ? `: ${alt}` : ''} — ${node.attrs.src as string}`;
      dom.title = 'Shown in the preview below and in the recipient’s mail.';
      return { dom };
    };
  },
}).configure({ inline: true, allowBase64: false });

export { mergeAttributes };
