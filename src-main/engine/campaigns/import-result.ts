// What an import of recipients gives (from a CSV file or a list), and how it fails.

export interface ImportedRecipient {
  row: number;
  email: string;
  normalized: string;
  name?: string;
  fields: Record<string, string>;
}

export interface SkippedRecipient {
  row: number;
  value: string;
  reason: string;
  kind: 'invalid' | 'duplicate';
}

export interface CsvImportResult {
  /** Normalized merge-field names, in file order (the email column is not one). */
  columns: string[];
  /** The email column's header as written in the file. */
  emailColumn: string;
  /** The file's separator (none for a list given as such): its results export uses it too. */
  delimiter?: Delimiter;
  recipients: ImportedRecipient[];
  invalid: { row: number; value: string; reason: string }[];
  duplicates: { row: number; value: string; firstRow: number }[];
}

/** An import refused, in words (and the row, when one is to blame); nothing of it is stored. */
export class CsvImportError extends Error {
  readonly code = 'csv_invalid' as const;
  readonly row?: number;

  constructor(message: string, row?: number) {
    super(message);
    this.name = 'CsvImportError';
    if (row !== undefined) this.row = row;
  }
}

/** The separators a CSV file may use, in order of preference on a tie. */
export const DELIMITERS = [',', ';', '\t'] as const;
export type Delimiter = (typeof DELIMITERS)[number];
