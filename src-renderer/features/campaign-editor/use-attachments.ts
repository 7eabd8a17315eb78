/** Adding attachments: each file is handed to Trickle (attachments.store) and added to the form; a refusal is said in words. */
import { type Dispatch, type SetStateAction, useState } from 'react';
import { MAX_ATTACHMENTS_BYTES } from '../../../src-shared/limits';
import { useAction } from '../../api/hooks';
import { readBase64 } from '../../lib/files';
import { bytes } from '../../lib/format';
import type { Form } from './form';

export function useAttachments(setForm: Dispatch<SetStateAction<Form>>) {
  const action = useAction();
  const [uploading, setUploading] = useState(0);
  const [attachError, setAttachError] = useState<string>();
  async function addAttachments(files: FileList) {
    setAttachError(undefined);
    for (const file of Array.from(files)) {
      if (file.size > MAX_ATTACHMENTS_BYTES) {
        setAttachError(`${file.name} is ${bytes(file.size)}; Gmail accepts 25 MB per message in all. Share it by link instead.`);
        continue;
      }
      setUploading((n) => n + 1);
      try {
        const envelope = await action('attachments.store', { filename: file.name, contentBase64: await readBase64(file) });
        if (envelope.ok) {
          const stored = envelope.value;
          setForm((f) => ({ ...f, attachments: [...f.attachments, stored] }));
        } else setAttachError(envelope.error.message);
      } catch {
        setAttachError(`${file.name} could not be read.`);
      } finally {
        setUploading((n) => n - 1);
      }
    }
  }
  return { uploading, attachError, addAttachments };
}
