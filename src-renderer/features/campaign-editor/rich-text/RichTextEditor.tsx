/**
 * The message editor a small sender can use: bold, italic, headings, lists, links, images by
 * https address, a button, and merge fields as chips — no HTML to write. Built on TipTap
 * (ProseMirror): kept up, headless (it draws nothing of its own, so the app's look and its
 * content policy stay in charge), with a document schema that keeps only what its extensions
 * know — a paste from Word or Gmail loses its scripts, handlers and forms on the way in, and
 * the engine cleans what is saved again. Loaded only when a message is edited (React.lazy),
 * so it weighs nothing on the first page.
 */
import { EditorContent, useEditor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import { type MutableRefObject, useEffect, useState } from 'react';
import { MAX_BODY_CHARS } from '../../../../src-shared/limits';
import { EmailButton, HttpsImage, MergeField } from './extensions';
import { imageUrlProblem, linkUrlProblem, inertForPage, toEditorHtml, toEmailHtml } from './email-html';

export interface RichTextApi {
  insertField(field: string, defaultValue?: string): void;
}

export interface RichTextEditorProps {
  /** The saved (email) HTML it opens with; later changes come from the editor itself. */
  initialHtml: string;
  onChange(emailHtml: string): void;
  labelledBy: string;
  describedBy?: string;
  apiRef: MutableRefObject<RichTextApi | null>;
}

type Insert = 'link' | 'image' | 'button';

export const TOO_BIG_PASTE = `That paste is too big for a message (over ${MAX_BODY_CHARS.toLocaleString('en-US')} characters), so it was not pasted. Paste a shorter part, or link to the rest.`;

export default function RichTextEditor({ initialHtml, onChange, labelledBy, describedBy, apiRef }: RichTextEditorProps) {
  const [notice, setNotice] = useState<string>();
  const [inserting, setInserting] = useState<Insert>();
  const editor = useEditor({
    // The page's content policy allows no injected <style>: the editor's CSS is in styles.css.
    injectCSS: false,
    shouldRerenderOnTransaction: true,
    extensions: [
      StarterKit.configure({
        heading: { levels: [1, 2, 3] },
        code: false,
        codeBlock: false,
        link: {
          openOnClick: false,
          autolink: true,
          defaultProtocol: 'https',
          isAllowedUri: (url) => linkUrlProblem(url) === undefined,
        },
      }),
      HttpsImage,
      MergeField,
      EmailButton,
    ],
    content: toEditorHtml(initialHtml),
    editorProps: {
      attributes: {
        role: 'textbox',
        'aria-multiline': 'true',
        'aria-labelledby': labelledBy,
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
        class: 'tr-rich-editor__content',
        spellcheck: 'true',
      },
      // Made inert before ProseMirror parses it (email-html.ts): nothing of a paste loads in the page.
      transformPastedHTML: inertForPage,
      // Measured before ProseMirror parses it: a huge paste would hold the page for long seconds.
      handlePaste: (_view, event) => {
        const data = event.clipboardData;
        const size = (data?.getData('text/html').length ?? 0) + (data?.getData('text/plain').length ?? 0);
        if (size > MAX_BODY_CHARS) {
          setNotice(TOO_BIG_PASTE);
          return true;
        }
        setNotice(undefined);
        return false;
      },
    },
    onUpdate: ({ editor: e }) => onChange(e.isEmpty ? '' : toEmailHtml(e.getHTML())),
  });

  useEffect(() => {
    apiRef.current = {
      insertField: (field, defaultValue) => editor?.chain().focus().insertMergeField(field, defaultValue).insertContent(' ').run(),
    };
    return () => {
      apiRef.current = null;
    };
  }, [editor, apiRef]);

  if (!editor) return null;
  const tool = (label: string, text: string, active: boolean, run: () => void, disabled = false) => (
    <button
      type="button"
      className={`tr-tool tr-tool--${label.toLowerCase().replaceAll(' ', '-')}`}
      aria-label={label}
      title={label}
      aria-pressed={active}
      disabled={disabled}
      onMouseDown={(ev) => ev.preventDefault()}
      onClick={run}
    >
      {text}
    </button>
  );
  const chain = () => editor.chain().focus();
  return (
    <div className="tr-rich-editor">
      <div className="tr-toolbar" role="toolbar" aria-label="Formatting">
        {tool('Bold', 'B', editor.isActive('bold'), () => chain().toggleBold().run())}
        {tool('Italic', 'I', editor.isActive('italic'), () => chain().toggleItalic().run())}
        <span className="tr-toolbar__gap" />
        {tool('Heading', 'H1', editor.isActive('heading', { level: 1 }), () => chain().toggleHeading({ level: 1 }).run())}
        {tool('Subheading', 'H2', editor.isActive('heading', { level: 2 }), () => chain().toggleHeading({ level: 2 }).run())}
        {tool('Small heading', 'H3', editor.isActive('heading', { level: 3 }), () => chain().toggleHeading({ level: 3 }).run())}
        <span className="tr-toolbar__gap" />
        {tool('Bulleted list', '• List', editor.isActive('bulletList'), () => chain().toggleBulletList().run())}
        {tool('Numbered list', '1. List', editor.isActive('orderedList'), () => chain().toggleOrderedList().run())}
        <span className="tr-toolbar__gap" />
        {tool('Link', 'Link', editor.isActive('link') || inserting === 'link', () =>
          setInserting(inserting === 'link' ? undefined : 'link'),
        )}
        {tool('Image', 'Image', inserting === 'image', () => setInserting(inserting === 'image' ? undefined : 'image'))}
        {tool('Button', 'Button', inserting === 'button', () => setInserting(inserting === 'button' ? undefined : 'button'))}
        <span className="tr-toolbar__gap" />
        {tool('Undo', '↶', false, () => chain().undo().run(), !editor.can().undo())}
        {tool('Redo', '↷', false, () => chain().redo().run(), !editor.can().redo())}
      </div>
      {inserting && (
        <InsertBar
          key={inserting}
          kind={inserting}
          initialUrl={inserting === 'link' ? ((editor.getAttributes('link').href as string | undefined) ?? '') : ''}
          selectedText={editor.state.doc.textBetween(editor.state.selection.from, editor.state.selection.to, ' ')}
          onCancel={() => setInserting(undefined)}
          onRemoveLink={
            editor.isActive('link')
              ? () => {
                  chain().extendMarkRange('link').unsetLink().run();
                  setInserting(undefined);
                }
              : undefined
          }
          onInsert={(url, text) => {
            if (inserting === 'link') {
              if (editor.state.selection.empty && !editor.isActive('link')) {
                chain()
                  .insertContent({ type: 'text', text: text || url, marks: [{ type: 'link', attrs: { href: url } }] })
                  .insertContent(' ')
                  .run();
              } else {
                chain().extendMarkRange('link').setLink({ href: url }).run();
              }
            } else if (inserting === 'image') {
              chain().setImage({ src: url, alt: text }).run();
            } else {
              chain()
                .insertEmailButton(url, text || 'Open')
                .run();
            }
            setInserting(undefined);
          }}
        />
      )}
      <EditorContent editor={editor} />
      {notice && (
        <p className="tr-rich-editor__notice" role="alert">
          {notice}
        </p>
      )}
    </div>
  );
}

function InsertBar({
  kind,
  initialUrl,
  selectedText,
  onInsert,
  onCancel,
  onRemoveLink,
}: {
  kind: Insert;
  initialUrl: string;
  selectedText: string;
  onInsert: (url: string, text: string) => void;
  onCancel: () => void;
  onRemoveLink: (() => void) | undefined;
}) {
  const [url, setUrl] = useState(initialUrl);
  const [text, setText] = useState(kind === 'button' ? selectedText || '' : '');
  const [problem, setProblem] = useState<string>();
  const textLabel = kind === 'image' ? 'Description (for those who do not see images)' : kind === 'button' ? 'Button text' : 'Link text';
  const showText = kind !== 'link' || selectedText === '';
  const submit = () => {
    const trimmed = url.trim();
    const why = kind === 'image' ? imageUrlProblem(trimmed) : linkUrlProblem(trimmed);
    if (why) {
      setProblem(why);
      return;
    }
    if (kind === 'button' && !text.trim()) {
      setProblem('Write the button’s text, such as “Pay your dues”.');
      return;
    }
    onInsert(trimmed, text.trim());
  };
  return (
    <fieldset className="tr-insertbar" aria-label={`Insert ${kind}`}>
      <label className="tr-insertbar__field">
        <span>{kind === 'image' ? 'Image address (https://…)' : 'Link address'}</span>
        <input
          // biome-ignore lint/a11y/noAutofocus: the bar opens to take this one input
          autoFocus
          className="tr-input"
          value={url}
          onChange={(ev) => {
            setUrl(ev.target.value);
            setProblem(undefined);
          }}
          onKeyDown={(ev) => {
            if (ev.key === 'Enter') {
              ev.preventDefault();
              submit();
            } else if (ev.key === 'Escape') onCancel();
          }}
          placeholder={kind === 'image' ? 'https://example.org/logo.png' : 'https://example.org'}
          aria-invalid={problem ? true : undefined}
        />
      </label>
      {showText && (
        <label className="tr-insertbar__field">
          <span>{textLabel}</span>
          <input
            className="tr-input"
            value={text}
            onChange={(ev) => setText(ev.target.value)}
            onKeyDown={(ev) => {
              if (ev.key === 'Enter') {
                ev.preventDefault();
                submit();
              }
            }}
          />
        </label>
      )}
      <div className="tr-insertbar__actions">
        <button type="button" className="tr-tool tr-tool--primary" onClick={submit}>
          {kind === 'link' && initialUrl ? 'Update link' : 'Insert'}
        </button>
        {onRemoveLink && kind === 'link' && (
          <button type="button" className="tr-tool" onClick={onRemoveLink}>
            Remove link
          </button>
        )}
        <button type="button" className="tr-tool" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {problem && (
        <p className="tr-insertbar__problem" role="alert">
          {problem}
        </p>
      )}
    </fieldset>
  );
}
