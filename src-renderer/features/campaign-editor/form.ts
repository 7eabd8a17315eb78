/**
 * What the editor holds while the user types: the campaign's fields as the inputs show them
 * (strings; times as datetime-local values), and the recipients input of a new campaign.
 */
import type { Campaign } from '../../../src-shared/views/campaigns';
import type { CsvShape } from '../../lib/csv';
import { toLocalInput } from '../../lib/format';

/** A file kept in Trickle's attachments store (attachments.store), named by its id. */
export interface Attachment {
  id: number;
  filename: string;
  size: number;
  missing?: true;
}

export interface Form {
  name: string;
  fromName: string;
  replyTo: string;
  subject: string;
  html: string;
  text: string;
  attachments: Attachment[];
  sendAfter: string;
  stopAfter: string;
  /** Written to a log, never sent. */
  rehearsal: boolean;
}

export function formOf(c?: Campaign): Form {
  return {
    name: c?.name ?? '',
    fromName: c?.fromName ?? '',
    replyTo: c?.replyTo ?? '',
    subject: c?.subject ?? '',
    html: c?.html ?? '',
    text: c?.text ?? '',
    attachments: c?.attachments ?? [],
    sendAfter: toLocalInput(c?.sendAfter),
    stopAfter: toLocalInput(c?.stopAfter),
    rehearsal: c?.rehearsal ?? false,
  };
}

/** Nothing typed yet: a new campaign becomes a draft at its first change, not before. */
export function isBlank(form: Form): boolean {
  return JSON.stringify(form) === JSON.stringify(formOf());
}

/** Sets one field of the form. */
export type SetField = <K extends keyof Form>(key: K, value: Form[K]) => void;

export interface Recipients {
  mode: 'file' | 'paste';
  fileName?: string;
  fileText?: string;
  fileShape?: CsvShape;
  fileError?: string;
  paste: string;
  emailColumn: string;
}
