/** Attachments: the same files for every recipient, 25 MB in all. */
import { Cross2Icon, ExclamationTriangleIcon, FileIcon, PlusIcon } from '@radix-ui/react-icons';
import { Callout, Flex, IconButton, Text } from '@radix-ui/themes';
import type { Dispatch, SetStateAction } from 'react';
import { MAX_ATTACHMENTS_BYTES } from '../../../../src-shared/limits';
import { bytes } from '../../../lib/format';
import { repeatKeys } from '../../../lib/keys';
import { FilePicker } from '../FilePicker';
import type { Form, SetField } from '../form';
import { Section } from '../Section';
import { useAttachments } from '../use-attachments';

export function AttachmentsSection({
  form,
  set,
  setForm,
  attachmentsError,
}: {
  form: Form;
  set: SetField;
  setForm: Dispatch<SetStateAction<Form>>;
  attachmentsError: string | undefined;
}) {
  const { uploading, attachError, addAttachments } = useAttachments(setForm);
  const attachTotal = form.attachments.reduce((n, a) => n + a.size, 0);
  const keys = repeatKeys(form.attachments, (a) => a.id);
  return (
    <Section title="Attachments" aside={form.attachments.length > 0 ? `${bytes(attachTotal)} of 25 MB` : undefined}>
      {form.attachments.length > 0 && (
        <ul className="tr-attachments">
          {form.attachments.map((a, i) => (
            <li key={keys[i]}>
              <FileIcon />
              <Text size="2" className="tr-break">
                {a.filename}
              </Text>
              <Text size="1" color={a.missing ? 'red' : 'gray'}>
                {a.missing ? 'missing from Trickle’s data folder — remove it and add the file again' : bytes(a.size)}
              </Text>
              <IconButton
                type="button"
                size="1"
                variant="ghost"
                color="gray"
                aria-label={`Remove ${a.filename}`}
                onClick={() =>
                  set(
                    'attachments',
                    form.attachments.filter((_, j) => j !== i),
                  )
                }
              >
                <Cross2Icon />
              </IconButton>
            </li>
          ))}
        </ul>
      )}
      {attachTotal > MAX_ATTACHMENTS_BYTES && (
        <Callout.Root color="red" size="1">
          <Callout.Icon>
            <ExclamationTriangleIcon />
          </Callout.Icon>
          <Callout.Text>
            The attachments add up to {bytes(attachTotal)}; Gmail accepts 25 MB per message. Remove some, or share them by link.
          </Callout.Text>
        </Callout.Root>
      )}
      {(attachError || attachmentsError) && (
        <Text as="p" size="2" color="red" role="alert">
          {attachError ?? attachmentsError}
        </Text>
      )}
      <Flex align="center" gap="3">
        <FilePicker
          id="c-attach"
          label={form.attachments.length ? 'Add another file' : 'Add a file'}
          multiple
          busy={uploading > 0}
          onFiles={(files) => void addAttachments(files)}
          icon={<PlusIcon />}
        />
        <Text size="1" color="gray">
          Every recipient gets the same files. 25 MB in all.
        </Text>
      </Flex>
    </Section>
  );
}
