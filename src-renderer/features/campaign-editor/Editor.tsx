/**
 * The campaign editor: a new campaign, or a draft (or paused) one. It holds the form; the draft
 * saves itself as the user types (use-autosave.ts) — a new campaign becomes a draft at its first
 * change — so leaving the page loses nothing. The sections (sections/) draw the parts: message,
 * recipients (imported into the draft, replacing its list, or added to it when the user chooses
 * and presses Add), attachments, schedule, rehearsal;
 * once there is a draft, also the preview per recipient, the test send and the Queue button,
 * whose dialog says when it would finish before anything is queued.
 */
import { ExclamationTriangleIcon, PaperPlaneIcon } from '@radix-ui/react-icons';
import { Badge, Button, Callout, Flex, Text } from '@radix-ui/themes';
import { useState } from 'react';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { ApiCallError } from '../../api/errors';
import { useAction, useApi } from '../../api/hooks';
import { BackToCampaigns } from '../../components/BackToCampaigns';
import { useToast } from '../../components/Toasts';
import { CampaignBadge, ErrorCallout, PageHeader } from '../../components/ui';
import { reachable } from '../../lib/campaigns';
import { plural, when } from '../../lib/format';
import { href, navigate } from '../../lib/route';
import { importReports, queuedMessages } from '../../lib/session';
import { recipientArgs } from './campaign-args';
import { type Form, formOf } from './form';
import { placeError } from './save-errors';
import { AttachmentsSection } from './sections/AttachmentsSection';
import type { ListMode } from './sections/AnotherList';
import { ImportReportCard } from './sections/ImportReportCard';
import { MessageSection } from './sections/MessageSection';
import { PreviewSection } from './sections/PreviewSection';
import { QueueCard } from './sections/QueueCard';
import { QueueDialog } from './sections/QueueDialog';
import { RecipientsSection } from './sections/RecipientsSection';
import { RehearsalSection } from './sections/RehearsalSection';
import { ScheduleSection } from './sections/ScheduleSection';
import { useAutosave } from './use-autosave';
import { useListColumns, useMergeFields, useUnknownFields } from './use-merge-fields';
import { useRecipients } from './use-recipients';

/** A list chosen to be added is not the draft's until the user presses Add. */
const NOT_ADDED_YET = 'The new recipients are not in the list yet: press “Add to the list”';

