// Validation and de-duplication of recipients: the rows of a CSV, or a list given as such.

import { checkAddress } from '../core/addresses';
import { normalizeFieldName } from '../../../src-shared/field-names';
import { formatSize, IMPORT_LIMITS, type ImportLimits } from './import-limits';
import { CsvImportError, type CsvImportResult, type ImportedRecipient } from './import-result';

/** Validates and de-duplicates recipients; the first occurrence of an address wins. */
export class RecipientCollector {
  private readonly recipients: ImportedRecipient[] = [];
  private readonly invalid: CsvImportResult['invalid'] = [];
  private readonly duplicates: CsvImportResult['duplicates'] = [];
  private readonly firstRowByAddress = new Map<string, number>();
  /** Merge data kept so far (see ImportLimits). */
  private mergeBytes = 0;

  constructor(
    private readonly columns: string[],
    private readonly limits: ImportLimits,
  ) {}

  addInvalid(row: number, value: string, reason: string): void {
    this.invalid.push({ row, value: value.trim(), reason });
  }

  /** `details` runs only for valid, new addresses, so skipped rows cost nothing extra. */
  add(row: number, value: string, details: () => { fields: Record<string, string>; name: string }): void {
    const check = checkAddress(value);
    if (!check.ok) {
      this.addInvalid(row, value, check.reason);
      return;
    }
    const firstRow = this.firstRowByAddress.get(check.normalized);
    if (firstRow !== undefined) {
      this.duplicates.push({ row, value: check.email, firstRow });
      return;
    }
    this.firstRowByAddress.set(check.normalized, row);

    const { fields, name } = details();
    this.count(row, fields);
    const recipient: ImportedRecipient = { row, email: check.email, normalized: check.normalized, fields };
    if (name !== '') recipient.name = name;
    this.recipients.push(recipient);
  }

  /** Adds the row's merge data to the total; refuses the import once either limit is passed. */
  private count(row: number, fields: Record<string, string>): void {
    let bytes = 0;
    for (const key in fields) bytes += utf8Bytes(key) + utf8Bytes(fields[key]!);
    if (bytes > this.limits.rowBytes) {
      throw new CsvImportError(
        `Row ${row} holds ${formatSize(bytes, Math.ceil)} of merge data; Trickle keeps up to ${formatSize(this.limits.rowBytes, Math.floor)} per recipient. Shorten its longest values (or leave out the columns your message does not use), then import again.`,
        row,
      );
    }
    this.mergeBytes += bytes;
    if (this.mergeBytes > this.limits.totalBytes) {
      throw new CsvImportError(
        `The recipients' merge data passes ${formatSize(this.limits.totalBytes, Math.floor)} at row ${row}; Trickle imports up to ${formatSize(this.limits.totalBytes, Math.floor)} at a time. Split the list into smaller files (or leave out the columns your message does not use), then import again.`,
        row,
      );
    }
  }

  result(emailColumn: string): CsvImportResult {
    return {
      columns: this.columns,
      emailColumn,
      recipients: this.recipients,
      invalid: this.invalid,
      duplicates: this.duplicates,
    };
  }
}

/** Same validation and de-duplication as a CSV import; row = 1-based position in the list. */
export function recipientsFromList(
  list: { email: string; name?: string; fields?: Record<string, string> }[],
  opts: { limits?: Partial<ImportLimits> } = {},
): CsvImportResult {
  const limits = { ...IMPORT_LIMITS, ...opts.limits };
  const columns = new Set<string>();
  for (const item of list) {
    for (const key of Object.keys(item.fields ?? {})) {
      const normalized = normalizeFieldName(key);
      if (normalized !== '') columns.add(normalized);
    }
    if (item.name?.trim()) columns.add('name');
    // Checked as the names are gathered: a list of 100,000 names stops at the 201st.
    if (columns.size + 1 > limits.columns) {
      throw new CsvImportError(
        `The recipients have more than ${limits.columns - 1} different fields; Trickle imports up to ${limits.columns - 1} (besides the address). Leave out the fields your message does not use, then import again.`,
      );
    }
  }

  const collector = new RecipientCollector([...columns], limits);
  list.forEach((item, i) => {
    const row = i + 1;
    collector.add(row, item.email, () => {
      const fields: Record<string, string> = {};
      const sourceKeys = new Map<string, string>();
      for (const [key, value] of Object.entries(item.fields ?? {})) {
        const normalized = normalizeFieldName(key);
        if (normalized === '') continue;
        const earlier = sourceKeys.get(normalized);
        if (earlier !== undefined) {
          throw new CsvImportError(
            `Recipient ${row} has two fields, "${earlier}" and "${key}", that both become {{${normalized}}}. Rename one of them.`,
            row,
          );
        }
        sourceKeys.set(normalized, key);
        const trimmed = value.trim();
        if (trimmed !== '') fields[normalized] = trimmed; // as for a CSV: empty values are not kept
      }
      const explicitName = item.name?.trim() ?? '';
      // Keep {{name}} usable in templates, as it is for a CSV with a name column.
      if (explicitName !== '' && !Object.hasOwn(fields, 'name')) fields.name = explicitName;
      return { fields, name: explicitName || fields.name || fields.full_name || '' };
    });
  });
  return collector.result('email');
}

/** UTF-8 length without encoding: most values are ASCII, where it is the string's length. */
function utf8Bytes(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  return s.length;
}
