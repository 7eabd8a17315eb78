/** One campaign that is sending or paused, as a card on the overview: its progress from the one status snapshot. */
import { Badge, Card, Flex, Heading, Text } from '@radix-ui/themes';
import type { CampaignProgress } from '../../../src-shared/views/sending';
import { CampaignBadge, Meter } from '../../components/ui';
import { num, when } from '../../lib/format';
import { campaignHref } from '../../router/campaign-page';

export function ActiveCampaign({ progress: p }: { progress: CampaignProgress }) {
  const problems = p.counts.failed + p.counts.in_doubt;
  const sent = p.rehearsal ? p.counts.rehearsed : p.counts.sent;
  const verb = p.rehearsal ? 'rehearsed' : 'sent';
  const side =
    p.status === 'paused'
      ? 'Paused'
      : p.waiting
        ? `Waiting${p.waiting.until ? ` until ${when(p.waiting.until)}` : ''}`
        : p.eta
          ? `Finishes around ${when(p.eta)}`
          : '';
  return (
    <Card size="3" asChild>
      <a href={campaignHref(p)} className="tr-card-link" data-campaign={p.id} data-sent={sent} data-left={p.left} data-percent={p.percent}>
        <Flex justify="between" align="center" gap="3" mb="2" wrap="wrap">
          <Flex align="center" gap="2" minWidth="0">
            <Heading as="h2" size="4" className="tr-break">
              {p.name}
            </Heading>
            <CampaignBadge status={p.status} waiting={p.waiting !== undefined} />
            {p.rehearsal && (
              <Badge color="purple" variant="soft" radius="full">
                Rehearsal
              </Badge>
            )}
          </Flex>
          <Text size="2" color={p.waiting ? 'amber' : 'gray'} title={p.waiting?.reason}>
            {side}
          </Text>
        </Flex>
        <Meter
          value={p.done}
          max={p.of}
          color={p.status === 'paused' ? 'amber' : 'indigo'}
          label={`${p.name}: ${num(sent)} of ${num(p.of)} ${verb}`}
        />
        <Flex gap="4" mt="2" wrap="wrap">
          <Text size="2">
            <strong>{num(sent)}</strong> of {num(p.of)} {verb} ({p.percent}%)
          </Text>
          <Text size="2" color="gray">
            {num(p.counts.queued + p.counts.sending)} queued
          </Text>
          {p.counts.retry_wait > 0 && (
            <Text size="2" color="amber">
              {num(p.counts.retry_wait)} retrying
            </Text>
          )}
          {problems > 0 && (
            <Text size="2" color="red">
              {p.counts.failed ? `${num(p.counts.failed)} failed` : ''}
              {p.counts.failed && p.counts.in_doubt ? ', ' : ''}
              {p.counts.in_doubt ? `${num(p.counts.in_doubt)} in doubt` : ''}
            </Text>
          )}
        </Flex>
      </a>
    </Card>
  );
}
