/**
 * The one error type the engine throws on purpose. `code` is stable (the API passes it to the
 * UI as is); `message` is a sentence for a person: what happened and what to do.
 */
export type EngineErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'conflict'
  | 'csv_invalid'
  | 'merge_missing_field'
  /** A merge field names no column of the list (a typo such as {{frist_name}}). */
  | 'merge_unknown_field'
  | 'attachment_problem'
  | 'login_failed'
  | 'no_account'
  | 'send_failed'
  /** Another engine (a second app, headless mode) is running on the same data folder. */
  | 'already_running'
  /** The disk, or the database's size limit, is full: nothing was changed. */
  | 'storage_full'
  /** Another program held the database longer than Trickle waits: nothing was changed. */
  | 'storage_busy'
  /** The database file, its folder or the disk cannot be written: nothing was changed. */
  | 'storage_read_only'
  /** SQLite found the database file damaged (SQLITE_CORRUPT, SQLITE_NOTADB): nothing was changed. */
  | 'storage_damaged'
  /**
   * The disk reported an error reading or writing the database (SQLITE_IOERR); or it failed a
   * flush of the database's log, after which sending stops until a restart (WalSync).
   */
  | 'storage_failed'
  /** A message would be larger than Gmail accepts. */
  | 'message_too_big'
  /** The desktop's secret storage refuses to keep a password (no keyring, weaker storage not accepted). */
  | 'secret_storage_refused'
  // ---- Refusals at start-up (opening the data folder and its database) ----
  /** The database file, or its folder, cannot be written (read-only disk, file or folder). */
  | 'storage_readonly'
  /** The database is damaged or not a database: quick_check failed, or SQLite says so. */
  | 'storage_damaged'
  /** The database is missing or empty although this folder was used before (backups or a key exist). */
  | 'database_missing'
  /** The data folder, or a file in it, belongs to another user. */
  | 'unsafe_data_folder'
  /** Passwords were encrypted with a key file that is gone. */
  | 'secret_key_missing';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function notFound(what: string, id: number): EngineError {
  return new EngineError('not_found', `${what} ${id} does not exist (it may have been removed).`);
}
