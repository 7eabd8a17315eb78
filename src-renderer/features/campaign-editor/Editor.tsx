/**
 * The campaign editor: a new campaign, or a draft (or paused) one. It holds the form and the
 * steps of saving and queueing; the sections (sections/) draw the parts: message, recipients
 * (new campaigns only), attachments and schedule; for a saved draft also the preview per
 * recipient, the test send and the Queue button.
 */
import { ExclamationTriangleIcon, PaperPlaneIcon } from '@radix-ui/react-icons';
import { Button, Callout, Flex, Text } from '@radix-ui/themes';
import { useEffect, useState } from 'react';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { ApiCallError } from '../../api/client';
import { useAction } from '../../api/hooks';
import { BackToCampaigns } from '../../components/BackToCampaigns';
import { useToast } from '../../components/Toasts';
import { CampaignBadge, ErrorCallout, PageHeader } from '../../components/ui';
import { reachable } from '../../lib/campaigns';
import { plural, when } from '../../lib/format';
import { href, navigate } from '../../lib/route';
import { importReports, queuedMessages } from '../../lib/session';
import { createArgs, recipientArgs, updateArgs } from './campaign-args';
import { type Form, formOf } from './form';
import { placeError } from './save-errors';
import { AttachmentsSection } from './sections/AttachmentsSection';
import { ImportReportCard } from './sections/ImportReportCard';
import { MessageSection } from './sections/MessageSection';
import { PreviewSection } from './sections/PreviewSection';
import { QueueCard } from './sections/QueueCard';
import { QueueDialog } from './sections/QueueDialog';
import { RecipientsSection } from './sections/RecipientsSection';
import { ScheduleSection } from './sections/ScheduleSection';
import { useListColumns, useMergeFields, useUnknownFields } from './use-merge-fields';
import { useRecipients } from './use-recipients';

