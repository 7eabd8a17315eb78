import { EnvelopeClosedIcon, ReloadIcon } from '@radix-ui/react-icons';
import { Badge, Button, Flex, Text } from '@radix-ui/themes';
import type { Account, InboxCheckResult } from '../../../src-shared/views/accounts';
import { useActionState } from '../../api/hooks';
import { useToast } from '../../components/Toasts';
import { plural, when } from '../../lib/format';

const INBOX: Record<Account['inbox']['state'], { label: string; color: 'green' | 'red' | 'amber' | 'gray' }> = {
  ok: { label: 'Mailbox read', color: 'green' },
  auth_failed: { label: 'Mailbox login refused', color: 'red' },
  unreachable: { label: 'Mailbox unreachable', color: 'amber' },
  off: { label: 'Mailbox not read', color: 'gray' },
};

/** How reading the account's mailbox goes (PRODUCT.md §5b), and "Check now". A mailbox problem never stops sending. */
export function InboxRow({ account }: { account: Account }) {
  const check = useActionState();
  const toast = useToast();
  const inbox = account.inbox;
  const look = INBOX[inbox.state];
  const line =
    inbox.state === 'ok'
      ? inbox.lastCheckAt
        ? `Last looked ${when(inbox.lastCheckAt)}: bounces, unsubscribe requests and replies are read from its inbox.${inbox.detail ? ` ${inbox.detail}` : ''}`
        : (inbox.detail ?? 'Not looked at yet.')
      : `${inbox.detail ?? ''}${inbox.lastCheckAt ? ` (last try ${when(inbox.lastCheckAt)})` : ''}`;
  return (
    <Flex className="tr-inbox" mt="3" pt="3" gap="3" align="center" justify="between" wrap="wrap">
      <Flex gap="2" align="center" minWidth="0" className="tr-inbox__state">
        <Badge color={look.color} variant="soft" radius="full">
          <EnvelopeClosedIcon /> {look.label}
        </Badge>
        <Text size="1" color={inbox.state === 'auth_failed' ? 'red' : 'gray'} className="tr-break">
          {line}
        </Text>
      </Flex>
      {inbox.state !== 'off' && (
        <Button
          size="1"
          variant="soft"
          color="gray"
          loading={check.busy}
          onClick={async () => {
            const result = await check.run('accounts.checkInbox', { id: account.id });
            if (!result) toast(check.error?.message ?? 'Could not read the mailbox.', 'error');
            else if (result.problem) toast(result.problem, 'error');
            else toast(foundWords(account.email, result));
          }}
        >
          <ReloadIcon /> Check now
        </Button>
      )}
    </Flex>
  );
}

/** "alice@gmail.com: 2 bounces, 1 reply." or "… nothing new." */
function foundWords(email: string, r: InboxCheckResult): string {
  const parts = [
    r.bounces && plural(r.bounces, 'bounce'),
    r.unsubscribes && plural(r.unsubscribes, 'unsubscribe request'),
    r.replies && plural(r.replies, 'reply', 'replies'),
    r.autoReplies && plural(r.autoReplies, 'auto-reply', 'auto-replies'),
    r.settled && `${plural(r.settled, 'message')} in doubt settled`,
  ].filter(Boolean);
  return `${email}: ${parts.length ? `${parts.join(', ')}.` : 'nothing new.'}`;
}
