/**
 * What came back in the sending accounts' mailboxes (PRODUCT.md §5b): replies, unsubscribe
 * requests and auto-replies, counted, each a filter of the message list.
 */
import { Box, Button, Flex, Text } from '@radix-ui/themes';
import { useState } from 'react';
import type { MessageMark } from '../../../src-shared/states';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { useApi } from '../../api/hooks';
import { SectionCard } from '../../components/SectionCard';
import { num, when } from '../../lib/format';
import { MessagesTable } from './MessagesTable';

const MARKS: {
  mark: MessageMark;
  label: string;
  count: (c: Campaign) => number;
  at: 'repliedAt' | 'unsubscribedAt' | 'autoRepliedAt';
  what: string;
}[] = [
  { mark: 'replied', label: 'Replied', count: (c) => c.replies.replied, at: 'repliedAt', what: 'Replied' },
  { mark: 'unsubscribed', label: 'Unsubscribed', count: (c) => c.replies.unsubscribed, at: 'unsubscribedAt', what: 'Asked to unsubscribe' },
  {
    mark: 'auto_replied',
    label: 'Auto-replies',
    count: (c) => c.replies.autoReplied,
    at: 'autoRepliedAt',
    what: 'Answered automatically (out of office)',
  },
];

export function WhatCameBack({ campaign: c }: { campaign: Campaign }) {
  const [mark, setMark] = useState<MessageMark | null>(null);
  const chosen = MARKS.find((m) => m.mark === mark);
  const list = useApi('campaigns.messages', { id: c.id, mark: mark ?? 'replied', limit: 100 }, { enabled: mark !== null });
  return (
    <SectionCard
      title="What came back"
      gap="3"
      description="Trickle reads the sending accounts’ inboxes for replies and unsubscribe requests (read-only: it never marks or moves anything). Unsubscribes are suppressed at once; auto-replies are never counted as replies."
    >
      <Flex gap="3" wrap="wrap" role="group" aria-label="Show the messages that were">
        {MARKS.map((m) => (
          <Button
            key={m.mark}
            variant={mark === m.mark ? 'solid' : 'soft'}
            aria-pressed={mark === m.mark}
            onClick={() => setMark(mark === m.mark ? null : m.mark)}
          >
            <Text weight="bold">{num(m.count(c))}</Text> {m.label}
          </Button>
        ))}
      </Flex>
      {chosen && (
        <Box mt="3">
          <MessagesTable
            query={list}
            reasonTitle="When"
            renderReason={(m) => (
              <Text size="2">
                {chosen.what} {when(m[chosen.at])}
              </Text>
            )}
          />
        </Box>
      )}
    </SectionCard>
  );
}
