/** A folded list of the messages in one state (retrying, skipped, expired), loaded when opened. */
import { Badge, Box, Card, Text } from '@radix-ui/themes';
import { useState } from 'react';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { useApi } from '../../api/hooks';
import { MESSAGE_STATUS } from '../../components/ui';
import { num } from '../../lib/format';
import { MessagesTable, ServerReply } from './MessagesTable';

export function MessageList({
  campaign: c,
  status,
  title,
  collapsed,
}: {
  campaign: Campaign;
  status: 'retry_wait' | 'skipped' | 'expired';
  title: string;
  collapsed?: boolean;
}) {
  const [open, setOpen] = useState(!collapsed);
  const list = useApi('campaigns.messages', { id: c.id, status, limit: 200 }, { enabled: open });
  return (
    <Card size="2">
      <details open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)} className="tr-details">
        <summary>
          <Text size="3" weight="bold">
            {title}
          </Text>{' '}
          <Badge color="gray" radius="full">
            {num(c.counts[status])}
          </Badge>
        </summary>
        {open && (
          <Box mt="3">
            <MessagesTable
              query={list}
              reasonTitle={status === 'retry_wait' ? 'Last refusal' : 'Reason'}
              renderReason={(m) =>
                status === 'retry_wait' ? (
                  <>
                    <ServerReply message={m} />
                    <Text size="1" color="gray">
                      Attempt {m.attempts}; the retry job puts it back in the queue.
                    </Text>
                  </>
                ) : (
                  <Text size="2">{m.skipReason ?? MESSAGE_STATUS[m.status]?.hint}</Text>
                )
              }
            />
          </Box>
        )}
      </details>
    </Card>
  );
}
