/** One campaign that is sending or paused, as a card on the overview: how far it is, what went wrong. */
import { Card, Flex, Heading, Text } from '@radix-ui/themes';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { CampaignBadge, Meter } from '../../components/ui';
import { reachable } from '../../lib/campaigns';
import { num, percent, when } from '../../lib/format';
import { campaignHref } from '../../router/campaign-page';

export function ActiveCampaign({ campaign: c, globallyPaused }: { campaign: Campaign; globallyPaused: boolean }) {
  const total = reachable(c);
  const problems = c.counts.failed + c.counts.in_doubt;
  return (
    <Card size="3" asChild>
      <a href={campaignHref(c)} className="tr-card-link">
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
