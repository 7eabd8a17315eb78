/**
 * The campaign editor: a new campaign, or a draft (or paused) one. Message, recipients
 * (new campaigns only), attachments and schedule; for a saved draft also the preview per
 * recipient, the test send and the Queue button.
 */
import {
  ArrowLeftIcon,
  CheckCircledIcon,
  Cross2Icon,
  ExclamationTriangleIcon,
  FileIcon,
  PaperPlaneIcon,
  PlusIcon,
  UploadIcon,
} from '@radix-ui/react-icons';
import { Badge, Box, Button, Callout, Card, Flex, Grid, Heading, IconButton, Link, SegmentedControl, Text, TextArea, TextField } from '@radix-ui/themes';
import { Table } from '../../components/Table';
import { type ReactNode, useEffect, useMemo, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import type { Campaign, ImportReport } from '../../../src-shared/views/campaigns';
import { ApiCallError, fieldError } from '../../api/client';
import { useAction, useActionState, useApi, useClient } from '../../api/hooks';
import { useToast } from '../../components/Toasts';
import { CampaignBadge, ConfirmDialog, describedBy, ErrorCallout, Field, Loading, Note, PageHeader } from '../../components/ui';
import { normalizeFieldName } from '../../../src-shared/field-names';
import { MAX_ATTACHMENTS_BYTES } from '../../../src-shared/limits';
import { classifyPaste, type CsvShape, csvFileTooLarge, decodeText, inspectCsv } from '../../lib/csv';
import { readArrayBuffer, readBase64 } from '../../lib/files';
import { bytes, duration, fromLocalInput, num, plural, toLocalInput, when } from '../../lib/format';
import { href, navigate } from '../../lib/route';
import { importReports, queuedMessages } from '../../lib/session';
import { reachable } from '../campaign-list/CampaignListPage';


type TextTarget = 'subject' | 'html' | 'text';

/** A file kept in Trickle's attachments store (attachments.store), named by its id. */
interface Attachment {
  id: number;
  filename: string;
  size: number;
  missing?: true;
}

interface Form {
  name: string;
  fromName: string;
  replyTo: string;
  subject: string;
  html: string;
  text: string;
  attachments: Attachment[];
  sendAfter: string;
  stopAfter: string;
}

function formOf(c?: Campaign): Form {
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
  };
}

interface Recipients {
  mode: 'file' | 'paste';
  fileName?: string;
  fileText?: string;
  fileShape?: CsvShape;
  fileError?: string;
  paste: string;
  emailColumn: string;
}

export function CampaignEditorPage({ id }: { id?: number }) {
  const campaign = useApi('campaigns.get', { id: id ?? 0 }, { enabled: id !== undefined });
  if (id === undefined) return <Editor key="new" />;
  if (campaign.isPending) return <Loading />;
  if (campaign.error) return <ErrorCallout error={campaign.error} onRetry={() => void campaign.refetch()} />;
  const c = campaign.data;
  if (c.status !== 'draft' && c.status !== 'paused') {
    return (
      <>
        <PageHeader title={c.name} back={<BackLink />} />
        <Note>
          This campaign is {c.status}: it can no longer be edited. <Link href={href({ page: 'campaign', id: c.id })}>See its progress</Link>.
        </Note>
      </>
    );
  }
  return <Editor key={c.id} campaign={c} />;
}

function BackLink() {
  return (
    <Link href={href({ page: 'campaigns' })} size="2" className="tr-back">
      <ArrowLeftIcon /> Campaigns
    </Link>
  );
}

