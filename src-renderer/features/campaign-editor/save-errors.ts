/**
 * Where an error from saving is shown: next to its field, under the recipients, under the
 * attachments, or — for anything else — above the save bar.
 */
import { type ApiCallError, fieldError } from '../../api/errors';

export function placeError(error: ApiCallError | null) {
  const e = (field: string) => fieldError(error, field);
  const placed = [
    'name',
    'subject',
    'html',
    'text',
    'fromName',
    'replyTo',
    'sendAfter',
    'stopAfter',
    'recipients',
    'csv',
    'emailColumn',
    'attachments',
  ];
  const recipientsError =
    error &&
    (error.code === 'csv_invalid' ||
      error.field === 'recipients' ||
      error.field === 'csv' ||
      error.field === 'emailColumn' ||
      error.field?.startsWith('recipients.'))
      ? error.message.replace(/^(recipients|csv|emailColumn)(\.\d+\.\w+)?: /, '')
      : undefined;
  const attachmentsError = error?.code === 'attachment_problem' ? error.message : undefined;
  const generalError = error && !recipientsError && !attachmentsError && !(error.field && placed.includes(error.field)) ? error : null;
  return { e, recipientsError, attachmentsError, generalError };
}

/** A field's own error, to show next to it. */
export type FieldErrorOf = (field: string) => string | undefined;
