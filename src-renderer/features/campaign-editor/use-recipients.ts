/**
 * The recipients input of a new campaign: a CSV file (checked for size, decoded, its columns
 * found) or pasted text (a list of addresses, or CSV), and the column holding the addresses.
 */
import { useMemo, useState } from 'react';
import { classifyPaste, csvFileTooLarge } from '../../lib/csv';
import { readCsv } from '../../lib/csv-reader';
import { emailColumnOf, recipientsShape } from './campaign-args';
import type { Recipients } from './form';

/** `onRead` is called when a file has been read (the editor clears its last error then). */
export function useRecipients(onRead: () => void) {
  const [recipients, setRecipients] = useState<Recipients>({ mode: 'file', paste: '', emailColumn: '' });
  const pasted = useMemo(() => classifyPaste(recipients.paste), [recipients.paste]);
  const shape = recipientsShape(recipients, pasted);
  const emailColumn = emailColumnOf(recipients, shape);

  async function pickCsv(file: File) {
    // Refused before it is read: the engine would refuse it anyway, and reading 200 MB stalls the window.
    const tooLarge = csvFileTooLarge(file.size);
    if (tooLarge) return refuseFile(file.name, tooLarge);
    try {
      // Read and parsed in the CSV worker, off the page's main thread (issue 17).
      const { text, shape: fileShape } = await readCsv(file);
      setRecipients((r) => ({
        ...r,
        fileName: file.name,
        fileText: text,
        fileShape,
        fileError: fileShape ? undefined : 'The file is empty.',
        emailColumn: '',
      }));
      onRead();
    } catch {
      refuseFile(file.name, 'The file could not be read.');
    }
  }

  /** A refused file leaves nothing of the one picked before it to be imported under its name. */
  function refuseFile(fileName: string, fileError: string) {
    setRecipients((r) => ({ ...r, fileName, fileText: undefined, fileShape: undefined, fileError, emailColumn: '' }));
  }

  return { recipients, setRecipients, pasted, shape, emailColumn, pickCsv };
}

export type RecipientsInputState = ReturnType<typeof useRecipients>;
