/** The messages that failed for good, with the server's reasons, and Retry. */
import { ReloadIcon } from '@radix-ui/react-icons';
import { Button } from '@radix-ui/themes';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { useActionState, useApi } from '../../api/hooks';
import { useToast } from '../../components/Toasts';
import { plural } from '../../lib/format';
import { MessagesTable, ServerReply } from './MessagesTable';
import { SectionCard } from '../../components/SectionCard';

export function Failures({ campaign: c }: { campaign: Campaign }) {
  const failed = useApi('campaigns.messages', { id: c.id, status: 'failed', limit: 100 });
  const retry = useActionState();
  const toast = useToast();
  const canRetry = c.status !== 'cancelled';
  const retryIds = async (messageIds?: number[]) => {
    const result = await retry.run('campaigns.retryFailed', { id: c.id, ...(messageIds ? { messageIds } : {}) });
    if (result) {
      toast(
        result.requeued > 0
          ? `${plural(result.requeued, 'message')} queued again.`
          : 'Nothing was queued again: bounced addresses stay failed (they are on the suppression list).',
        result.requeued > 0 ? 'success' : 'info',
      );
    } else if (retry.error) toast(retry.error.message, 'error');
  };
  return (
    <SectionCard
      tone="red"
      gap="3"
      title={`${plural(c.counts.failed, 'message')} failed`}
      description="Gmail refused these for good, or every retry was used. Addresses that do not exist are put on the suppression list and are not retried."
      actions={
        canRetry && (
          <Button color="red" variant="soft" loading={retry.busy} onClick={() => void retryIds()}>
            <ReloadIcon /> Retry failed
          </Button>
        )
      }
    >
      <MessagesTable
        query={failed}
        reasonTitle="Why"
        renderReason={(m) => <ServerReply message={m} />}
        action={(m) =>
          canRetry && (
            <Button size="1" variant="soft" color="gray" onClick={() => void retryIds([m.id])} aria-label={`Retry ${m.email}`}>
              Retry
            </Button>
          )
        }
      />
    </SectionCard>
  );
}
