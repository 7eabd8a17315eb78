/**
 * One campaign's progress (#/campaigns/12 once it is queued): summary, counts, charts, what went
 * wrong, and Pause, Resume, Export, Cancel. Its numbers come from the one status snapshot, as the
 * top bar's and the Progress page's do. A rehearsal says so, and can be copied into a real draft.
 */
import {
  CheckCircledIcon,
  CopyIcon,
  Cross2Icon,
  DownloadIcon,
  ExclamationTriangleIcon,
  Pencil1Icon,
  PauseIcon,
  PlayIcon,
  StopIcon,
} from '@radix-ui/react-icons';
import { Badge, Button, Callout, Flex, Grid, IconButton, Text } from '@radix-ui/themes';
import { useState } from 'react';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { useActionState } from '../../api/hooks';
import { useCampaignProgress } from '../../api/status';
import { BackToCampaigns } from '../../components/BackToCampaigns';
import { RecentBatches, SendsPerHour } from '../../components/LazyCharts';
import { useToast } from '../../components/Toasts';
import { CampaignBadge, ConfirmDialog, ErrorCallout, PageHeader } from '../../components/ui';
import { downloadText } from '../../lib/files';
import { plural } from '../../lib/format';
import { href, navigate } from '../../lib/route';
import { queuedMessages } from '../../lib/session';
import { Counts } from './Counts';
import { Failures } from './Failures';
import { Bounced } from './Bounced';
import { InDoubt } from './InDoubt';
import { WhatCameBack } from './WhatCameBack';
import { MessageList } from './MessageList';
import { ProgressSummary } from './ProgressSummary';
import { ExportDialog, type ExportOptions } from './ExportDialog';
import { CampaignReuseActions } from '../campaign-list/CampaignReuse';
import { PreviewSection } from '../campaign-editor/sections/PreviewSection';
import { Section } from '../campaign-editor/Section';

