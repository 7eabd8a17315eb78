/**
 * Progress: one campaign in detail (#/campaigns/12), and the overview of everything that is
 * sending (#/progress).
 */
import {
  CheckCircledIcon,
  Cross2Icon,
  DownloadIcon,
  EnvelopeClosedIcon,
  ExclamationTriangleIcon,
  Pencil1Icon,
  PauseIcon,
  PersonIcon,
  PlayIcon,
  PlusIcon,
  ReloadIcon,
  StopIcon,
} from '@radix-ui/react-icons';
import { Badge, Box, Button, Callout, Card, Flex, Grid, Heading, IconButton, Link, Text } from '@radix-ui/themes';
import { Table } from '../../components/Table';
import type { UseQueryResult } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import type { Campaign, Message } from '../../../src-shared/views/campaigns';
import type { ApiCallError, ApiResult } from '../../api/client';
import { useActionState, useApi } from '../../api/hooks';
import { RecentBatches, SendsPerHour } from '../../components/Charts';
import { useToast } from '../../components/Toasts';
import { CampaignBadge, ConfirmDialog, EmptyState, ErrorCallout, Loading, MESSAGE_STATUS, Meter, PageHeader } from '../../components/ui';
import { downloadText } from '../../lib/files';
import { countdown, duration, num, percent, plural, serverLine, when } from '../../lib/format';
import { href, useNow } from '../../lib/route';
import { queuedMessages } from '../../lib/session';
import { CampaignEditorPage } from '../campaign-editor/Editor';
import { reachable } from '../../lib/campaigns';
import { BackToCampaigns } from '../../components/BackToCampaigns';

// ---------------------------------------------------------------------------------------
// One campaign

export function CampaignProgressPage({ id }: { id: number }) {
  const campaign = useApi('campaigns.get', { id });
  if (campaign.isPending) return <Loading />;
  if (campaign.error) {
    return (
      <>
        <PageHeader title="Campaign" back={<BackToCampaigns />} />
        <ErrorCallout error={campaign.error} onRetry={() => void campaign.refetch()} />
      </>
    );
  }
  if (campaign.data.status === 'draft') return <CampaignEditorPage id={id} />;
  return <CampaignProgress campaign={campaign.data} />;
}

