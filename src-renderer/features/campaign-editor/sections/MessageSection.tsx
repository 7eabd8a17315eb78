/**
 * The message: name, sender, reply-to, subject and body — written in the visual editor (the
 * default), as HTML source, or as plain text — with merge field chips that insert
 * {{field}} (or {{field|default}}) where the cursor was, and a live check of each merge field
 * against the list's columns.
 */
import { ExclamationTriangleIcon } from '@radix-ui/react-icons';
import { Button, Callout, Flex, Grid, SegmentedControl, Text, TextArea, TextField } from '@radix-ui/themes';
import { lazy, Suspense, useRef, useState } from 'react';
import { MAX_BODY_CHARS } from '../../../../src-shared/limits';
import { describedBy, Field, Loading } from '../../../components/ui';
import type { Form, SetField } from '../form';
import type { RichTextApi } from '../rich-text/RichTextEditor';
import { fitsVisualEditor } from '../rich-text/email-html';
import type { FieldErrorOf } from '../save-errors';
import { Section } from '../Section';
import { useFieldInsertion } from '../use-merge-fields';

// Its own chunk: TipTap loads when a message is edited, not with the first page.
const RichTextEditor = lazy(() => import('../rich-text/RichTextEditor'));

type BodyView = 'visual' | 'html' | 'text';

const TOO_BIG = `That paste is too big for a message (over ${MAX_BODY_CHARS.toLocaleString('en-US')} characters), so it was not pasted. Paste a shorter part, or link to the rest.`;

/** A textarea paste over the limit is refused before React holds it. */
function refuseHugePaste(ev: React.ClipboardEvent, onRefused: (why: string) => void) {
  if ((ev.clipboardData.getData('text/plain').length ?? 0) > MAX_BODY_CHARS) {
    ev.preventDefault();
    onRefused(TOO_BIG);
  }
}

