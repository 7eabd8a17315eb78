/**
 * The message: name, sender, reply-to, subject and body (HTML or plain text), with merge
 * field chips that insert {{field}} where the cursor was.
 */
import { SegmentedControl, Grid, Flex, Text, TextArea, TextField } from '@radix-ui/themes';
import { useState } from 'react';
import { describedBy, Field } from '../../../components/ui';
import type { Form, SetField } from '../form';
import type { FieldErrorOf } from '../save-errors';
import { Section } from '../Section';
import { type BodyMode, useFieldInsertion } from '../use-merge-fields';

export function MessageSection({ form, set, e, fields, waitingForFile }: { form: Form; set: SetField; e: FieldErrorOf; fields: string[]; waitingForFile: boolean }) {
  // Opens on the body the campaign has: plain text only when it has no HTML.
  const [bodyMode, setBodyMode] = useState<BodyMode>(() => (!form.html && form.text ? 'text' : 'html'));
  const { refs, lastFocused, insertField } = useFieldInsertion(form, set, bodyMode);
  return (
    <Section title="Message">
      <Grid columns={{ initial: '1', sm: '2' }} gap="4">
        <Field id="c-name" label="Campaign name" error={e('name')} hint="For you only; recipients never see it.">
          <TextField.Root {...describedBy('c-name', e('name'))} value={form.name} onChange={(ev) => set('name', ev.target.value)} placeholder="Spring newsletter" />
        </Field>
        <Field id="c-from" label="Sender name" optional error={e('fromName')} hint="Leave empty to use each account’s sender name.">
          <TextField.Root {...describedBy('c-from', e('fromName'))} value={form.fromName} onChange={(ev) => set('fromName', ev.target.value)} />
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
          placeholder="News from the club, {{name|friends}}"
        />
      </Field>

      <MergeChips fields={fields} onInsert={insertField} waitingForFile={waitingForFile} />

      <div className="tr-field">
        <Flex justify="between" align="center" gap="3" wrap="wrap">
          <Text as="span" size="2" weight="medium" id="c-body-label">
            Message body
          </Text>
          <SegmentedControl.Root size="1" value={bodyMode} onValueChange={(v) => setBodyMode(v as 'html' | 'text')} aria-label="Body format">
            <SegmentedControl.Item value="html">HTML{form.html.trim() ? ' ✓' : ''}</SegmentedControl.Item>
            <SegmentedControl.Item value="text">Plain text{form.text.trim() ? ' ✓' : ''}</SegmentedControl.Item>
          </SegmentedControl.Root>
        </Flex>
        {bodyMode === 'html' ? (
          <TextArea
            {...describedBy('c-html', e('html'))}
            aria-labelledby="c-body-label"
            ref={refs.html}
            className="tr-code"
            rows={14}
            resize="vertical"
            value={form.html}
            onFocus={() => (lastFocused.current = 'html')}
            onChange={(ev) => set('html', ev.target.value)}
            placeholder={'<p>Dear {{name|member}},</p>\n<p>…</p>'}
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
            onChange={(ev) => set('text', ev.target.value)}
            placeholder={'Dear {{name|member}},\n\n…'}
          />
        )}
        {e('html') || e('text') ? (
          <Text as="p" size="1" color="red" role="alert" id={bodyMode === 'html' ? 'c-html-error' : 'c-text-error'}>
            {e('html') ?? e('text')}
          </Text>
        ) : (
          <Text as="p" size="1" color="gray" id={bodyMode === 'html' ? 'c-html-hint' : 'c-text-hint'}>
            {bodyMode === 'html'
              ? 'Paste HTML from your newsletter tool, or write simple tags like <p> and <a>. '
              : 'Used for mail apps that do not show HTML. '}
            {form.html.trim() && !form.text.trim() ? 'Plain text is made from the HTML when left empty. ' : ''}
            An unsubscribe line is added at the bottom of every message.
          </Text>
        )}
      </div>
    </Section>
  );
}

function MergeChips({ fields, onInsert, waitingForFile }: { fields: string[]; onInsert: (field: string) => void; waitingForFile: boolean }) {
  return (
    <div className="tr-chips" role="group" aria-label="Insert a merge field">
      <Text size="1" color="gray" className="tr-chips__label">
        Insert a merge field at the cursor:
      </Text>
      {fields.map((f) => (
        <button
          key={f}
          type="button"
          className="tr-chip"
          // Keep the text field focused, so the cursor position is where the field goes.
          onMouseDown={(ev) => ev.preventDefault()}
          onClick={() => onInsert(f)}
        >
          {`{{${f}}}`}
        </button>
      ))}
      <Text size="1" color="gray" className="tr-chips__label">
        {waitingForFile ? 'The columns of your recipients file (below) are added here. ' : ''}Add a default for empty values:{' '}
        {'{{name|there}}'}
      </Text>
    </div>
  );
}
