/**
 * Recipients: the file or pasted list to import into the draft — replacing its list, or, once it
 * has recipients, added to it if the user chooses — the report of the last import, and who is
 * in the list. A paused campaign keeps the list it is sending.
 */
import { Flex, Text } from '@radix-ui/themes';
import { useState } from 'react';
import type { Campaign, ImportReport } from '../../../../src-shared/views/campaigns';
import { Note } from '../../../components/ui';
import { reachable } from '../../../lib/campaigns';
import { plural } from '../../../lib/format';
import type { RecipientArgs } from '../campaign-args';
import { Section } from '../Section';
import type { RecipientsInputState } from '../use-recipients';
import { AddToList, type ListMode, ListModeChoice } from './AnotherList';
import { ImportReportCard } from './ImportReportCard';
import { RecipientsInput } from './RecipientsInput';

export function RecipientsSection({
  campaign,
  canImport,
  input,
  recipientsError,
  importing,
  listMode,
  onListMode,
  chosen,
  onAdd,
  report,
  reportListTotal,
  onCloseReport,
}: {
  campaign: Campaign | undefined;
  canImport: boolean;
  input: RecipientsInputState;
  recipientsError: string | undefined;
  importing: boolean;
  /** What another list does to a draft that has recipients. */
  listMode: ListMode;
  onListMode: (mode: ListMode) => void;
  /** The file or list given, as the engine takes it. */
  chosen: RecipientArgs | undefined;
  onAdd: (args: RecipientArgs) => Promise<boolean>;
  /** The report of the last import made here. */
  report: ImportReport | undefined;
  /** Recipients in the list as the import answered (the page's campaign may be a moment behind). */
  reportListTotal: number | undefined;
  onCloseReport: () => void;
}) {
  const { recipients, setRecipients, shape, pasted, emailColumn, pickCsv } = input;
  const [adding, setAdding] = useState(false);
  const has = campaign !== undefined && campaign.total > 0;
  const count = campaign ? reachable(campaign) : 0;

  async function add() {
    if (!chosen) return;
    setAdding(true);
    const added = await onAdd(chosen);
    setAdding(false);
    // Added once: the file or text is let go, so it cannot be added again by mistake.
    if (added) setRecipients((r) => ({ mode: r.mode, paste: '', emailColumn: '' }));
  }

  return (
    <Section title="Recipients">
      {report && <ImportReportCard report={report} listTotal={reportListTotal} onClose={onCloseReport} />}
      {has && (
        <Flex direction="column" gap="2">
          <Text size="2" data-recipients={count}>
            <strong>{plural(count, 'recipient')}</strong>
            {campaign.counts.skipped > 0
              ? ` · ${plural(campaign.counts.skipped, 'row')} skipped at import (invalid, duplicate or suppressed)`
              : ''}
            {importing || adding ? ' · importing the new list…' : ''}
          </Text>
          {campaign.fields.length > 0 && (
            <Text size="2" color="gray">
              Merge fields of the list: {campaign.fields.map((f) => `{{${f}}}`).join(', ')}
            </Text>
          )}
        </Flex>
      )}
      {canImport ? (
        <>
          {has && <ListModeChoice mode={listMode} onMode={onListMode} recipients={count} />}
          <RecipientsInput
            recipients={recipients}
            setRecipients={setRecipients}
            shape={shape}
            pasted={pasted}
            emailColumn={emailColumn}
            error={recipientsError}
            onPickFile={pickCsv}
          />
          {has && listMode === 'add' && (
            <AddToList ready={chosen && describeChosen(input)} recipients={count} busy={adding} onAdd={() => void add()} />
          )}
        </>
      ) : (
        <Note>A paused campaign keeps the list it is sending. To send to a different list, copy it into a new draft.</Note>
      )}
    </Section>
  );
}

/** The file or pasted text, in a few words: "members2.csv (6 rows)". */
function describeChosen({ recipients, shape, pasted }: RecipientsInputState): string {
  if (recipients.mode === 'file') return `${recipients.fileName ?? 'The file'}${shape ? ` (${plural(shape.rows, 'row')})` : ''}`;
  if (pasted?.kind === 'list') return `The ${plural(pasted.emails.length, 'pasted address', 'pasted addresses')}`;
  return `The pasted rows${shape ? ` (${plural(shape.rows, 'row')})` : ''}`;
}
