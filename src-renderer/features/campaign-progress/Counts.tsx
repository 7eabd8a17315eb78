/** The campaign's messages counted by state, one tile each. */
import { Box, Grid, Text } from '@radix-ui/themes';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { MESSAGE_STATUS } from '../../components/ui';
import { num } from '../../lib/format';

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

export function Counts({ campaign: c }: { campaign: Campaign }) {
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
