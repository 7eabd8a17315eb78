/** Sends per hour as plain SVG bars, and the last batches — shared by the progress pages. */
import { Box, Card, Flex, Heading, Text } from '@radix-ui/themes';
import { useApi } from '../api/hooks';
import { clock, clockSeconds, num } from '../lib/format';
import { Loading } from './ui';

export function SendsPerHour({ hours = 24 }: { hours?: number }) {
  const history = useApi('sending.history', { hours });
  const data = history.data ?? [];
  const max = Math.max(1, ...data.map((d) => d.sent));
  const total = data.reduce((n, d) => n + d.sent, 0);
  const W = 480;
  const H = 150;
  const top = 14;
  const bottom = 20;
  const gap = 2;
  const barW = data.length ? W / data.length - gap : 0;
  // A round top value for the scale.
  const step = 10 ** Math.floor(Math.log10(max));
  const scaleMax = Math.ceil(max / step) * step;

  return (
    <Card size="2" className="tr-chart-card">
      <Flex justify="between" align="baseline" mb="2" gap="2">
        <Heading as="h2" size="3">
          Sends per hour
        </Heading>
        <Text size="1" color="gray">
          {num(total)} in the last {hours} h · all campaigns
        </Text>
      </Flex>
      {history.isPending ? (
        <Loading />
      ) : (
        <svg
          className="tr-chart"
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-label={`Sends per hour over the last ${hours} hours: ${num(total)} in all, at most ${num(max)} in one hour.`}
        >
          <line x1="0" x2={W} y1={H - bottom} y2={H - bottom} className="tr-chart__axis" />
          <line x1="0" x2={W} y1={top} y2={top} className="tr-chart__grid" />
          <text x="2" y={top - 4} className="tr-chart__label">
            {num(scaleMax)}
          </text>
          {data.map((d, i) => {
            const h = ((H - top - bottom) * d.sent) / scaleMax;
            const x = i * (barW + gap) + gap / 2;
            const hour = new Date(d.hour);
            const showLabel = hour.getHours() % 6 === 0;
            return (
              <g key={d.hour}>
                <rect
                  x={x}
                  y={H - bottom - h}
                  width={barW}
                  height={Math.max(h, d.sent > 0 ? 1.5 : 0)}
                  rx="1.5"
                  className={i === data.length - 1 ? 'tr-chart__bar tr-chart__bar--now' : 'tr-chart__bar'}
                >
                  <title>{`${clock(hour)}: ${num(d.sent)} sent`}</title>
                </rect>
                {showLabel && (
                  <text x={x + barW / 2} y={H - 5} textAnchor="middle" className="tr-chart__label">
                    {clock(hour)}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      )}
    </Card>
  );
}

export function RecentBatches({ limit = 8 }: { limit?: number }) {
  const batches = useApi('batches.list', { limit });
  const list = batches.data ?? [];
  return (
    <Card size="2">
      <Flex justify="between" align="baseline" mb="2">
        <Heading as="h2" size="3">
          Recent batches
        </Heading>
        <Text size="1" color="gray">
          all campaigns
        </Text>
      </Flex>
      {batches.isPending ? (
        <Loading />
      ) : list.length === 0 ? (
        <Text as="p" size="2" color="gray">
          No batch has run yet. Once a campaign is queued, Trickle sends one batch at a time and each shows up here.
        </Text>
      ) : (
        <ol className="tr-batches">
          {list.map((b) => (
            <li key={b.id}>
              <Text size="1" color="gray" className="tr-batches__time">
                {clockSeconds(b.startedAt)}
              </Text>
              <Box minWidth="0">
                <Text size="2" color={b.failed + b.inDoubt > 0 ? 'red' : undefined}>
                  {b.summary}
                </Text>
                {b.requeued + b.skipped > 0 && (
                  <Text size="1" color="gray">
                    {b.requeued ? ` · ${num(b.requeued)} put back (account busy)` : ''}
                    {b.skipped ? ` · ${num(b.skipped)} skipped` : ''}
                  </Text>
                )}
              </Box>
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
