/** The messages Gmail took and a failure notice later brought back, with what the receiving server said. */
import { ExclamationTriangleIcon } from '@radix-ui/react-icons';
import { Callout, Text } from '@radix-ui/themes';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { useApi } from '../../api/hooks';
import { SectionCard } from '../../components/SectionCard';
import { num, plural, serverLine } from '../../lib/format';
import { MessagesTable } from './MessagesTable';

/** Bounces above this share of what went out get a personal Gmail account blocked (PRODUCT.md §5b). */
const ALERT_SHARE = 0.05;

export function Bounced({ campaign: c }: { campaign: Campaign }) {
  const list = useApi('campaigns.messages', { id: c.id, status: 'bounced', limit: 100 });
  const out = c.counts.sent + c.counts.bounced + c.counts.in_doubt;
  const share = out > 0 ? c.counts.bounced / out : 0;
  return (
    <SectionCard
      tone="red"
      gap="3"
      title={`${plural(c.counts.bounced, 'message')} bounced`}
      description="Gmail took these, then a failure notice came back to the sending account: the addresses do not take mail. Trickle put them on the suppression list, so no campaign writes to them again."
    >
      {share > ALERT_SHARE && (
        <Callout.Root color="red" role="alert">
          <Callout.Icon>
            <ExclamationTriangleIcon />
          </Callout.Icon>
          <Callout.Text>
            {num(Math.round(share * 1000) / 10)} % of what this campaign sent came back. Gmail blocks accounts that send to many dead
            addresses: check where the list came from before sending more.
          </Callout.Text>
        </Callout.Root>
      )}
      <MessagesTable
        query={list}
        reasonTitle="What came back"
        renderReason={(m) =>
          m.bounce ? (
            <>
              <Text as="div" size="2">
                {m.bounce.explanation}
              </Text>
              <Text as="div" size="1" color="gray" className="tr-server-reply">
                {serverLine(m.bounce.status, m.bounce.diagnostic)}
              </Text>
            </>
          ) : (
            <Text size="2">A failure notice came back.</Text>
          )
        }
      />
    </SectionCard>
  );
}
