/**
 * The campaign's headline, from the one status snapshot (the top bar's numbers are the same):
 * how far it got, sent of the recipients, when it finishes, and what it is waiting for. The bar
 * counts what reached an outcome (sent, or failed, in doubt…); a cancelled or expired message is
 * not progress, so a campaign cancelled before anything went out stays at 0 %.
 */
import { Box, Card, Flex, Text } from '@radix-ui/themes';
import type { ReactNode } from 'react';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { useApi } from '../../api/hooks';
import { useSendingStatus } from '../../api/status';
import { Loading, Meter } from '../../components/ui';
import { countdown, duration, num, plural, when } from '../../lib/format';
import { useNow } from '../../lib/route';

export function ProgressSummary({ campaign: c }: { campaign: Campaign }) {
  const { status, disconnected } = useSendingStatus();
  const settings = useApi('settings.get');
  const now = useNow(1000);
  const p = status?.campaigns.find((x) => x.id === c.id);
  if (!status || !p) {
    return (
      <Card size="3">
        <Loading />
      </Card>
    );
  }
  const verb = p.rehearsal ? 'rehearsed' : 'sent';
  const sent = p.rehearsal ? p.counts.rehearsed : p.counts.sent;
  const otherOutcomes = p.done - sent;
  const unsent = p.counts.cancelled + p.counts.expired;
  const active = p.status === 'queued' || p.status === 'sending';
  const next =
    status.state === 'sending' && active && p.left > 0 && !p.waiting && status.nextBatchAt ? Date.parse(status.nextBatchAt) : undefined;

  let line: ReactNode;
  if (disconnected) line = 'Lost the connection to Trickle: these numbers may be out of date.';
  else if (p.status === 'completed')
    line = p.rehearsal ? `Rehearsed ${when(c.completedAt)}. Nothing was sent.` : `Finished ${when(c.completedAt)}.`;
  else if (p.status === 'cancelled')
    line = `Cancelled ${when(c.completedAt)}${unsent ? `: ${plural(unsent, 'message')} never went out` : ''}.`;
  else if (p.status === 'paused') line = 'Paused: nothing goes out until you resume it.';
  else if (p.waiting) line = p.waiting.reason + (p.waiting.until ? ` Sending resumes ${when(p.waiting.until)}.` : '');
  else if (settings.data)
    line = `Sending ${plural(settings.data.batchSize, 'email')} every ${duration(settings.data.batchIntervalSeconds)}${p.rehearsal ? ' (to the rehearsal log)' : ', spread over your accounts'}.`;

  return (
    <Card size="3" className="tr-summary" data-campaign={p.id} data-sent={sent} data-left={p.left} data-percent={p.percent}>
      <Flex justify="between" align="end" gap="4" wrap="wrap" mb="3">
        <Box>
          <Text as="div" className="tr-big-number">
            {p.percent}%
          </Text>
          <Text as="div" size="3">
            <strong>{num(sent)}</strong> of {num(p.of)} {verb}
            {otherOutcomes > 0 ? ` · ${num(otherOutcomes)} not sent (see below)` : ''}
            {unsent > 0 ? ` · ${num(unsent)} ${p.counts.cancelled ? 'cancelled' : 'expired'}` : ''}
          </Text>
        </Box>
        <Flex direction="column" align="end" gap="1" className="tr-summary-side">
          {active && p.eta && !status.paused && (
            <Text size="2" data-eta={p.eta}>
              Finishes around <strong>{when(p.eta)}</strong>
            </Text>
          )}
          {next !== undefined && !disconnected && (
            <Text size="2" color="gray">
              Next batch {next > now ? countdown(next, now) : 'any moment'}
            </Text>
          )}
          {c.stopAfter && p.status !== 'completed' && p.status !== 'cancelled' && (
            <Text size="2" color="gray">
              Stops at {when(c.stopAfter)}
            </Text>
          )}
        </Flex>
      </Flex>
      <Meter
        value={p.done}
        max={p.of}
        size="lg"
        color={p.status === 'completed' ? 'teal' : p.status === 'paused' ? 'amber' : 'indigo'}
        label={`${p.percent}% done: ${num(sent)} of ${num(p.of)} ${verb}`}
      />
      <Text as="p" size="2" mt="3" color={disconnected ? 'red' : p.status === 'paused' || p.waiting ? 'amber' : 'gray'}>
        {line}
      </Text>
    </Card>
  );
}
