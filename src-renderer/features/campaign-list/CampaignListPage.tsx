/** Campaigns: every campaign with its status and progress; "New campaign". */
import { EnvelopeClosedIcon, PlusIcon } from '@radix-ui/react-icons';
import { Badge, Button, Card, Flex, Link, Text } from '@radix-ui/themes';
import { useState } from 'react';
import { CampaignReuseActions } from './CampaignReuse';
import { Table } from '../../components/Table';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { useApi } from '../../api/hooks';
import { useCampaignProgress } from '../../api/status';
import { CampaignBadge, EmptyState, ErrorCallout, Loading, Meter, PageHeader } from '../../components/ui';
import { day, num, plural, when } from '../../lib/format';
import { href } from '../../lib/route';
import { reachable } from '../../lib/campaigns';
import { campaignHref } from '../../router/campaign-page';

export function CampaignsPage() {
  const [showArchived, setShowArchived] = useState(false);
  const campaigns = useApi('campaigns.list', showArchived ? { includeArchived: true } : {}, { placeholderData: (prev) => prev });
  const list = campaigns.data ?? [];
  return (
    <>
      <PageHeader
        title="Campaigns"
        description="A campaign is one message sent to a list of people, a few at a time."
        actions={
          <Flex gap="3" align="center">
            <Text as="label" size="2" className="tr-check">
              <input type="checkbox" checked={showArchived} onChange={(ev) => setShowArchived(ev.target.checked)} /> Show archived
            </Text>
            {(list.length > 0 || showArchived) && (
              <Button asChild>
                <a href={href({ page: 'campaign-new' })}>
                  <PlusIcon /> New campaign
                </a>
              </Button>
            )}
          </Flex>
        }
      />
      {campaigns.isPending ? (
        <Loading />
      ) : campaigns.error ? (
        <ErrorCallout error={campaigns.error} onRetry={() => void campaigns.refetch()} />
      ) : list.length === 0 && showArchived ? (
        <Card size="3">
          <Text color="gray">No campaigns, archived or not.</Text>
        </Card>
      ) : list.length === 0 ? (
        <Card size="3">
          <EmptyState
            icon={<EnvelopeClosedIcon width="28" height="28" />}
            title="No campaigns yet"
            action={
              <Button size="3" asChild>
                <a href={href({ page: 'campaign-new' })}>
                  <PlusIcon /> New campaign
                </a>
              </Button>
            }
          >
            Write your message once, import your recipients from a CSV file (a spreadsheet saved as CSV), check a preview, then press Queue.
            Trickle sends it in small batches through your accounts.
          </EmptyState>
        </Card>
      ) : (
        <Card size="1" className="tr-table-card">
          <Table.Root variant="ghost" size="2" className="tr-table tr-campaigns">
            <Table.Header>
              <Table.Row>
                <Table.ColumnHeaderCell className="tr-col-name">Campaign</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell className="tr-col-status">Status</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell className="tr-col-progress">Progress</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell className="tr-col-eta">Finishes</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell className="tr-col-date">Created</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell className="tr-col-actions">
                  <span className="tr-visually-hidden">Actions</span>
                </Table.ColumnHeaderCell>
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {list.map((c) => (
                <CampaignRow key={c.id} campaign={c} />
              ))}
            </Table.Body>
          </Table.Root>
        </Card>
      )}
    </>
  );
}

function CampaignRow({ campaign: c }: { campaign: Campaign }) {
  // The numbers are the status snapshot's (as on the Progress and campaign pages); the list gives the rest.
  const p = useCampaignProgress(c.id);
  const counts = p?.counts ?? c.counts;
  const total = p?.of ?? reachable(c);
  const status = p?.status ?? c.status;
  const sent = c.rehearsal ? counts.rehearsed : counts.sent;
  const verb = c.rehearsal ? 'rehearsed' : 'sent';
  const problems = counts.failed + counts.in_doubt;
  return (
    <Table.Row align="center">
      <Table.RowHeaderCell>
        <Link href={campaignHref(c)} weight="medium" className="tr-break">
          {c.name}
        </Link>
        <Text as="p" size="1" color="gray" className="tr-ellipsis" title={c.subject}>
          {c.subject}
        </Text>
      </Table.RowHeaderCell>
      <Table.Cell>
        <Flex gap="1" wrap="wrap">
          <CampaignBadge status={status} waiting={p?.waiting !== undefined} />
          {c.rehearsal && (
            <Badge color="purple" variant="soft" radius="full">
              Rehearsal
            </Badge>
          )}
        </Flex>
      </Table.Cell>
      <Table.Cell>
        {status === 'draft' ? (
          <Text size="2" color="gray">
            {plural(total, 'recipient')}, not queued
          </Text>
        ) : (
          <>
            <Meter
              value={p?.done ?? sent}
              max={total}
              color={status === 'completed' ? 'teal' : status === 'paused' ? 'amber' : 'indigo'}
              label={`${c.name}: ${num(sent)} of ${num(total)} ${verb}`}
              size="sm"
            />
            <Flex gap="2" mt="1" wrap="wrap">
              <Text size="1">
                <strong>{num(sent)}</strong> of {num(total)} {verb}
              </Text>
              {problems > 0 && (
                <Text size="1" color="red">
                  {counts.failed > 0 ? `${num(counts.failed)} failed` : ''}
                  {counts.failed > 0 && counts.in_doubt > 0 ? ', ' : ''}
                  {counts.in_doubt > 0 ? `${num(counts.in_doubt)} in doubt` : ''}
                </Text>
              )}
              {counts.skipped > 0 && (
                <Text size="1" color="gray">
                  {num(counts.skipped)} skipped
                </Text>
              )}
            </Flex>
          </>
        )}
      </Table.Cell>
      <Table.Cell>
        <Text size="2">
          {status === 'completed'
            ? `Done ${when(c.completedAt)}`
            : status === 'cancelled'
              ? '—'
              : (p?.eta ?? c.eta)
                ? when(p?.eta ?? c.eta)
                : status === 'paused'
                  ? 'Paused'
                  : '—'}
        </Text>
      </Table.Cell>
      <Table.Cell>
        <Text size="2" color="gray">
          {day(c.createdAt)}
        </Text>
        {c.archivedAt && (
          <Text as="p" size="1" color="gray">
            Archived
          </Text>
        )}
      </Table.Cell>
      <Table.Cell>
        <CampaignReuseActions campaign={c} compact />
      </Table.Cell>
    </Table.Row>
  );
}
