/** The campaign's messages counted by state, one tile each, from the one status snapshot. */
import { Box, Grid, Text } from '@radix-ui/themes';
import type { MessageCounts } from '../../../src-shared/views/campaigns';
import type { CampaignProgress } from '../../../src-shared/views/sending';
import { MESSAGE_STATUS } from '../../components/ui';
import { num } from '../../lib/format';

const TILES: { key: keyof MessageCounts; label: string }[] = [
  { key: 'queued', label: 'Queued' },
  { key: 'sent', label: 'Sent' },
  { key: 'retry_wait', label: 'Retrying' },
  { key: 'failed', label: 'Failed' },
  { key: 'in_doubt', label: 'In doubt' },
  { key: 'bounced', label: 'Bounced' },
  { key: 'skipped', label: 'Skipped' },
  { key: 'cancelled', label: 'Cancelled' },
  { key: 'expired', label: 'Expired' },
];

export function Counts({ progress: p }: { progress: CampaignProgress }) {
  // A rehearsal's messages end "rehearsed": that tile takes the place of "Sent", never beside it.
  const tiles = p.rehearsal ? TILES.map((t) => (t.key === 'sent' ? { key: 'rehearsed' as const, label: 'Rehearsed' } : t)) : TILES;
  return (
    <Grid columns={{ initial: '2', sm: '3', md: '5' }} gap="3" role="list" aria-label="Messages by state">
      {tiles.map((t) => {
        const value = t.key === 'queued' ? p.counts.queued + p.counts.sending : p.counts[t.key];
        const tone =
          value > 0 && (t.key === 'failed' || t.key === 'in_doubt' || t.key === 'bounced')
            ? 'red'
            : value > 0 && t.key === 'retry_wait'
              ? 'amber'
              : (t.key === 'sent' || t.key === 'rehearsed') && value > 0
                ? 'green'
                : undefined;
        return (
          <Box
            key={t.key}
            role="listitem"
            data-count={t.key}
            className={`tr-tile${tone ? ` tr-tile--${tone}` : ''}${value === 0 ? ' tr-tile--zero' : ''}`}
            title={MESSAGE_STATUS[t.key]?.hint}
          >
            <Text as="div" size="6" weight="bold">
              {num(value)}
            </Text>
            <Text as="div" size="2" color="gray">
              {t.label}
              {t.key === 'queued' && p.counts.sending > 0 ? ` (${num(p.counts.sending)} now)` : ''}
            </Text>
          </Box>
        );
      })}
    </Grid>
  );
}