export function Editor({ campaign: given }: { campaign?: Campaign }) {
  const [form, setForm] = useState<Form>(() => formOf(given));
  const [queueError, setQueueError] = useState<ApiCallError | null>(null);
  const [confirmQueue, setConfirmQueue] = useState(false);
  const [showLegacyReport, setShowLegacyReport] = useState(true);
  const [listMode, setListMode] = useState<ListMode>('replace');
  const action = useAction();
  const toast = useToast();
  const recipientsInput = useRecipients(() => setQueueError(null));
  // A draft takes a new list; a paused campaign keeps the one it is sending.
  const canImport = given === undefined || given.status === 'draft';
  const chosen = canImport ? recipientArgs(recipientsInput.recipients, recipientsInput.pasted, recipientsInput.emailColumn) : undefined;
  // A list to add waits for the Add button; one that replaces the list is saved as chosen. (Adding
  // is offered only once the draft has recipients.)
  const adding = listMode === 'add';
  const autosave = useAutosave(given, form, { args: adding ? undefined : chosen });
  const toAdd = adding && chosen && !autosave.isImported(chosen) ? chosen : undefined;

  // The draft as it stands: the route's campaign (kept fresh), else the one this editor made.
  const made = useApi('campaigns.get', { id: autosave.id ?? 0 }, { enabled: given === undefined && autosave.id !== undefined });
  const campaign = given ?? made.data ?? autosave.saved;
  // The list the message is written for: a new one chosen here (unless it is still to be added), else the draft's own.
  const listOwner =
    (recipientsInput.shape || recipientsInput.pasted) && !adding ? undefined : campaign && campaign.total > 0 ? campaign : undefined;
  const columns = useListColumns(listOwner, recipientsInput.shape, recipientsInput.emailColumn, recipientsInput.pasted?.kind === 'list');
  const fields = useMergeFields(columns);
  // The engine's queue refuses these with the same words: Queue is not offered while any is left.
  const unknownFields = useUnknownFields(form, columns);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));

  const legacyReport = given ? importReports.get(given.id) : undefined;
  // A report of an import made here is shown with the recipients; one made elsewhere (a copy, the quick start) at the top.
  const report = autosave.report ? undefined : showLegacyReport ? legacyReport : undefined;
  const { e, attachmentsError, generalError } = placeError(autosave.error);
  const importProblem = autosave.recipientsError;
  const recipientsError = importProblem ? (placeError(importProblem).recipientsError ?? importProblem.message) : undefined;
  const saving = autosave.state === 'saving' || autosave.state === 'pending';
  const toSend = campaign ? campaign.counts.pending : 0;

  async function queue(): Promise<string | undefined> {
    if (!campaign) return;
    if (!(await autosave.flush())) return 'The latest changes could not be saved; see the message on the page.';
    // Queueing without it would send to the list as it is, without the people meant to be added.
    if (toAdd) return `${NOT_ADDED_YET} in Recipients first, or choose “Replace the list”.`;
    const envelope = await action('campaigns.queue', { id: campaign.id });
    if (!envelope.ok) {
      setQueueError(new ApiCallError(envelope.error));
      return undefined;
    }
    importReports.delete(campaign.id);
    queuedMessages.set(campaign.id, envelope.value.message);
    navigate({ page: 'campaign', id: campaign.id });
  }

  return (
    <div className="tr-editor-page">
      <PageHeader
        back={<BackToCampaigns />}
        title={form.name || campaign?.name || 'New campaign'}
        description={
          !campaign ? (
            'Write the message and add the recipients: it is kept as a draft as you go. You can preview it and send yourself a test before queueing.'
          ) : (
            <Flex as="span" gap="2" align="center" wrap="wrap">
              <CampaignBadge status={campaign.status} />
              {form.rehearsal && (
                <Badge color="purple" variant="soft" radius="full">
                  Rehearsal
                </Badge>
              )}
              <span>
                {campaign.status === 'paused'
                  ? 'Paused: changes apply to the messages not sent yet.'
                  : `Draft · ${plural(reachable(campaign), 'recipient')} · created ${when(campaign.createdAt)}`}
              </span>
            </Flex>
          )
        }
        actions={
          campaign?.status === 'paused' ? (
            <Button variant="soft" asChild>
              <a href={href({ page: 'campaign', id: campaign.id })}>See progress</a>
            </Button>
          ) : campaign ? (
            <Button onClick={() => setConfirmQueue(true)} disabled={toSend === 0 || unknownFields.length > 0}>
              <PaperPlaneIcon /> Queue…
            </Button>
          ) : undefined
        }
      />

      {report && <ImportReportCard report={report} onClose={() => setShowLegacyReport(false)} />}
      {campaign?.statusDetail && (
        <Callout.Root color="amber" mb="4">
          <Callout.Icon>
            <ExclamationTriangleIcon />
          </Callout.Icon>
          <Callout.Text>{campaign.statusDetail}</Callout.Text>
        </Callout.Root>
      )}

      <form
        noValidate
        onSubmit={(ev) => {
          ev.preventDefault();
          void autosave.flush().then((ok) => ok && campaign && toast('Changes saved.'));
        }}
      >
        <Flex direction="column" gap="4" className="tr-editor">
          <MessageSection
            form={form}
            set={set}
            e={e}
            fields={fields}
            unknownFields={unknownFields}
            waitingForFile={!campaign?.total && !recipientsInput.shape && recipientsInput.pasted?.kind !== 'list'}
          />
          <RecipientsSection
            campaign={campaign}
            canImport={canImport}
            input={recipientsInput}
            recipientsError={recipientsError}
            importing={!adding && saving && chosen !== undefined}
            listMode={listMode}
            onListMode={(mode) => {
              // The list just imported is the draft's already: adding it again would add nobody.
              if (mode === 'add' && chosen && autosave.isImported(chosen))
                recipientsInput.setRecipients((r) => ({ mode: r.mode, paste: '', emailColumn: '' }));
              setListMode(mode);
            }}
            chosen={adding ? toAdd : chosen}
            onAdd={autosave.addRecipients}
            report={autosave.report}
            reportListTotal={autosave.saved && reachable(autosave.saved)}
            onCloseReport={autosave.dismissReport}
          />
          <AttachmentsSection form={form} set={set} setForm={setForm} attachmentsError={attachmentsError} />
          <ScheduleSection form={form} set={set} e={e} />
          {(campaign === undefined || campaign.status === 'draft') && <RehearsalSection form={form} set={set} e={e} />}

          {generalError && <ErrorCallout error={generalError} title="Not saved." />}

          <Flex className="tr-savebar" gap="3" align="center" justify="between" wrap="wrap">
            <Text
              size="2"
              color={autosave.state === 'failed' ? 'red' : toAdd && !saving ? 'amber' : 'gray'}
              aria-live="polite"
              data-save-state={autosave.state}
            >
              {autosave.state === 'failed'
                ? 'Not saved: see the message above.'
                : saving
                  ? 'Saving…'
                  : toAdd
                    ? `${NOT_ADDED_YET} above.`
                    : campaign
                      ? 'All changes saved. Nothing is sent until you queue the campaign.'
                      : 'Saved as a draft as you type. Nothing is sent until you queue the campaign.'}
            </Text>
            <Button type="submit" variant={campaign ? 'soft' : 'solid'} loading={autosave.state === 'saving'}>
              {campaign ? 'Save changes' : 'Save draft'}
            </Button>
          </Flex>
        </Flex>
      </form>

      {campaign && (
        <Flex direction="column" gap="4" mt="4" className="tr-editor">
          <PreviewSection campaign={campaign} version={autosave.saves} dirty={saving} />
          {campaign.status === 'draft' && (
            <QueueCard
              toSend={toSend}
              sendAfter={form.sendAfter}
              rehearsal={form.rehearsal}
              queueError={queueError}
              unknownFields={unknownFields}
              onQueue={() => setConfirmQueue(true)}
            />
          )}
          <QueueDialog
            campaign={campaign}
            open={confirmQueue}
            onClose={() => setConfirmQueue(false)}
            toSend={toSend}
            sendAfter={form.sendAfter}
            rehearsal={form.rehearsal}
            queue={queue}
          />
        </Flex>
      )}
    </div>
  );
}