function Editor({ campaign }: { campaign?: Campaign }) {
  const isNew = campaign === undefined;
  const [form, setForm] = useState<Form>(() => formOf(campaign));
  const [saved, setSaved] = useState<Form>(() => formOf(campaign));
  const [bodyMode, setBodyMode] = useState<'html' | 'text'>(() => (campaign && !campaign.html && campaign.text ? 'text' : 'html'));
  const [recipients, setRecipients] = useState<Recipients>({ mode: 'file', paste: '', emailColumn: '' });
  const [error, setError] = useState<ApiCallError | null>(null);
  const [queueError, setQueueError] = useState<ApiCallError | null>(null);
  const [saving, setSaving] = useState(false);
  const [confirmQueue, setConfirmQueue] = useState(false);
  const queueErrorRef = useRef<HTMLDivElement>(null);
  // Queue can be pressed at the top of the page: bring its error into view.
  useEffect(() => {
    if (queueError) queueErrorRef.current?.scrollIntoView({ behavior: 'smooth', block: 'center' });
  }, [queueError]);
  const [previewVersion, setPreviewVersion] = useState(0);
  const report = campaign ? importReports.get(campaign.id) : undefined;
  const [showReport, setShowReport] = useState(report !== undefined);
  const action = useAction();
  const toast = useToast();
  const settings = useApi('settings.get');
  const status = useApi('sending.status');

  const refs = {
    subject: useRef<HTMLInputElement>(null),
    html: useRef<HTMLTextAreaElement>(null),
    text: useRef<HTMLTextAreaElement>(null),
  };
  const lastFocused = useRef<TextTarget>('html');

  const dirty = JSON.stringify(form) !== JSON.stringify(saved);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));

  // Warn before closing the tab with unsaved changes.
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);

  // ---- merge fields ----
  const pasted = useMemo(() => classifyPaste(recipients.paste), [recipients.paste]);
  const shape: CsvShape | undefined = recipients.mode === 'file' ? recipients.fileShape : pasted?.kind === 'csv' ? pasted.shape : undefined;
  const emailColumn = recipients.emailColumn || shape?.detectedEmailColumn || shape?.likelyEmailColumn || '';
  const fields = useMemo(() => {
    const names = isNew
      ? (shape?.columns ?? []).filter((c) => c !== emailColumn).map(normalizeFieldName)
      : campaign.fields;
    return [...new Set(['email', 'name', ...names.filter(Boolean)])];
  }, [isNew, shape, emailColumn, campaign]);

  function insertField(field: string) {
    const target = lastFocused.current === 'text' && bodyMode !== 'text' ? 'html' : lastFocused.current === 'html' && bodyMode !== 'html' ? 'text' : lastFocused.current;
    const el = refs[target].current;
    const token = `{{${field}}}`;
    const value = form[target];
    const start = el?.selectionStart ?? value.length;
    const end = el?.selectionEnd ?? value.length;
    // Rendered at once, so the cursor can be put right after the inserted field.
    flushSync(() => set(target, value.slice(0, start) + token + value.slice(end)));
    const node = refs[target].current;
    if (!node) return;
    node.focus();
    node.setSelectionRange(start + token.length, start + token.length);
  }

  // ---- recipients ----
  async function pickCsv(file: File) {
    // Refused before it is read: the engine would refuse it anyway, and reading 200 MB stalls the window.
    const tooLarge = csvFileTooLarge(file.size);
    if (tooLarge) return refuseFile(file.name, tooLarge);
    try {
      const text = decodeText(await readArrayBuffer(file));
      const fileShape = inspectCsv(text);
      setRecipients((r) => ({
        ...r,
        fileName: file.name,
        fileText: text,
        fileShape,
        fileError: fileShape ? undefined : 'The file is empty.',
        emailColumn: '',
      }));
      setError(null);
    } catch {
      refuseFile(file.name, 'The file could not be read.');
    }
  }

  /** A refused file leaves nothing of the one picked before it to be imported under its name. */
  function refuseFile(fileName: string, fileError: string) {
    setRecipients((r) => ({ ...r, fileName, fileText: undefined, fileShape: undefined, fileError, emailColumn: '' }));
  }

  function recipientArgs(): { csv: string; emailColumn?: string } | { recipients: { email: string }[] } | undefined {
    if (recipients.mode === 'file') {
      if (!recipients.fileText) return undefined;
      return { csv: recipients.fileText, ...(emailColumn ? { emailColumn } : {}) };
    }
    if (!pasted) return undefined;
    if (pasted.kind === 'csv') return { csv: recipients.paste.trim(), ...(emailColumn ? { emailColumn } : {}) };
    return { recipients: pasted.emails.map((email) => ({ email })) };
  }

  // ---- attachments ----
  const [uploading, setUploading] = useState(0);
  const [attachError, setAttachError] = useState<string>();
  async function addAttachments(files: FileList) {
    setAttachError(undefined);
    for (const file of Array.from(files)) {
      if (file.size > MAX_ATTACHMENTS_BYTES) {
        setAttachError(`${file.name} is ${bytes(file.size)}; Gmail accepts 25 MB per message in all. Share it by link instead.`);
        continue;
      }
      setUploading((n) => n + 1);
      try {
        const envelope = await action('attachments.store', { filename: file.name, contentBase64: await readBase64(file) });
        if (envelope.ok) {
          const stored = envelope.value;
          setForm((f) => ({ ...f, attachments: [...f.attachments, stored] }));
        }
        else setAttachError(envelope.error.message);
      } catch {
        setAttachError(`${file.name} could not be read.`);
      } finally {
        setUploading((n) => n - 1);
      }
    }
  }
  const attachTotal = form.attachments.reduce((n, a) => n + a.size, 0);

  // ---- save ----
  function contentArgs() {
    const sendAfter = fromLocalInput(form.sendAfter);
    const stopAfter = fromLocalInput(form.stopAfter);
    return { sendAfter, stopAfter };
  }

  async function save(): Promise<boolean> {
    setError(null);
    setQueueError(null);
    const { sendAfter, stopAfter } = contentArgs();
    if (isNew) {
      const r = recipientArgs();
      if (!r) {
        setError(new ApiCallError({ code: 'invalid_input', field: 'recipients', message: 'Add the recipients: choose a CSV file, or paste addresses.' }));
        return false;
      }
      setSaving(true);
      try {
        const envelope = await action('campaigns.create', {
          name: form.name,
          subject: form.subject,
          ...(form.html.trim() ? { html: form.html } : {}),
          ...(form.text.trim() ? { text: form.text } : {}),
          ...(form.fromName.trim() ? { fromName: form.fromName.trim() } : {}),
          ...(form.replyTo.trim() ? { replyTo: form.replyTo.trim() } : {}),
          ...(form.attachments.length ? { attachments: form.attachments.map((a) => a.id) } : {}),
          ...(sendAfter ? { sendAfter } : {}),
          ...(stopAfter ? { stopAfter } : {}),
          ...r,
        });
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
      const envelope = await action('campaigns.update', {
        id: campaign.id,
        name: form.name,
        subject: form.subject,
        html: form.html.trim() ? form.html : null,
        text: form.text.trim() ? form.text : null,
        fromName: form.fromName.trim() || null,
        replyTo: form.replyTo.trim() || null,
        attachments: form.attachments.map((a) => a.id),
        sendAfter,
        stopAfter,
      });
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

  // ---- errors by place ----
  const e = (field: string) => fieldError(error, field);
  const placed = ['name', 'subject', 'html', 'text', 'fromName', 'replyTo', 'sendAfter', 'stopAfter', 'recipients', 'csv', 'emailColumn', 'attachments'];
  const recipientsError =
    error && (error.code === 'csv_invalid' || error.field === 'recipients' || error.field === 'csv' || error.field === 'emailColumn' || error.field?.startsWith('recipients.'))
      ? error.message.replace(/^(recipients|csv|emailColumn)(\.\d+\.\w+)?: /, '')
      : undefined;
  const attachmentsError = error?.code === 'attachment_problem' ? error.message : undefined;
  const generalError = error && !recipientsError && !attachmentsError && !(error.field && placed.includes(error.field)) ? error : null;

  const s = settings.data;
  const toSend = campaign ? campaign.counts.pending : 0;

  return (
    <div className="tr-editor-page">
      <PageHeader
        back={<BackLink />}
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
            <Button onClick={() => setConfirmQueue(true)} disabled={toSend === 0}>
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
          <Section title="Message">
            <Grid columns={{ initial: '1', sm: '2' }} gap="4">
              <Field id="c-name" label="Campaign name" error={e('name')} hint="For you only; recipients never see it.">
                <TextField.Root {...describedBy('c-name', e('name'))} value={form.name} onChange={(ev) => set('name', ev.target.value)} placeholder="Spring newsletter" />
              </Field>
              <Field id="c-from" label="Sender name" optional error={e('fromName')} hint="Leave empty to use each account’s sender name.">
                <TextField.Root {...describedBy('c-from', e('fromName'))} value={form.fromName} onChange={(ev) => set('fromName', ev.target.value)} />
              </Field>
            </Grid>
            <Field id="c-reply" label="Reply-to address" optional error={e('replyTo')} hint="Where replies go, if not to the sending account.">
              <TextField.Root
                {...describedBy('c-reply', e('replyTo'))}
                type="email"
                value={form.replyTo}
                onChange={(ev) => set('replyTo', ev.target.value)}
                placeholder="secretary@example.org"
              />
            </Field>
            <Field id="c-subject" label="Subject" error={e('subject')}>
              <TextField.Root
                {...describedBy('c-subject', e('subject'), false)}
                ref={refs.subject}
                value={form.subject}
                onFocus={() => (lastFocused.current = 'subject')}
                onChange={(ev) => set('subject', ev.target.value)}
                placeholder="News from the club, {{name|friends}}"
              />
            </Field>

            <MergeChips fields={fields} onInsert={insertField} waitingForFile={isNew && !shape} />

            <div className="tr-field">
              <Flex justify="between" align="center" gap="3" wrap="wrap">
                <Text as="span" size="2" weight="medium" id="c-body-label">
                  Message body
                </Text>
                <SegmentedControl.Root size="1" value={bodyMode} onValueChange={(v) => setBodyMode(v as 'html' | 'text')} aria-label="Body format">
                  <SegmentedControl.Item value="html">HTML{form.html.trim() ? ' ✓' : ''}</SegmentedControl.Item>
                  <SegmentedControl.Item value="text">Plain text{form.text.trim() ? ' ✓' : ''}</SegmentedControl.Item>
                </SegmentedControl.Root>
              </Flex>
              {bodyMode === 'html' ? (
                <TextArea
                  {...describedBy('c-html', e('html'))}
                  aria-labelledby="c-body-label"
                  ref={refs.html}
                  className="tr-code"
                  rows={14}
                  resize="vertical"
                  value={form.html}
                  onFocus={() => (lastFocused.current = 'html')}
                  onChange={(ev) => set('html', ev.target.value)}
                  placeholder={'<p>Dear {{name|member}},</p>\n<p>…</p>'}
                  spellCheck={false}
                />
              ) : (
                <TextArea
                  {...describedBy('c-text', e('text'))}
                  aria-labelledby="c-body-label"
                  ref={refs.text}
                  rows={14}
                  resize="vertical"
                  value={form.text}
                  onFocus={() => (lastFocused.current = 'text')}
                  onChange={(ev) => set('text', ev.target.value)}
                  placeholder={'Dear {{name|member}},\n\n…'}
                />
              )}
              {e('html') || e('text') ? (
                <Text as="p" size="1" color="red" role="alert" id={bodyMode === 'html' ? 'c-html-error' : 'c-text-error'}>
                  {e('html') ?? e('text')}
                </Text>
              ) : (
                <Text as="p" size="1" color="gray" id={bodyMode === 'html' ? 'c-html-hint' : 'c-text-hint'}>
                  {bodyMode === 'html'
                    ? 'Paste HTML from your newsletter tool, or write simple tags like <p> and <a>. '
                    : 'Used for mail apps that do not show HTML. '}
                  {form.html.trim() && !form.text.trim() ? 'Plain text is made from the HTML when left empty. ' : ''}
                  An unsubscribe line is added at the bottom of every message.
                </Text>
              )}
            </div>
          </Section>

          <Section title="Recipients">
            {isNew ? (
              <RecipientsInput
                recipients={recipients}
                setRecipients={setRecipients}
                shape={shape}
                pasted={pasted}
                emailColumn={emailColumn}
                error={recipientsError}
                onPickFile={pickCsv}
              />
            ) : (
              <Flex direction="column" gap="2">
                <Text size="2">
                  <strong>{plural(reachable(campaign), 'recipient')}</strong>
                  {campaign.counts.skipped > 0 ? ` · ${plural(campaign.counts.skipped, 'row')} skipped at import (invalid, duplicate or suppressed)` : ''}
                </Text>
                {campaign.fields.length > 0 && (
                  <Text size="2" color="gray">
                    Merge fields from the file: {campaign.fields.map((f) => `{{${f}}}`).join(', ')}
                  </Text>
                )}
                <Note>Recipients cannot be re-imported once a campaign is created. To send to a different list, create a new campaign.</Note>
              </Flex>
            )}
          </Section>

          <Section title="Attachments" aside={form.attachments.length > 0 ? `${bytes(attachTotal)} of 25 MB` : undefined}>
            {form.attachments.length > 0 && (
              <ul className="tr-attachments">
                {form.attachments.map((a, i) => (
                  <li key={`${a.id}-${i}`}>
                    <FileIcon />
                    <Text size="2" className="tr-break">
                      {a.filename}
                    </Text>
                    <Text size="1" color={a.missing ? 'red' : 'gray'}>
                      {a.missing ? 'missing from Trickle’s data folder — remove it and add the file again' : bytes(a.size)}
                    </Text>
                    <IconButton
                      type="button"
                      size="1"
                      variant="ghost"
                      color="gray"
                      aria-label={`Remove ${a.filename}`}
                      onClick={() => set('attachments', form.attachments.filter((_, j) => j !== i))}
                    >
                      <Cross2Icon />
                    </IconButton>
                  </li>
                ))}
              </ul>
            )}
            {attachTotal > MAX_ATTACHMENTS_BYTES && (
              <Callout.Root color="red" size="1">
                <Callout.Icon>
                  <ExclamationTriangleIcon />
                </Callout.Icon>
                <Callout.Text>
                  The attachments add up to {bytes(attachTotal)}; Gmail accepts 25 MB per message. Remove some, or share them by link.
                </Callout.Text>
              </Callout.Root>
            )}
            {(attachError || attachmentsError) && (
              <Text as="p" size="2" color="red" role="alert">
                {attachError ?? attachmentsError}
              </Text>
            )}
            <Flex align="center" gap="3">
              <FilePicker
                id="c-attach"
                label={form.attachments.length ? 'Add another file' : 'Add a file'}
                multiple
                busy={uploading > 0}
                onFiles={(files) => void addAttachments(files)}
                icon={<PlusIcon />}
              />
              <Text size="1" color="gray">
                Every recipient gets the same files. 25 MB in all.
              </Text>
            </Flex>
          </Section>

          <Section title="Schedule" aside="optional">
            <Grid columns={{ initial: '1', sm: '2' }} gap="4">
              <Field id="c-after" label="Start sending at" error={e('sendAfter')} hint="Empty: start at the next batch after you queue it.">
                <TextField.Root {...describedBy('c-after', e('sendAfter'))} type="datetime-local" value={form.sendAfter} onChange={(ev) => set('sendAfter', ev.target.value)} />
              </Field>
              <Field id="c-stop" label="Stop sending at" error={e('stopAfter')} hint="What has not gone out by then is marked expired.">
                <TextField.Root {...describedBy('c-stop', e('stopAfter'))} type="datetime-local" value={form.stopAfter} onChange={(ev) => set('stopAfter', ev.target.value)} />
              </Field>
            </Grid>
          </Section>

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
            <Card size="3" className="tr-queue-card">
              <Flex justify="between" align="center" gap="4" wrap="wrap">
                <Box minWidth="0" className="tr-queue-card__text">
                  <Heading as="h2" size="4">
                    Ready to send?
                  </Heading>
                  <Text as="p" size="2" color="gray">
                    Queue sends to {plural(toSend, 'recipient')}
                    {s ? `, ${plural(s.batchSize, 'email')} every ${duration(s.batchIntervalSeconds)}` : ''}
                    {form.sendAfter ? `, starting ${when(fromLocalInput(form.sendAfter))}` : ''}. You can pause or cancel at any time.
                  </Text>
                </Box>
                <Button size="3" onClick={() => setConfirmQueue(true)} disabled={toSend === 0}>
                  <PaperPlaneIcon /> Queue {num(toSend)} emails
                </Button>
              </Flex>
              {queueError && (
                <Box mt="3" ref={queueErrorRef}>
                  <ErrorCallout
                    error={queueError}
                    title={queueError.code === 'merge_missing_field' ? 'A merge field is empty for some recipients.' : 'Not queued.'}
                  />
                  {queueError.code === 'merge_missing_field' && (
                    <Text as="p" size="2" color="gray">
                      The recipients cannot be changed after import, so give the field a default in the subject or body (as shown), save,
                      and queue again.
                    </Text>
                  )}
                </Box>
              )}
            </Card>
          )}
          <ConfirmDialog
            open={confirmQueue}
            onClose={() => setConfirmQueue(false)}
            title={`Queue “${campaign.name}”?`}
            confirmLabel={`Queue ${num(toSend)} emails`}
            color="indigo"
            onConfirm={queue}
          >
            <Flex direction="column" gap="2">
              <span>
                Trickle will send it to <strong>{plural(toSend, 'recipient')}</strong>
                {form.sendAfter ? `, starting ${when(fromLocalInput(form.sendAfter))}` : ' from the next batch'}.
              </span>
              {dirty && <span>Your unsaved changes are saved first.</span>}
              {status.data?.dryRun && (
                <Text color="purple" weight="medium">
                  Dry run is on: the messages are written to dry-run.log, nothing is really sent.
                </Text>
              )}
              {status.data && status.data.capacityLeft === 0 && !status.data.dryRun && (
                <Text color="amber">{status.data.waitingReason ?? 'No account has capacity left right now: sending starts when one does.'}</Text>
              )}
            </Flex>
          </ConfirmDialog>
        </Flex>
      )}
    </div>
  );
}