export function MessageSection({
  form,
  set,
  e,
  fields,
  unknownFields,
  waitingForFile,
}: {
  form: Form;
  set: SetField;
  e: FieldErrorOf;
  fields: string[];
  unknownFields: string[];
  waitingForFile: boolean;
}) {
  // Opens on the body the campaign has: plain text only when it has no HTML; HTML source when
  // the visual editor would drop some of it (a newsletter tool's tables).
  const [view, setView] = useState<BodyView>(() => (!form.html && form.text ? 'text' : fitsVisualEditor(form.html) ? 'visual' : 'html'));
  const [askVisual, setAskVisual] = useState(false);
  const [pasteProblem, setPasteProblem] = useState<string>();
  const [fieldDefault, setFieldDefault] = useState('');
  const richApi = useRef<RichTextApi | null>(null);
  const { refs, lastFocused, insertField } = useFieldInsertion(form, set, view === 'text' ? 'text' : 'html');
  // The editor is mounted afresh when the view changes: it opens on the HTML as it is then.
  const [editorKey, setEditorKey] = useState(0);

  function insert(field: string) {
    const fallback = fieldDefault.trim() || undefined;
    if (lastFocused.current !== 'subject' && view === 'visual' && richApi.current) richApi.current.insertField(field, fallback);
    else insertField(field, fallback);
  }

  function choose(next: BodyView) {
    setPasteProblem(undefined);
    if (next === 'visual' && !fitsVisualEditor(form.html)) {
      setAskVisual(true);
      return;
    }
    setAskVisual(false);
    if (next === 'visual') setEditorKey((k) => k + 1);
    setView(next);
  }

  return (
    <Section title="Message">
      <Grid columns={{ initial: '1', sm: '2' }} gap="4">
        <Field id="c-name" label="Campaign name" error={e('name')} hint="For you only; recipients never see it.">
          <TextField.Root
            {...describedBy('c-name', e('name'))}
            value={form.name}
            onChange={(ev) => set('name', ev.target.value)}
            placeholder="Spring newsletter"
          />
        </Field>
        <Field id="c-from" label="Sender name" optional error={e('fromName')} hint="Leave empty to use each account’s sender name.">
          <TextField.Root
            {...describedBy('c-from', e('fromName'))}
            value={form.fromName}
            onChange={(ev) => set('fromName', ev.target.value)}
          />
        </Field>
      </Grid>
      <Field id="c-reply" label="Reply-to address" optional error={e('replyTo')} hint="Where replies go, if not to the sending account.">
        <TextField.Root
          {...describedBy('c-reply', e('replyTo'))}
          type="email"
          value={form.replyTo}
          onChange={(ev) => set('replyTo', ev.target.value)}
          placeholder="secretary@example.org"
        />
      </Field>
      <Field id="c-subject" label="Subject" error={e('subject')}>
        <TextField.Root
          {...describedBy('c-subject', e('subject'), false)}
          ref={refs.subject}
          value={form.subject}
          onFocus={() => (lastFocused.current = 'subject')}
          onChange={(ev) => set('subject', ev.target.value)}
          placeholder="News from the club, {{first_name|friends}}"
        />
      </Field>

      <MergeChips
        fields={fields}
        onInsert={insert}
        waitingForFile={waitingForFile}
        fieldDefault={fieldDefault}
        setFieldDefault={setFieldDefault}
      />
      {unknownFields.length > 0 && (
        <Callout.Root color="amber" size="1" role="alert" className="tr-unknown-fields">
          <Callout.Icon>
            <ExclamationTriangleIcon />
          </Callout.Icon>
          <Callout.Text>
            {unknownFields.map((sentence) => (
              <span key={sentence} className="tr-unknown-fields__item">
                {sentence}
              </span>
            ))}
          </Callout.Text>
        </Callout.Root>
      )}

      <div className="tr-field">
        <Flex justify="between" align="center" gap="3" wrap="wrap">
          <Text as="span" size="2" weight="medium" id="c-body-label">
            Message body
          </Text>
          <SegmentedControl.Root size="1" value={view} onValueChange={(v) => choose(v as BodyView)} aria-label="Body format">
            <SegmentedControl.Item value="visual">Editor</SegmentedControl.Item>
            <SegmentedControl.Item value="html">HTML source</SegmentedControl.Item>
            <SegmentedControl.Item value="text">Plain text{form.text.trim() ? ' ✓' : ''}</SegmentedControl.Item>
          </SegmentedControl.Root>
        </Flex>
        {askVisual && (
          <Callout.Root color="amber" size="1" mt="2">
            <Callout.Text>
              The editor keeps text, headings, lists, links, images and buttons. This HTML has more (such as tables or colours), which the
              editor would drop.{' '}
              <Button
                type="button"
                size="1"
                variant="soft"
                onClick={() => {
                  setAskVisual(false);
                  setEditorKey((k) => k + 1);
                  setView('visual');
                }}
              >
                Open in the editor anyway
              </Button>{' '}
              <Button type="button" size="1" variant="ghost" onClick={() => setAskVisual(false)}>
                Keep the HTML
              </Button>
            </Callout.Text>
          </Callout.Root>
        )}
        {view === 'visual' ? (
          // biome-ignore lint/a11y/noStaticElementInteractions: not an interaction: focus inside the editor (it bubbles here) marks the body as where a merge field goes
          <div onFocus={() => (lastFocused.current = 'html')}>
            <Suspense fallback={<Loading label="Loading the editor…" />}>
              <RichTextEditor
                key={editorKey}
                initialHtml={form.html}
                onChange={(html) => set('html', html)}
                labelledBy="c-body-label"
                describedBy={e('html') ? 'c-html-error' : 'c-html-hint'}
                apiRef={richApi}
              />
            </Suspense>
          </div>
        ) : view === 'html' ? (
          <TextArea
            {...describedBy('c-html', e('html'))}
            aria-labelledby="c-body-label"
            ref={refs.html}
            className="tr-code"
            rows={14}
            resize="vertical"
            value={form.html}
            onFocus={() => (lastFocused.current = 'html')}
            onPaste={(ev) => refuseHugePaste(ev, setPasteProblem)}
            onChange={(ev) => set('html', ev.target.value)}
            placeholder={'<p>Dear {{first_name|member}},</p>\n<p>…</p>'}
            spellCheck={false}
          />
        ) : (
          <TextArea
            {...describedBy('c-text', e('text'))}
            aria-labelledby="c-body-label"
            ref={refs.text}
            rows={14}
            resize="vertical"
            value={form.text}
            onFocus={() => (lastFocused.current = 'text')}
            onPaste={(ev) => refuseHugePaste(ev, setPasteProblem)}
            onChange={(ev) => set('text', ev.target.value)}
            placeholder={'Dear {{first_name|member}},\n\n…'}
          />
        )}
        {pasteProblem && (
          <Text as="p" size="1" color="red" role="alert">
            {pasteProblem}
          </Text>
        )}
        {e('html') || e('text') ? (
          <Text as="p" size="1" color="red" role="alert" id={view === 'text' ? 'c-text-error' : 'c-html-error'}>
            {e('html') ?? e('text')}
          </Text>
        ) : (
          <Text as="p" size="1" color="gray" id={view === 'text' ? 'c-text-hint' : 'c-html-hint'}>
            {view === 'visual'
              ? 'Write as in a mail program; a paste from Word or Gmail keeps its text, headings, lists and links. '
              : view === 'html'
                ? 'Paste HTML from your newsletter tool, or write simple tags like <p> and <a>. Scripts, forms and images not at https:// are removed when saved. '
                : 'Used for mail apps that do not show HTML. '}
            {form.html.trim() && !form.text.trim() ? 'The plain-text version is made from it. ' : ''}
            An unsubscribe line is added at the bottom of every message.
          </Text>
        )}
      </div>
    </Section>
  );
}

function MergeChips({
  fields,
  onInsert,
  waitingForFile,
  fieldDefault,
  setFieldDefault,
}: {
  fields: string[];
  onInsert: (field: string) => void;
  waitingForFile: boolean;
  fieldDefault: string;
  setFieldDefault: (value: string) => void;
}) {
  return (
    <fieldset className="tr-chips" aria-label="Insert a merge field">
      <Text size="1" color="gray" className="tr-chips__label">
        Insert a merge field at the cursor:
      </Text>
      {fields.map((f) => (
        <button
          key={f}
          type="button"
          className="tr-chip"
          aria-label={`Insert merge field ${f}`}
          // Keep the text field focused, so the cursor position is where the field goes.
          onMouseDown={(ev) => ev.preventDefault()}
          onClick={() => onInsert(f)}
        >
          {`{{${f}}}`}
        </button>
      ))}
      <label className="tr-chips__default">
        <Text size="1" color="gray">
          When empty, use:
        </Text>
        <input
          className="tr-input tr-input--small"
          value={fieldDefault}
          onChange={(ev) => setFieldDefault(ev.target.value.replace(/[{}|]/g, ''))}
          placeholder="there"
          aria-label="Default for an empty merge field"
        />
      </label>
      {waitingForFile && (
        <Text size="1" color="gray" className="tr-chips__label">
          The columns of your recipients file (below) are added here.
        </Text>
      )}
    </fieldset>
  );
}
