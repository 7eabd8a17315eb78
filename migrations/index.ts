import type { Migration } from 'kysely/migration';
import * as m0001 from './0001_accounts';
import * as m0002 from './0002_campaigns_and_messages';
import * as m0003 from './0003_send_log_and_batches';
import * as m0004 from './0004_suppressions_and_settings';
import * as m0005 from './0005_list_indexes';
import * as m0006 from './0006_counts_and_staged_imports';
import * as m0007 from './0007_batch_cancelled';
import * as m0008 from './0008_attachment_store';
import * as m0009 from './0009_owner_lease';
import * as m0010 from './0010_archive_and_import_delimiter';
import * as m0011 from './0011_mailbox';
import * as m0012 from './0012_rehearsal';
import * as m0013 from './0013_account_checks_and_pace';
import * as m0014 from './0014_drafts_stored_ready_to_send';
import * as m0015 from './0015_status_index_for_the_few';
import * as m0016 from './0016_fields_with_blanks';

/**
 * Every migration, registered in code so the bundled main process carries them (no folder
 * scan at run time). Names sort in the order they apply. Never edit one that has shipped:
 * add a new one.
 */
export const migrations: Record<string, Migration> = {
  '0001_accounts': m0001,
  '0002_campaigns_and_messages': m0002,
  '0003_send_log_and_batches': m0003,
  '0004_suppressions_and_settings': m0004,
  '0005_list_indexes': m0005,
  '0006_counts_and_staged_imports': m0006,
  '0007_batch_cancelled': m0007,
  '0008_attachment_store': m0008,
  '0009_owner_lease': m0009,
  '0010_archive_and_import_delimiter': m0010,
  '0011_mailbox': m0011,
  '0012_rehearsal': m0012,
  '0013_account_checks_and_pace': m0013,
  '0014_drafts_stored_ready_to_send': m0014,
  '0015_status_index_for_the_few': m0015,
  '0016_fields_with_blanks': m0016,
};