function Section({ title, aside, children }: { title: string; aside?: ReactNode; children: ReactNode }) {
  return (
    <Card size="3" asChild>
      <section aria-label={title}>
        <Flex justify="between" align="baseline" mb="4" gap="3">
          <Heading as="h2" size="4">
            {title}
          </Heading>
          {aside && (
            <Text size="1" color="gray">
              {aside}
            </Text>
          )}
        </Flex>
        <Flex direction="column" gap="4">
          {children}
        </Flex>
      </section>
    </Card>
  );
}

function MergeChips({ fields, onInsert, waitingForFile }: { fields: string[]; onInsert: (field: string) => void; waitingForFile: boolean }) {
  return (
    <div className="tr-chips" role="group" aria-label="Insert a merge field">
      <Text size="1" color="gray" className="tr-chips__label">
        Insert a merge field at the cursor:
      </Text>
      {fields.map((f) => (
        <button
          key={f}
          type="button"
          className="tr-chip"
          // Keep the text field focused, so the cursor position is where the field goes.
          onMouseDown={(ev) => ev.preventDefault()}
          onClick={() => onInsert(f)}
        >
          {`{{${f}}}`}
        </button>
      ))}
      <Text size="1" color="gray" className="tr-chips__label">
        {waitingForFile ? 'The columns of your recipients file (below) are added here. ' : ''}Add a default for empty values:{' '}
        {'{{name|there}}'}
      </Text>
    </div>
  );
}