function CampaignProgress({ campaign: c }: { campaign: Campaign }) {
  const [flash, setFlash] = useState(() => queuedMessages.get(c.id));
  const [confirmCancel, setConfirmCancel] = useState(false);
  const act = useActionState();
  const exporter = useActionState();
  const toast = useToast();
  const active = c.status === 'queued' || c.status === 'sending';

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
            <CampaignBadge status={c.status} />
            <span className="tr-break">Subject: {c.subject}</span>
          </Flex>
        }
        actions={
          <>
            {active && (
              <Button variant="soft" color="amber" loading={act.busy} onClick={() => void run('campaigns.pause', 'Campaign paused. Nothing more goes out until you resume it.')}>
                <PauseIcon /> Pause
              </Button>
            )}
            {c.status === 'paused' && (
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
            <Button
              variant="soft"
              color="gray"
              loading={exporter.busy}
              onClick={async () => {
                const result = await exporter.run('campaigns.export', { id: c.id });
                if (result) downloadText(result.filename, result.csv);
                else if (exporter.error) toast(exporter.error.message, 'error');
              }}
            >
              <DownloadIcon /> Export CSV
            </Button>
            {(active || c.status === 'paused') && (
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
        <Counts campaign={c} />
        <Grid columns={{ initial: '1', md: '2' }} gap="4" align="start">
          <SendsPerHour />
          <RecentBatches limit={6} />
        </Grid>
        {c.counts.failed > 0 && <Failures campaign={c} />}
        {c.counts.in_doubt > 0 && <InDoubt campaign={c} />}
        {c.counts.retry_wait > 0 && <MessageList campaign={c} status="retry_wait" title="Waiting to retry" collapsed />}
        {c.counts.skipped > 0 && <MessageList campaign={c} status="skipped" title="Skipped at import or on the suppression list" collapsed />}
        {c.counts.expired > 0 && <MessageList campaign={c} status="expired" title="Expired (not sent before the stop time)" collapsed />}
      </Flex>

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
        The {plural(c.counts.queued + c.counts.retry_wait, 'message')} not sent yet will never be sent. This cannot be undone;
        what has been sent stays sent.
      </ConfirmDialog>
    </>
  );
}

function ProgressSummary({ campaign: c }: { campaign: Campaign }) {
  const status = useApi('sending.status');
  const settings = useApi('settings.get');
  const now = useNow(1000);
  const total = reachable(c);
  // Progress is how much of the job is settled: sent, or finished another way (failed, in
  // doubt, cancelled, expired) — what still waits is what keeps it below 100%.
  const sent = c.counts.sent;
  const settled = total - (c.counts.pending + c.counts.queued + c.counts.sending + c.counts.retry_wait);
  const pct = percent(settled, total);
  const unsent = settled - sent;
  const next = status.data?.nextBatchAt ? Date.parse(status.data.nextBatchAt) : undefined;
  const left = c.counts.queued + c.counts.retry_wait + c.counts.sending;
  const startsLater = c.sendAfter && Date.parse(c.sendAfter) > now;

  let line: ReactNode;
  if (c.status === 'completed') line = `Finished ${when(c.completedAt)}.`;
  else if (c.status === 'cancelled') line = `Cancelled ${when(c.completedAt)}.`;
  else if (c.status === 'paused') line = 'Paused: nothing goes out until you resume it.';
  else if (status.data?.paused) line = 'Sending is paused for all campaigns (top right).';
  else if (startsLater) line = `Starts ${when(c.sendAfter)}.`;
  else if (status.data?.waitingReason) line = status.data.waitingReason;
  else if (settings.data) line = `Sending ${plural(settings.data.batchSize, 'email')} every ${duration(settings.data.batchIntervalSeconds)}, spread over your accounts.`;

  return (
    <Card size="3">
      <Flex justify="between" align="end" gap="4" wrap="wrap" mb="3">
        <Box>
          <Text as="div" className="tr-big-number">
            {pct.toLocaleString(undefined, { maximumFractionDigits: pct > 0 && pct < 1 ? 1 : 0 })}%
          </Text>
          <Text as="div" size="3">
            <strong>{num(sent)}</strong> of {num(total)} sent{unsent > 0 ? ` · ${num(unsent)} not sent (see below)` : ''}
          </Text>
        </Box>
        <Flex direction="column" align="end" gap="1" className="tr-summary-side">
          {(c.status === 'queued' || c.status === 'sending') && c.eta && !status.data?.paused && (
            <Text size="2">
              Finishes around <strong>{when(c.eta)}</strong>
            </Text>
          )}
          {left > 0 && (c.status === 'queued' || c.status === 'sending') && !status.data?.paused && next !== undefined && (
            <Text size="2" color="gray">
              Next batch {next > now ? countdown(next, now) : 'any moment'}
            </Text>
          )}
          {c.stopAfter && c.status !== 'completed' && c.status !== 'cancelled' && (
            <Text size="2" color="gray">
              Stops at {when(c.stopAfter)}
            </Text>
          )}
        </Flex>
      </Flex>
      <Meter value={settled} max={total} size="lg" color={c.status === 'completed' ? 'teal' : c.status === 'paused' ? 'amber' : 'indigo'} label={`${pct.toFixed(0)}% done: ${num(sent)} of ${num(total)} sent`} />
      <Text as="p" size="2" mt="3" color={c.status === 'paused' || status.data?.waitingReason ? 'amber' : 'gray'}>
        {line}
      </Text>
    </Card>
  );
}

const TILES: { key: keyof Campaign['counts']; label: string }[] = [
  { key: 'queued', label: 'Queued' },
  { key: 'sent', label: 'Sent' },
  { key: 'retry_wait', label: 'Retrying' },
  { key: 'failed', label: 'Failed' },
  { key: 'in_doubt', label: 'In doubt' },
  { key: 'skipped', label: 'Skipped' },
  { key: 'cancelled', label: 'Cancelled' },
  { key: 'expired', label: 'Expired' },
];

function Counts({ campaign: c }: { campaign: Campaign }) {
  return (
    <Grid columns={{ initial: '2', sm: '4' }} gap="3" role="list" aria-label="Messages by state">
      {TILES.map((t) => {
        const value = t.key === 'queued' ? c.counts.queued + c.counts.sending : c.counts[t.key];
        const tone = value > 0 && (t.key === 'failed' || t.key === 'in_doubt') ? 'red' : value > 0 && t.key === 'retry_wait' ? 'amber' : t.key === 'sent' && value > 0 ? 'green' : undefined;
        return (
          <Box key={t.key} role="listitem" className={`tr-tile${tone ? ` tr-tile--${tone}` : ''}${value === 0 ? ' tr-tile--zero' : ''}`} title={MESSAGE_STATUS[t.key]?.hint}>
            <Text as="div" size="6" weight="bold">
              {num(value)}
            </Text>
            <Text as="div" size="2" color="gray">
              {t.label}
              {t.key === 'queued' && c.counts.sending > 0 ? ` (${num(c.counts.sending)} now)` : ''}
            </Text>
          </Box>
        );
      })}
    </Grid>
  );
}

function SectionCard({ title, description, actions, children, tone }: { title: string; description?: ReactNode; actions?: ReactNode; children: ReactNode; tone?: 'red' | 'orange' }) {
  return (
    <Card size="3" className={tone ? `tr-section tr-section--${tone}` : 'tr-section'}>
      <Flex justify="between" align="start" gap="3" mb="3" wrap="wrap">
        <Box minWidth="0" className="tr-section__text">
          <Heading as="h2" size="4">
            {title}
          </Heading>
          {description && (
            <Text as="p" size="2" color="gray" mt="1">
              {description}
            </Text>
          )}
        </Box>
        {actions && <Flex gap="2">{actions}</Flex>}
      </Flex>
      {children}
    </Card>
  );
}

function ServerReply({ message }: { message: Message }) {
  if (!message.lastError) return null;
  return (
    <>
      <Text as="div" size="2">
        {message.lastError.explanation || 'The server refused it.'}
      </Text>
      {message.lastError.response && (
        <Text as="div" size="1" color="gray" className="tr-server-reply">
          {serverLine(message.lastError.code, message.lastError.response)}
        </Text>
      )}
    </>
  );
}

function Failures({ campaign: c }: { campaign: Campaign }) {
  const failed = useApi('campaigns.messages', { id: c.id, status: 'failed', limit: 100 });
  const retry = useActionState();
  const toast = useToast();
  const canRetry = c.status !== 'cancelled';
  const retryIds = async (messageIds?: number[]) => {
    const result = await retry.run('campaigns.retryFailed', { id: c.id, ...(messageIds ? { messageIds } : {}) });
    if (result) {
      toast(
        result.requeued > 0
          ? `${plural(result.requeued, 'message')} queued again.`
          : 'Nothing was queued again: bounced addresses stay failed (they are on the suppression list).',
        result.requeued > 0 ? 'success' : 'info',
      );
    } else if (retry.error) toast(retry.error.message, 'error');
  };
  return (
    <SectionCard
      tone="red"
      title={`${plural(c.counts.failed, 'message')} failed`}
      description="Gmail refused these for good, or every retry was used. Addresses that do not exist are put on the suppression list and are not retried."
      actions={
        canRetry && (
          <Button color="red" variant="soft" loading={retry.busy} onClick={() => void retryIds()}>
            <ReloadIcon /> Retry failed
          </Button>
        )
      }
    >
      <MessagesTable
        query={failed}
        reasonTitle="Why"
        renderReason={(m) => <ServerReply message={m} />}
        action={(m) =>
          canRetry && (
            <Button size="1" variant="soft" color="gray" onClick={() => void retryIds([m.id])} aria-label={`Retry ${m.email}`}>
              Retry
            </Button>
          )
        }
      />
    </SectionCard>
  );
}

function InDoubt({ campaign: c }: { campaign: Campaign }) {
  const list = useApi('campaigns.messages', { id: c.id, status: 'in_doubt', limit: 100 });
  const resend = useActionState();
  const toast = useToast();
  const [confirm, setConfirm] = useState<{ ids?: number[]; label: string } | null>(null);
  const canResend = c.status !== 'cancelled';
  return (
    <SectionCard
      tone="orange"
      title={`${plural(c.counts.in_doubt, 'message')} in doubt`}
      description="The connection broke after these were handed to Gmail, or Trickle stopped mid-send: they may have arrived. Trickle never sends them again by itself. Check a recipient's inbox or your Sent folder if you can, then resend the ones that did not arrive."
      actions={
        canResend && (
          <Button color="orange" variant="soft" onClick={() => setConfirm({ label: `all ${plural(c.counts.in_doubt, 'message')} in doubt` })}>
            <ReloadIcon /> Resend all…
          </Button>
        )
      }
    >
      <MessagesTable
        query={list}
        reasonTitle="What happened"
        renderReason={(m) => (m.lastError ? <ServerReply message={m} /> : <Text size="2">The send was interrupted.</Text>)}
        action={(m) =>
          canResend && (
            <Button size="1" variant="soft" color="gray" onClick={() => setConfirm({ ids: [m.id], label: m.email })} aria-label={`Resend to ${m.email}`}>
              Resend…
            </Button>
          )
        }
      />
      <ConfirmDialog
        open={confirm !== null}
        onClose={() => setConfirm(null)}
        title="Send again?"
        confirmLabel="Resend"
        color="orange"
        onConfirm={async () => {
          if (!confirm) return;
          const result = await resend.run('campaigns.resendInDoubt', { id: c.id, ...(confirm.ids ? { messageIds: confirm.ids } : {}) });
          if (!result) return resend.error?.message ?? 'Not resent.';
          toast(`${plural(result.requeued, 'message')} queued again.`);
        }}
      >
        Resend {confirm?.label}? If the first copy did arrive, the recipient gets it <strong>twice</strong>. The copy keeps the
        same Message-ID, so many mail apps show it only once.
      </ConfirmDialog>
    </SectionCard>
  );
}

function MessageList({ campaign: c, status, title, collapsed }: { campaign: Campaign; status: 'retry_wait' | 'skipped' | 'expired'; title: string; collapsed?: boolean }) {
  const [open, setOpen] = useState(!collapsed);
  const list = useApi('campaigns.messages', { id: c.id, status, limit: 200 }, { enabled: open });
  return (
    <Card size="2">
      <details open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)} className="tr-details">
        <summary>
          <Text size="3" weight="bold">
            {title}
          </Text>{' '}
          <Badge color="gray" radius="full">
            {num(c.counts[status])}
          </Badge>
        </summary>
        {open && (
          <Box mt="3">
            <MessagesTable
              query={list}
              reasonTitle={status === 'retry_wait' ? 'Last refusal' : 'Reason'}
              renderReason={(m) =>
                status === 'retry_wait' ? (
                  <>
                    <ServerReply message={m} />
                    <Text size="1" color="gray">
                      Attempt {m.attempts}; the retry job puts it back in the queue.
                    </Text>
                  </>
                ) : (
                  <Text size="2">{m.skipReason ?? MESSAGE_STATUS[m.status]?.hint}</Text>
                )
              }
            />
          </Box>
        )}
      </details>
    </Card>
  );
}

function MessagesTable({
  query,
  reasonTitle,
  renderReason,
  action,
}: {
  query: UseQueryResult<ApiResult<'campaigns.messages'>, ApiCallError>;
  reasonTitle: string;
  renderReason: (m: Message) => ReactNode;
  action?: (m: Message) => ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (query.error) return <ErrorCallout error={query.error} onRetry={() => void query.refetch()} />;
  const { items, total } = query.data;
  if (items.length === 0) return <Text size="2" color="gray">None any more.</Text>;
  return (
    <>
      <Table.Root size="1" variant="surface" className="tr-table tr-messages">
        <Table.Header>
          <Table.Row>
            <Table.ColumnHeaderCell className="tr-col-row">Row</Table.ColumnHeaderCell>
            <Table.ColumnHeaderCell className="tr-col-email">Recipient</Table.ColumnHeaderCell>
            <Table.ColumnHeaderCell>{reasonTitle}</Table.ColumnHeaderCell>
            {action && <Table.ColumnHeaderCell className="tr-col-action" aria-label="Actions" />}
          </Table.Row>
        </Table.Header>
        <Table.Body>
          {items.map((m) => (
            <Table.Row key={m.id} align="center">
              <Table.Cell>{num(m.row)}</Table.Cell>
              <Table.Cell className="tr-break">
                {m.email}
                {m.name && (
                  <Text as="div" size="1" color="gray">
                    {m.name}
                  </Text>
                )}
              </Table.Cell>
              <Table.Cell>{renderReason(m)}</Table.Cell>
              {action && <Table.Cell justify="end">{action(m)}</Table.Cell>}
            </Table.Row>
          ))}
        </Table.Body>
      </Table.Root>
      {total > items.length && (
        <Text as="p" size="1" color="gray" mt="2">
          Showing the first {num(items.length)} of {num(total)}. Export CSV for the full list.
        </Text>
      )}
    </>
  );
}

// ---------------------------------------------------------------------------------------
// Overview

export function ProgressOverviewPage() {
  const campaigns = useApi('campaigns.list');
  const accounts = useApi('accounts.list');
  const status = useApi('sending.status');
  const now = useNow(1000);
  if (campaigns.isPending || accounts.isPending) return <Loading />;
  if (campaigns.error) return <ErrorCallout error={campaigns.error} onRetry={() => void campaigns.refetch()} />;
  const all = campaigns.data;
  const active = all.filter((c) => c.status === 'queued' || c.status === 'sending' || c.status === 'paused');
  const drafts = all.filter((c) => c.status === 'draft');
  const recent = all.filter((c) => c.status === 'completed' || c.status === 'cancelled').slice(0, 3);
  const s = status.data;
  const next = s?.nextBatchAt ? Date.parse(s.nextBatchAt) : undefined;
  const left = s ? s.queued + s.retryWaiting + s.inFlight : 0;

  if (all.length === 0 || (accounts.data?.length ?? 0) === 0) {
    return <GettingStarted hasAccount={(accounts.data?.length ?? 0) > 0} hasCampaign={all.length > 0} />;
  }

  return (
    <>
      <PageHeader
        title="Progress"
        description={left > 0 ? `${plural(left, 'email')} still to send across ${plural(active.length, 'campaign')}.` : 'Nothing is waiting to be sent.'}
        actions={
          <Button variant="soft" asChild>
            <a href={href({ page: 'campaign-new' })}>
              <PlusIcon /> New campaign
            </a>
          </Button>
        }
      />
      <Flex direction="column" gap="4">
        {s && (
          <Grid columns={{ initial: '2', sm: '4' }} gap="3">
            <BigStat label="Sent in the last 24 h" value={num(s.sentLast24h)} />
            <BigStat label="Capacity left" value={num(s.capacityLeft)} hint="across enabled accounts" />
            <BigStat label="Still to send" value={num(left)} />
            <BigStat
              label={s.paused ? 'Sending' : left > 0 && s.eta ? 'All done by' : 'Next batch'}
              value={s.paused ? 'Paused' : left > 0 && s.eta ? when(s.eta) : !s.paused && next !== undefined && left > 0 ? (next > now ? countdown(next, now) : 'any moment') : '—'}
              hint={left > 0 && !s.paused && next !== undefined && s.eta ? `next batch ${next > now ? countdown(next, now) : 'any moment'}` : undefined}
            />
          </Grid>
        )}

        {active.length === 0 ? (
          <Card size="3">
            <EmptyState
              icon={<EnvelopeClosedIcon width="28" height="28" />}
              title="Nothing is sending right now"
              action={
                drafts[0] ? (
                  <Button asChild>
                    <a href={href({ page: 'campaign-edit', id: drafts[0].id })}>Open the draft “{drafts[0].name}”</a>
                  </Button>
                ) : (
                  <Button asChild>
                    <a href={href({ page: 'campaign-new' })}>
                      <PlusIcon /> New campaign
                    </a>
                  </Button>
                )
              }
            >
              {drafts.length > 0
                ? `You have ${plural(drafts.length, 'draft')}. Open one, check the preview and press Queue to start sending.`
                : 'Create a campaign and queue it: its progress shows up here while Trickle sends it.'}
            </EmptyState>
          </Card>
        ) : (
          <Flex direction="column" gap="3">
            {active.map((c) => (
              <ActiveCampaign key={c.id} campaign={c} globallyPaused={s?.paused ?? false} />
            ))}
          </Flex>
        )}

        <Grid columns={{ initial: '1', md: '2' }} gap="4" align="start">
          <SendsPerHour />
          <RecentBatches limit={6} />
        </Grid>

        {recent.length > 0 && (
          <Card size="2">
            <Heading as="h2" size="3" mb="2">
              Recently finished
            </Heading>
            <ul className="tr-plain-list">
              {recent.map((c) => (
                <li key={c.id}>
                  <Link href={href({ page: 'campaign', id: c.id })}>{c.name}</Link>
                  <Text size="2" color="gray">
                    {' '}
                    · {c.status === 'completed' ? 'finished' : 'cancelled'} {when(c.completedAt)} · {num(c.counts.sent)} sent
                    {c.counts.failed ? `, ${num(c.counts.failed)} failed` : ''}
                  </Text>
                </li>
              ))}
            </ul>
          </Card>
        )}
      </Flex>
    </>
  );
}

function BigStat({ label, value, hint }: { label: string; value: string; hint?: string | undefined }) {
  return (
    <Box className="tr-tile">
      <Text as="div" size={{ initial: '5', lg: '6' }} weight="bold" className="tr-ellipsis" title={value}>
        {value}
      </Text>
      <Text as="div" size="2" color="gray">
        {label}
      </Text>
      {hint && (
        <Text as="div" size="1" color="gray">
          {hint}
        </Text>
      )}
    </Box>
  );
}

function ActiveCampaign({ campaign: c, globallyPaused }: { campaign: Campaign; globallyPaused: boolean }) {
  const total = reachable(c);
  const problems = c.counts.failed + c.counts.in_doubt;
  return (
    <Card size="3" asChild>
      <a href={href({ page: 'campaign', id: c.id })} className="tr-card-link">
        <Flex justify="between" align="center" gap="3" mb="2" wrap="wrap">
          <Flex align="center" gap="2" minWidth="0">
            <Heading as="h2" size="4" className="tr-break">
              {c.name}
            </Heading>
            <CampaignBadge status={c.status} />
          </Flex>
          <Text size="2" color="gray">
            {c.status === 'paused' ? 'Paused' : globallyPaused ? 'Waiting: sending is paused' : c.eta ? `Finishes around ${when(c.eta)}` : ''}
          </Text>
        </Flex>
        <Meter value={c.counts.sent} max={total} color={c.status === 'paused' ? 'amber' : 'indigo'} label={`${c.name}: ${num(c.counts.sent)} of ${num(total)} sent`} />
        <Flex gap="4" mt="2" wrap="wrap">
          <Text size="2">
            <strong>{num(c.counts.sent)}</strong> of {num(total)} sent ({percent(c.counts.sent, total).toFixed(0)}%)
          </Text>
          <Text size="2" color="gray">
            {num(c.counts.queued + c.counts.sending)} queued
          </Text>
          {c.counts.retry_wait > 0 && (
            <Text size="2" color="amber">
              {num(c.counts.retry_wait)} retrying
            </Text>
          )}
          {problems > 0 && (
            <Text size="2" color="red">
              {c.counts.failed ? `${num(c.counts.failed)} failed` : ''}
              {c.counts.failed && c.counts.in_doubt ? ', ' : ''}
              {c.counts.in_doubt ? `${num(c.counts.in_doubt)} in doubt` : ''}
            </Text>
          )}
        </Flex>
      </a>
    </Card>
  );
}

function GettingStarted({ hasAccount, hasCampaign }: { hasAccount: boolean; hasCampaign: boolean }) {
  const steps: { done: boolean; title: string; text: string; action: ReactNode; icon: ReactNode }[] = [
    {
      done: hasAccount,
      title: 'Add the Gmail account you send from',
      text: 'With an app password from Google. Add a few accounts to send more each day.',
      action: (
        <Button asChild variant={hasAccount ? 'soft' : 'solid'}>
          <a href={href({ page: 'accounts' })}>
            <PersonIcon /> {hasAccount ? 'See accounts' : 'Add an account'}
          </a>
        </Button>
      ),
      icon: <PersonIcon />,
    },
    {
      done: hasCampaign,
      title: 'Create a campaign',
      text: 'Write the message once with merge fields like {{name}}, and import your list from a CSV file.',
      action: (
        <Button asChild variant={hasAccount && !hasCampaign ? 'solid' : 'soft'}>
          <a href={href({ page: 'campaign-new' })}>
            <PlusIcon /> New campaign
          </a>
        </Button>
      ),
      icon: <EnvelopeClosedIcon />,
    },
    {
      done: false,
      title: 'Preview, test, and press Queue',
      text: 'Trickle sends 10 emails every 30 seconds, never past an account’s daily cap, and shows where every message is.',
      action: null,
      icon: <PlayIcon />,
    },
  ];
  return (
    <>
      <PageHeader title="Welcome to Trickle" description="Send one message to hundreds or thousands of people through your own Gmail, gently." />
      <Card size="4">
        <ol className="tr-steps">
          {steps.map((step, i) => (
            <li key={step.title} className={step.done ? 'tr-steps__done' : undefined}>
              <span className="tr-steps__num" aria-hidden="true">
                {step.done ? <CheckCircledIcon width="18" height="18" /> : i + 1}
              </span>
              <Box flexGrow="1" minWidth="0">
                <Heading as="h2" size="4">
                  {step.title}
                  {step.done && (
                    <Badge color="green" ml="2" radius="full">
                      Done
                    </Badge>
                  )}
                </Heading>
                <Text as="p" size="2" color="gray">
                  {step.text}
                </Text>
              </Box>
              {step.action}
            </li>
          ))}
        </ol>
      </Card>
    </>
  );
}
