/** The campaign's headline: percent settled, sent of reachable, when it finishes, and what it is waiting for. */
import { Box, Card, Flex, Text } from '@radix-ui/themes';
import type { ReactNode } from 'react';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { useApi } from '../../api/hooks';
import { Meter } from '../../components/ui';
import { reachable } from '../../lib/campaigns';
import { countdown, duration, num, percent, plural, when } from '../../lib/format';
import { useNow } from '../../lib/route';

export function ProgressSummary({ campaign: c }: { campaign: Campaign }) {
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