function FilePicker({
  id,
  label,
  accept,
  multiple,
  busy,
  onFiles,
  icon,
}: {
  id: string;
  label: string;
  accept?: string;
  multiple?: boolean;
  busy?: boolean;
  onFiles: (files: FileList) => void;
  icon?: ReactNode;
}) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={input}
        id={id}
        type="file"
        className="tr-visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        accept={accept}
        multiple={multiple}
        onChange={(ev) => {
          if (ev.target.files?.length) onFiles(ev.target.files);
          ev.target.value = '';
        }}
      />
      <Button type="button" variant="soft" loading={busy} onClick={() => input.current?.click()}>
        {icon ?? <UploadIcon />} {label}
      </Button>
    </>
  );
}

function RecipientsInput({
  recipients,
  setRecipients,
  shape,
  pasted,
  emailColumn,
  error,
  onPickFile,
}: {
  recipients: Recipients;
  setRecipients: (update: (r: Recipients) => Recipients) => void;
  shape: CsvShape | undefined;
  pasted: ReturnType<typeof classifyPaste>;
  emailColumn: string;
  error: string | undefined;
  onPickFile: (file: File) => void;
}) {
  return (
    <>
      <SegmentedControl.Root
        value={recipients.mode}
        onValueChange={(mode) => setRecipients((r) => ({ ...r, mode: mode as 'file' | 'paste', emailColumn: '' }))}
        aria-label="Where the recipients come from"
        className="tr-fit"
      >
        <SegmentedControl.Item value="file">From a CSV file</SegmentedControl.Item>
        <SegmentedControl.Item value="paste">Paste addresses</SegmentedControl.Item>
      </SegmentedControl.Root>

      {recipients.mode === 'file' ? (
        <Flex direction="column" gap="2">
          <Flex align="center" gap="3" wrap="wrap">
            <FilePicker id="c-csv" label={recipients.fileName ? 'Choose another file' : 'Choose a CSV file'} accept=".csv,.txt,text/csv,text/plain" onFiles={(f) => f[0] && onPickFile(f[0])} />
            {recipients.fileName ? (
              <Text size="2" className="tr-break">
                <FileIcon className="tr-inline-icon" /> {recipients.fileName}
                {shape ? ` — ${plural(shape.rows, 'row')}, ${plural(shape.columns.length, 'column')}` : ''}
              </Text>
            ) : (
              <Text size="2" color="gray">
                A spreadsheet saved as CSV, with a header row (e.g. email, name, …).
              </Text>
            )}
          </Flex>
          {recipients.fileError && (
            <Text size="2" color="red" role="alert">
              {recipients.fileError}
            </Text>
          )}
        </Flex>
      ) : (
        <Field
          id="c-paste"
          label="Addresses"
          hint={
            pasted?.kind === 'list'
              ? `${plural(pasted.emails.length, 'address', 'addresses')} — duplicates and invalid ones are reported when you save.`
              : pasted?.kind === 'csv'
                ? `Read as CSV: ${plural(pasted.shape.rows, 'row')}, ${plural(pasted.shape.columns.length, 'column')}.`
                : 'One address per line — or CSV text with a header row, copied from a spreadsheet.'
          }
        >
          <TextArea
            {...describedBy('c-paste', undefined)}
            rows={6}
            className="tr-code"
            value={recipients.paste}
            onChange={(ev) => setRecipients((r) => ({ ...r, paste: ev.target.value }))}
            placeholder={'ann@example.com\nbob@example.org'}
            spellCheck={false}
          />
        </Field>
      )}

      {shape && (
        <Grid columns={{ initial: '1', sm: '2fr 3fr' }} gap="4" className="tr-subtle-box">
          <Field
            id="c-email-col"
            label="Column with the email addresses"
            hint={
              shape.detectedEmailColumn
                ? 'Found by its name.'
                : shape.likelyEmailColumn
                  ? 'Guessed from its contents: check it.'
                  : 'Choose the column that holds the addresses.'
            }
          >
            <select
              {...describedBy('c-email-col', undefined)}
              className="tr-select"
              value={emailColumn}
              onChange={(ev) => setRecipients((r) => ({ ...r, emailColumn: ev.target.value }))}
            >
              {!emailColumn && <option value="">Choose a column…</option>}
              {shape.columns.map((c, i) =>
                c ? (
                  <option key={`${c}-${i}`} value={c}>
                    {c}
                  </option>
                ) : null,
              )}
            </select>
          </Field>
          <Box minWidth="0">
            <Text as="p" size="2" weight="medium" mb="1">
              Columns found
            </Text>
            <Flex gap="1" wrap="wrap">
              {shape.columns.filter(Boolean).map((c, i) => (
                <Badge key={`${c}-${i}`} color={c === emailColumn ? 'indigo' : 'gray'} variant={c === emailColumn ? 'solid' : 'soft'}>
                  {c}
                </Badge>
              ))}
            </Flex>
            <Text as="p" size="1" color="gray" mt="1">
              The other columns become merge fields.
            </Text>
          </Box>
          {shape.headerLooksLikeData && (
            <Box gridColumn="1 / -1">
              <Note color="amber">The first row holds an address: the file seems to have no header row. Add one (e.g. “email,name”) at the top.</Note>
            </Box>
          )}
        </Grid>
      )}

      {error && (
        <Callout.Root color="red" role="alert">
          <Callout.Icon>
            <ExclamationTriangleIcon />
          </Callout.Icon>
          <Callout.Text>{error}</Callout.Text>
        </Callout.Root>
      )}
    </>
  );
}

