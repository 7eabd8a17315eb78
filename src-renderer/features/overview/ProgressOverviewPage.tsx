/**
 * The overview (#/progress): everything that is sending, what is left, and a welcome until there
 * is something to send. Its numbers are the one status snapshot's, as the top bar's are.
 */
import { EnvelopeClosedIcon, PlusIcon } from '@radix-ui/react-icons';
import { Box, Button, Card, Flex, Grid, Heading, Link, Text } from '@radix-ui/themes';
import { useApi } from '../../api/hooks';
import { useSendingStatus } from '../../api/status';
import { RecentBatches, SendsPerHour } from '../../components/LazyCharts';
import { EmptyState, ErrorCallout, Loading, PageHeader } from '../../components/ui';
import { countdown, num, plural, when } from '../../lib/format';
import { href, useNow } from '../../lib/route';
import { campaignHref } from '../../router/campaign-page';
import { ActiveCampaign } from './ActiveCampaign';
import { GettingStarted } from './GettingStarted';

export function ProgressOverviewPage() {
  const campaigns = useApi('campaigns.list');
  const accounts = useApi('accounts.list');
  const { status: s, error, disconnected } = useSendingStatus();
  const now = useNow(1000);
  if (campaigns.isPending || accounts.isPending || (!s && !error)) return <Loading />;
  if (campaigns.error) return <ErrorCallout error={campaigns.error} onRetry={() => void campaigns.refetch()} />;
  const all = campaigns.data;
  const progress = s?.campaigns ?? [];
  const active = progress.filter((c) => c.status === 'queued' || c.status === 'sending' || c.status === 'paused');
  const drafts = all.filter((c) => c.status === 'draft');
  const recent = all.filter((c) => c.status === 'completed' || c.status === 'cancelled').slice(0, 3);
  const next = s && s.state === 'sending' && s.nextBatchAt ? Date.parse(s.nextBatchAt) : undefined;
  const left = s ? s.queued + s.retryWaiting + s.inFlight : 0;
  const sentOf = (id: number) => progress.find((p) => p.id === id)?.counts;

  if (all.length === 0 || (accounts.data?.length ?? 0) === 0) {
    return <GettingStarted hasAccount={(accounts.data?.length ?? 0) > 0} hasCampaign={all.length > 0} />;
  }

  return (
    <>
      <PageHeader
        title="Progress"
        description={
          left > 0
            ? `${plural(left, 'email')} still to send across ${plural(active.length, 'campaign')}.`
            : 'Nothing is waiting to be sent.'
        }
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
          <Grid columns={{ initial: '2', sm: '4' }} gap="3" className={disconnected ? 'tr-stale' : undefined} data-at={s.at}>
            <BigStat label="Sent in the last 24 h" value={num(s.sentLast24h)} name="sent24h" />
            <BigStat label="Capacity left" value={num(s.capacityLeft)} hint="across enabled accounts" name="capacity" />
            <BigStat label="Still to send" value={num(left)} name="left" />
            <BigStat
              name="when"
              label={
                disconnected
                  ? 'Connection'
                  : s.state === 'paused'
                    ? 'Sending'
                    : s.state === 'waiting'
                      ? 'Waiting'
                      : left > 0 && s.eta
                        ? 'All done by'
                        : 'Next batch'
              }
              value={
                disconnected
                  ? 'Lost'
                  : s.state === 'paused'
                    ? 'Paused'
                    : s.state === 'waiting'
                      ? s.waiting?.until
                        ? `until ${when(s.waiting.until)}`
                        : 'for now'
                      : left > 0 && s.eta
                        ? when(s.eta)
                        : next !== undefined && left > 0
                          ? next > now
                            ? countdown(next, now)
                            : 'any moment'
                          : '—'
              }
              hint={
                disconnected
                  ? 'reconnecting…'
                  : s.state === 'waiting'
                    ? s.waiting?.reason
                    : left > 0 && next !== undefined && s.eta
                      ? `next batch ${next > now ? countdown(next, now) : 'any moment'}`
                      : undefined
              }
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
                    <a href={campaignHref(drafts[0])}>Open the draft “{drafts[0].name}”</a>
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
              <ActiveCampaign key={c.id} progress={c} />
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
                  <Link href={campaignHref(c)}>{c.name}</Link>
                  <Text size="2" color="gray">
                    {' '}
                    · {c.status === 'completed' ? (c.rehearsal ? 'rehearsed' : 'finished') : 'cancelled'} {when(c.completedAt)} ·{' '}
                    {c.rehearsal
                      ? `${num((sentOf(c.id) ?? c.counts).rehearsed)} rehearsed, nothing sent`
                      : `${num((sentOf(c.id) ?? c.counts).sent)} sent`}
                    {(sentOf(c.id) ?? c.counts).failed ? `, ${num((sentOf(c.id) ?? c.counts).failed)} failed` : ''}
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

function BigStat({ label, value, hint, name }: { label: string; value: string; hint?: string | undefined; name: string }) {
  return (
    <Box className="tr-tile" data-stat={name}>
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
