/**
 * The arguments of campaigns.create and campaigns.update, built from the editor's form and
 * recipients input. Pure: no React, no client — campaign-args.test.ts checks it directly.
 */
import type { ApiArgs } from '../../api/client';
import type { classifyPaste, CsvShape } from '../../lib/csv';
import { fromLocalInput } from '../../lib/format';
import type { Form, Recipients } from './form';

/** Pasted text, read as a list of addresses or as CSV (lib/csv classifyPaste). */
export type Pasted = ReturnType<typeof classifyPaste>;

export type RecipientArgs = { csv: string; emailColumn?: string } | { recipients: { email: string }[] };

/** The CSV the recipients come from: the chosen file's, or the pasted text's when it is CSV. */
export function recipientsShape(recipients: Recipients, pasted: Pasted): CsvShape | undefined {
  return recipients.mode === 'file' ? recipients.fileShape : pasted?.kind === 'csv' ? pasted.shape : undefined;
}

/** The address column: the one the user chose, else the one found by its name, else the likely one. */
export function emailColumnOf(recipients: Recipients, shape: CsvShape | undefined): string {
  return recipients.emailColumn || shape?.detectedEmailColumn || shape?.likelyEmailColumn || '';
}

/** The recipients part of campaigns.create; undefined when nothing has been given yet. */
export function recipientArgs(recipients: Recipients, pasted: Pasted, emailColumn: string): RecipientArgs | undefined {
  if (recipients.mode === 'file') {
    if (!recipients.fileText) return undefined;
    return { csv: recipients.fileText, ...(emailColumn ? { emailColumn } : {}) };
  }
  if (!pasted) return undefined;
  if (pasted.kind === 'csv') return { csv: recipients.paste.trim(), ...(emailColumn ? { emailColumn } : {}) };
  return { recipients: pasted.emails.map((email) => ({ email })) };
}

/** The schedule's local times as ISO-8601; null when empty. */
export function scheduleArgs(form: Form) {
  const sendAfter = fromLocalInput(form.sendAfter);
  const stopAfter = fromLocalInput(form.stopAfter);
  return { sendAfter, stopAfter };
}

/**
 * A draft saved at the user's first change (campaigns.createDraft): whatever is filled in, no
 * field required yet. Times that do not parse yet are left for the next save.
 */
export function draftArgs(form: Form): ApiArgs<'campaigns.createDraft'> {
  const { sendAfter, stopAfter } = scheduleArgs(form);
  return {
    ...(form.name.trim() ? { name: form.name } : {}),
    ...(form.subject.trim() ? { subject: form.subject } : {}),
    ...(form.html.trim() ? { html: form.html } : {}),
    ...(form.text.trim() ? { text: form.text } : {}),
    ...(form.fromName.trim() ? { fromName: form.fromName.trim() } : {}),
    ...(form.replyTo.trim() ? { replyTo: form.replyTo.trim() } : {}),
    ...(form.attachments.length ? { attachments: form.attachments.map((a) => a.id) } : {}),
    ...(sendAfter ? { sendAfter } : {}),
    ...(stopAfter ? { stopAfter } : {}),
    ...(form.rehearsal ? { rehearsal: true } : {}),
  };
}

/**
 * A save as the user types (campaigns.update): like updateArgs, but a name or subject that is
 * empty for the moment is left as it was saved (a draft keeps the last one; Queue asks for it),
 * and the fields named in `skip` (refused by the last save) wait for the user's next change.
 */
export function autosaveArgs(id: number, form: Form, skip: readonly string[] = []): ApiArgs<'campaigns.update'> {
  const args: Record<string, unknown> = { ...updateArgs(id, form) };
  if (!form.name.trim()) delete args.name;
  if (!form.subject.trim()) delete args.subject;
  for (const field of skip) delete args[field];
  return args as ApiArgs<'campaigns.update'>;
}

/** A new draft: empty optional fields are left out. */
export function createArgs(form: Form, r: RecipientArgs): ApiArgs<'campaigns.create'> {
  const { sendAfter, stopAfter } = scheduleArgs(form);
  return {
    name: form.name,
    subject: form.subject,
    ...(form.html.trim() ? { html: form.html } : {}),
    ...(form.text.trim() ? { text: form.text } : {}),
    ...(form.fromName.trim() ? { fromName: form.fromName.trim() } : {}),
    ...(form.replyTo.trim() ? { replyTo: form.replyTo.trim() } : {}),
    ...(form.attachments.length ? { attachments: form.attachments.map((a) => a.id) } : {}),
    ...(sendAfter ? { sendAfter } : {}),
    ...(stopAfter ? { stopAfter } : {}),
    ...(form.rehearsal ? { rehearsal: true } : {}),
    ...r,
  };
}

/** A saved campaign's edit: every field is sent, an emptied one as null (it clears the value). */
export function updateArgs(id: number, form: Form): ApiArgs<'campaigns.update'> {
  const { sendAfter, stopAfter } = scheduleArgs(form);
  return {
    id,
    name: form.name,
    subject: form.subject,
    html: form.html.trim() ? form.html : null,
    text: form.text.trim() ? form.text : null,
    fromName: form.fromName.trim() || null,
    replyTo: form.replyTo.trim() || null,
    attachments: form.attachments.map((a) => a.id),
    sendAfter,
    stopAfter,
    rehearsal: form.rehearsal,
  };
}