function ImportReportCard({ report, onClose }: { report: ImportReport; onClose: () => void }) {
  const skipped = report.duplicates + report.invalid.length + report.suppressed;
  return (
    <Card size="3" mb="4" className="tr-report">
      <Flex justify="between" align="start" gap="3">
        <Flex gap="3" align="start">
          <CheckCircledIcon width="22" height="22" className="tr-report__icon" />
          <Box>
            <Heading as="h2" size="4">
              Imported {plural(report.imported, 'recipient')}
            </Heading>
            <Text as="p" size="2" color="gray">
              {skipped === 0 ? 'Every row had a valid, new address.' : `${plural(skipped, 'row')} will not be sent to:`}
            </Text>
          </Box>
        </Flex>
        <IconButton variant="ghost" color="gray" aria-label="Hide the import report" onClick={onClose} className="tr-flush">
          <Cross2Icon />
        </IconButton>
      </Flex>
      <Grid columns={{ initial: '2', sm: '4' }} gap="3" mt="3">
        <ReportStat label="Imported" value={report.imported} tone="green" />
        <ReportStat label="Duplicates removed" value={report.duplicates} />
        <ReportStat label="Invalid addresses" value={report.invalid.length} tone={report.invalid.length ? 'red' : undefined} />
        <ReportStat label="On the suppression list" value={report.suppressed} />
      </Grid>
      {report.invalid.length > 0 && (
        <Box mt="4">
          <Text as="p" size="2" weight="medium" mb="2">
            Invalid addresses — fix them in the file if they matter, and import them in a new campaign:
          </Text>
          <Table.Root size="1" variant="surface" className="tr-table">
            <Table.Header>
              <Table.Row>
                <Table.ColumnHeaderCell className="tr-col-row">Row</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Value</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Why</Table.ColumnHeaderCell>
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {report.invalid.slice(0, 50).map((r) => (
                <Table.Row key={r.row}>
                  <Table.Cell>{num(r.row)}</Table.Cell>
                  <Table.Cell className="tr-break">{r.value || <Text color="gray">(empty)</Text>}</Table.Cell>
                  <Table.Cell>{r.reason}</Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table.Root>
          {report.invalid.length > 50 && (
            <Text as="p" size="1" color="gray" mt="1">
              … and {num(report.invalid.length - 50)} more (see the skipped list on the progress page).
            </Text>
          )}
        </Box>
      )}
    </Card>
  );
}

function ReportStat({ label, value, tone }: { label: string; value: number; tone?: 'green' | 'red' }) {
  return (
    <Box className={`tr-tile${tone ? ` tr-tile--${tone}` : ''}`}>
      <Text as="div" size="5" weight="bold">
        {num(value)}
      </Text>
      <Text as="div" size="1" color="gray">
        {label}
      </Text>
    </Box>
  );
}

/**
 * The address of a frame showing one of Trickle's pages: in a browser it carries a one-use
 * ticket (a frame cannot send the token's header), so a new one is asked for each time.
 */
function useFrameUrl(path: string | undefined): string | undefined {
  const client = useClient();
  const [url, setUrl] = useState<{ path: string; url: string | undefined }>();
  useEffect(() => {
    if (path === undefined) return;
    let current = true;
    void client.frameUrl(path).then((u) => current && setUrl({ path, url: u }));
    return () => {
      current = false;
    };
  }, [client, path]);
  return url && url.path === path ? url.url : undefined;
}

function PreviewSection({ campaign, version, dirty }: { campaign: Campaign; version: number; dirty: boolean }) {
  const messages = useApi('campaigns.messages', { id: campaign.id, limit: 200 });
  const people = (messages.data?.items ?? []).filter((m) => m.status !== 'skipped');
  const [selected, setSelected] = useState<number>();
  const messageId = selected ?? people[0]?.id;
  const preview = useApi('campaigns.preview', { id: campaign.id, ...(messageId ? { messageId } : {}) }, { enabled: messageId !== undefined });
  // The preview page is served next to this one (headless mode, or a custom protocol); a window
  // loaded from file:// has nothing to serve it, so it shows the plain-text version instead.
  const canFrame = location.protocol !== 'file:';
  const frameSrc = useFrameUrl(canFrame && messageId !== undefined ? `preview?campaign=${campaign.id}&message=${messageId}&v=${version}` : undefined);
  const [to, setTo] = useState('');
  const test = useActionState();
  const [testResult, setTestResult] = useState<string>();

  useEffect(() => {
    void preview.refetch();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);

  return (
    <>
      <Section title="Preview" aside={dirty ? 'Showing the last saved version' : undefined}>
        {messages.isPending ? (
          <Loading label="Loading recipients…" />
        ) : people.length === 0 ? (
          <Note>Nobody to preview: every row was skipped at import.</Note>
        ) : (
          <>
            <Field id="p-recipient" label="Show the message as it goes to" hint={messages.data && messages.data.total > 200 ? 'The first 200 rows are listed.' : undefined}>
              <select
                {...describedBy('p-recipient', undefined)}
                className="tr-select"
                value={messageId}
                onChange={(ev) => setSelected(Number(ev.target.value))}
              >
                {people.map((m) => (
                  <option key={m.id} value={m.id}>
                    Row {m.row}: {m.name ? `${m.name} <${m.email}>` : m.email}
                  </option>
                ))}
              </select>
            </Field>
            {preview.error ? (
              <ErrorCallout error={preview.error} title="This recipient’s message cannot be made." />
            ) : preview.data ? (
              <dl className="tr-headers">
                <dt>From</dt>
                <dd>{preview.data.from}</dd>
                <dt>To</dt>
                <dd>{preview.data.to}</dd>
                {preview.data.replyTo && (
                  <>
                    <dt>Reply-to</dt>
                    <dd>{preview.data.replyTo}</dd>
                  </>
                )}
                <dt>Subject</dt>
                <dd>
                  <strong>{preview.data.subject}</strong>
                </dd>
              </dl>
            ) : null}
            {messageId !== undefined &&
              !preview.error &&
              (canFrame ? (
                frameSrc ? (
                  <iframe key={frameSrc} className="tr-preview" title="Message preview" sandbox="" referrerPolicy="no-referrer" src={frameSrc} />
                ) : (
                  <Loading label="Loading the preview…" />
                )
              ) : (
                <>
                  <pre className="tr-preview tr-preview--text">{preview.data?.text}</pre>
                  <Text size="1" color="gray">
                    The plain-text version is shown here; the HTML preview is available when Trickle is opened in a browser.
                  </Text>
                </>
              ))}
          </>
        )}
      </Section>

      <Section title="Send a test">
        <form
          onSubmit={async (ev) => {
            ev.preventDefault();
            setTestResult(undefined);
            const result = await test.run('campaigns.testSend', { id: campaign.id, to, ...(messageId ? { messageId } : {}) });
            if (result) {
              setTestResult(`Sent a test to ${result.sentTo} from ${result.from}. Its subject starts with “[Test]”.`);
            }
          }}
        >
          <Field
            id="t-to"
            label="Send a copy to"
            error={fieldError(test.error, 'to')}
            hint="Made with the data of the recipient chosen above. A test is really sent, even in dry run, and counts towards the account’s daily cap."
          >
            <Flex gap="3">
              <Box flexGrow="1">
                <TextField.Root {...describedBy('t-to', fieldError(test.error, 'to'))} type="email" value={to} onChange={(ev) => setTo(ev.target.value)} placeholder="you@example.com" />
              </Box>
              <Button type="submit" loading={test.busy} variant="soft">
                <PaperPlaneIcon /> Send test
              </Button>
            </Flex>
          </Field>
          {testResult && (
            <Callout.Root color="green" mt="3" role="status">
              <Callout.Icon>
                <CheckCircledIcon />
              </Callout.Icon>
              <Callout.Text>{testResult}</Callout.Text>
            </Callout.Root>
          )}
          {test.error && test.error.field !== 'to' && (
            <Box mt="3">
              <ErrorCallout error={test.error} title="The test was not sent." />
            </Box>
          )}
        </form>
      </Section>
    </>
  );
}