export function CampaignProgressPage({ campaign: c }: { campaign: Campaign }) {
  const [flash, setFlash] = useState(() => queuedMessages.get(c.id));
  const [confirmCancel, setConfirmCancel] = useState(false);
  const act = useActionState();
  const exporter = useActionState();
  const copier = useActionState();
  const toast = useToast();
  const p = useCampaignProgress(c.id);
  // The snapshot's status, so the badge agrees with the numbers beside it.
  const status = p?.status ?? c.status;
  const active = status === 'queued' || status === 'sending';

  const [exporting, setExporting] = useState(false);
  const exportCsv = async (options: ExportOptions): Promise<string | undefined> => {
    // The engine does not know the user's zone: the window tells it, for the local-time column.
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const result = await exporter.run('campaigns.export', { id: c.id, ...options, ...(timeZone ? { timeZone } : {}) });
    if (result) downloadText(result.filename, result.csv);
    else return exporter.error?.message ?? 'The export could not be made.';
  };

  const run = async (name: 'campaigns.pause' | 'campaigns.resume', done: string) => {
    const result = await act.run(name, { id: c.id });
    if (result) toast(done);
  };

  return (
    <>
      <PageHeader
        back={<BackToCampaigns />}
        title={c.name}
        description={
          <Flex as="span" gap="2" align="center" wrap="wrap">
            <CampaignBadge status={status} waiting={p?.waiting !== undefined} />
            {c.rehearsal && (
              <Badge color="purple" variant="soft" radius="full">
                Rehearsal
              </Badge>
            )}
            <span className="tr-break">Subject: {c.subject}</span>
          </Flex>
        }
        actions={
          <>
            {active && (
              <Button
                variant="soft"
                color="amber"
                loading={act.busy}
                onClick={() => void run('campaigns.pause', 'Campaign paused. Nothing more goes out until you resume it.')}
              >
                <PauseIcon /> Pause
              </Button>
            )}
            {status === 'paused' && (
              <>
                <Button color="green" loading={act.busy} onClick={() => void run('campaigns.resume', 'Campaign resumed.')}>
                  <PlayIcon /> Resume
                </Button>
                <Button variant="soft" asChild>
                  <a href={href({ page: 'campaign-edit', id: c.id })}>
                    <Pencil1Icon /> Edit
                  </a>
                </Button>
              </>
            )}
            <Button variant="soft" color="gray" onClick={() => setExporting(true)}>
              <DownloadIcon /> Export CSV…
            </Button>
            {c.rehearsal && (
              <Button
                variant="soft"
                loading={copier.busy}
                onClick={async () => {
                  const result = await copier.run('campaigns.copy', { id: c.id, rehearsal: false });
                  if (!result) return toast(copier.error?.message ?? 'The campaign could not be copied.', 'error');
                  toast(
                    `A real draft “${result.campaign.name}” was made with ${plural(result.report.imported, 'recipient')}. Check it, then queue it.`,
                  );
                  navigate({ page: 'campaign-edit', id: result.campaign.id });
                }}
              >
                <CopyIcon /> Copy into a real draft
              </Button>
            )}
            {c.counts.failed > 0 && (
              <Button variant="soft" color="gray" loading={exporter.busy} onClick={() => void exportCsv({ status: 'failed' })}>
                <DownloadIcon /> Export failed only
              </Button>
            )}
            {(active || status === 'paused') && (
              <Button variant="soft" color="red" onClick={() => setConfirmCancel(true)}>
                <StopIcon /> Cancel
              </Button>
            )}
          </>
        }
      />

      {flash && (
        <Callout.Root color="green" mb="4" role="status">
          <Callout.Icon>
            <CheckCircledIcon />
          </Callout.Icon>
          <Callout.Text className="tr-flash">
            <span>
              <strong>{flash}.</strong> Trickle sends them in batches from now on — you can close this window; sending carries on.
            </span>
            <IconButton
              size="1"
              variant="ghost"
              color="green"
              aria-label="Dismiss"
              className="tr-flush"
              onClick={() => {
                queuedMessages.delete(c.id);
                setFlash(undefined);
              }}
            >
              <Cross2Icon />
            </IconButton>
          </Callout.Text>
        </Callout.Root>
      )}
      {act.error && <ErrorCallout error={act.error} />}
      {c.rehearsal && (
        <Callout.Root color="purple" mb="4" role="note">
          <Callout.Text>
            <strong>A rehearsal.</strong> Every message is written to{' '}
            <code className="tr-code-inline tr-break">{c.rehearsalLog ?? 'its log file in the data folder'}</code> instead of being sent.
            Nothing of it reaches a server or counts towards an account’s cap.
          </Callout.Text>
        </Callout.Root>
      )}
      {c.statusDetail && (
        <Callout.Root color="amber" mb="4">
          <Callout.Icon>
            <ExclamationTriangleIcon />
          </Callout.Icon>
          <Callout.Text>{c.statusDetail}</Callout.Text>
        </Callout.Root>
      )}

      <Flex direction="column" gap="4">
        <ProgressSummary campaign={c} />
        {p && <Counts progress={p} />}
        <Grid columns={{ initial: '1', md: '2' }} gap="4" align="start">
          <SendsPerHour />
          <RecentBatches limit={6} />
        </Grid>
        {c.counts.failed > 0 && <Failures campaign={c} />}
        {c.counts.bounced > 0 && <Bounced campaign={c} />}
        {c.counts.in_doubt > 0 && <InDoubt campaign={c} />}
        {c.counts.sent + c.counts.bounced > 0 && <WhatCameBack campaign={c} />}
        {c.counts.retry_wait > 0 && <MessageList campaign={c} status="retry_wait" title="Waiting to retry" collapsed />}
        {c.counts.skipped > 0 && (
          <MessageList campaign={c} status="skipped" title="Skipped at import or on the suppression list" collapsed />
        )}
        {c.counts.expired > 0 && <MessageList campaign={c} status="expired" title="Expired (not sent before the stop time)" collapsed />}
        <PreviewSection campaign={c} version={0} dirty={false} readOnly />
        <Section title="Use it again">
          <Flex justify="between" align="center" gap="3" wrap="wrap">
            <Text size="2" color="gray">
              Copy it to a new draft (everyone, or only those not sent to), or archive it to tidy the list.
            </Text>
            <CampaignReuseActions campaign={c} />
          </Flex>
        </Section>
      </Flex>

      <ExportDialog open={exporting} onClose={() => setExporting(false)} campaign={c} onExport={exportCsv} />

      <ConfirmDialog
        open={confirmCancel}
        onClose={() => setConfirmCancel(false)}
        title={`Cancel “${c.name}”?`}
        confirmLabel="Cancel the campaign"
        onConfirm={async () => {
          const result = await act.run('campaigns.cancel', { id: c.id });
          if (!result) return act.error?.message ?? 'The campaign could not be cancelled.';
          toast('Campaign cancelled.');
        }}
      >
        The {plural(p ? p.counts.queued + p.counts.retry_wait : c.counts.queued + c.counts.retry_wait, 'message')} not sent yet will never
        be sent. This cannot be undone; what has been sent stays sent.
      </ConfirmDialog>
    </>
  );
}