export function Editor({ campaign }: { campaign?: Campaign }) {
  const isNew = campaign === undefined;
  const [form, setForm] = useState<Form>(() => formOf(campaign));
  const [saved, setSaved] = useState<Form>(() => formOf(campaign));
  const [error, setError] = useState<ApiCallError | null>(null);
  const [queueError, setQueueError] = useState<ApiCallError | null>(null);
  const [saving, setSaving] = useState(false);
  const [confirmQueue, setConfirmQueue] = useState(false);
  const [previewVersion, setPreviewVersion] = useState(0);
  const report = campaign ? importReports.get(campaign.id) : undefined;
  const [showReport, setShowReport] = useState(report !== undefined);
  const action = useAction();
  const toast = useToast();
  const recipientsInput = useRecipients(() => setError(null));
  const columns = useListColumns(campaign, recipientsInput.shape, recipientsInput.emailColumn, recipientsInput.pasted?.kind === 'list');
  const fields = useMergeFields(columns);
  // The engine's queue refuses these with the same words: Queue is not offered while any is left.
  const unknownFields = useUnknownFields(form, columns);

  const dirty = JSON.stringify(form) !== JSON.stringify(saved);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));

  // Warn before closing the tab with unsaved changes.
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);

  async function save(): Promise<boolean> {
    setError(null);
    setQueueError(null);
    if (isNew) {
      const r = recipientArgs(recipientsInput.recipients, recipientsInput.pasted, recipientsInput.emailColumn);
      if (!r) {
        setError(new ApiCallError({ code: 'invalid_input', field: 'recipients', message: 'Add the recipients: choose a CSV file, or paste addresses.' }));
        return false;
      }
      setSaving(true);
      try {
        const envelope = await action('campaigns.create', createArgs(form, r));
        if (!envelope.ok) {
          setError(new ApiCallError(envelope.error));
          return false;
        }
        importReports.set(envelope.value.campaign.id, envelope.value.report);
        setSaved(form);
        toast(`Draft “${envelope.value.campaign.name}” saved with ${plural(envelope.value.report.imported, 'recipient')}.`);
        navigate({ page: 'campaign-edit', id: envelope.value.campaign.id }, true);
        return true;
      } finally {
        setSaving(false);
      }
    }
    setSaving(true);
    try {
      const envelope = await action('campaigns.update', updateArgs(campaign.id, form));
      if (!envelope.ok) {
        setError(new ApiCallError(envelope.error));
        return false;
      }
      const next = formOf(envelope.value);
      setForm(next);
      setSaved(next);
      setPreviewVersion((v) => v + 1);
      return true;
    } finally {
      setSaving(false);
    }
  }

  async function queue(): Promise<string | void> {
    if (!campaign) return;
    if (dirty && !(await save())) return 'The changes could not be saved; see the message on the page.';
    const envelope = await action('campaigns.queue', { id: campaign.id });
    if (!envelope.ok) {
      setQueueError(new ApiCallError(envelope.error));
      return undefined;
    }
    importReports.delete(campaign.id);
    queuedMessages.set(campaign.id, envelope.value.message);
    navigate({ page: 'campaign', id: campaign.id });
  }

  const { e, recipientsError, attachmentsError, generalError } = placeError(error);
  const toSend = campaign ? campaign.counts.pending : 0;

  return (
    <div className="tr-editor-page">
      <PageHeader
        back={<BackToCampaigns />}
        title={isNew ? 'New campaign' : form.name || campaign.name}
        description={
          isNew ? (
            'Write the message, add the recipients, save it as a draft. You can preview it and send yourself a test before queueing.'
          ) : (
            <Flex as="span" gap="2" align="center">
              <CampaignBadge status={campaign.status} />
              <span>
                {campaign.status === 'paused'
                  ? 'Paused: changes apply to the messages not sent yet.'
                  : `Draft · ${plural(reachable(campaign), 'recipient')} · created ${when(campaign.createdAt)}`}
              </span>
            </Flex>
          )
        }
        actions={
          isNew ? undefined : campaign.status === 'paused' ? (
            <Button variant="soft" asChild>
              <a href={href({ page: 'campaign', id: campaign.id })}>See progress</a>
            </Button>
          ) : (
            <Button onClick={() => setConfirmQueue(true)} disabled={toSend === 0 || unknownFields.length > 0}>
              <PaperPlaneIcon /> Queue…
            </Button>
          )
        }
      />

      {report && showReport && <ImportReportCard report={report} onClose={() => setShowReport(false)} />}
      {!isNew && campaign.statusDetail && (
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
          void save().then((ok) => ok && !isNew && toast('Changes saved.'));
        }}
      >
        <Flex direction="column" gap="4" className="tr-editor">
          <MessageSection
            form={form}
            set={set}
            e={e}
            fields={fields}
            unknownFields={unknownFields}
            waitingForFile={isNew && !recipientsInput.shape && recipientsInput.pasted?.kind !== 'list'}
          />
          <RecipientsSection campaign={campaign} input={recipientsInput} recipientsError={recipientsError} />
          <AttachmentsSection form={form} set={set} setForm={setForm} attachmentsError={attachmentsError} />
          <ScheduleSection form={form} set={set} e={e} />

          {generalError && <ErrorCallout error={generalError} title="Not saved." />}

          <Flex className="tr-savebar" gap="3" align="center" justify="between" wrap="wrap">
            <Text size="2" color="gray">
              {isNew ? 'Nothing is sent until you queue the campaign.' : dirty ? 'You have unsaved changes.' : 'All changes saved.'}
            </Text>
            <Flex gap="3">
              <Button type="submit" variant={isNew ? 'solid' : 'soft'} loading={saving} disabled={!isNew && !dirty}>
                {isNew ? 'Save draft' : 'Save changes'}
              </Button>
            </Flex>
          </Flex>
        </Flex>
      </form>

      {!isNew && (
        <Flex direction="column" gap="4" mt="4" className="tr-editor">
          <PreviewSection campaign={campaign} version={previewVersion} dirty={dirty} />
          {campaign.status === 'draft' && (
            <QueueCard
              toSend={toSend}
              sendAfter={form.sendAfter}
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
            dirty={dirty}
            queue={queue}
          />
        </Flex>
      )}
    </div>
  );
}
