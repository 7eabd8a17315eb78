/** "Queue …?": who it goes to and from when, with a word on unsaved changes, dry run and capacity. */
import { Flex, Text } from '@radix-ui/themes';
import type { Campaign } from '../../../../src-shared/views/campaigns';
import { useApi } from '../../../api/hooks';
import { ConfirmDialog } from '../../../components/ui';
import { fromLocalInput, num, plural, when } from '../../../lib/format';

export function QueueDialog({
  campaign,
  open,
  onClose,
  toSend,
  sendAfter,
  dirty,
  queue,
}: {
  campaign: Campaign;
  open: boolean;
  onClose: () => void;
  toSend: number;
  sendAfter: string;
  dirty: boolean;
  /** Saves what is unsaved, then queues; resolves with an error to show in the dialog, or nothing. */
  queue: () => Promise<string | void>;
}) {
  const status = useApi('sending.status');
  return (
    <ConfirmDialog
      open={open}
      onClose={onClose}
      title={`Queue “${campaign.name}”?`}
      confirmLabel={`Queue ${num(toSend)} emails`}
      color="indigo"
      onConfirm={queue}
    >
      <Flex direction="column" gap="2">
        <span>
          Trickle will send it to <strong>{plural(toSend, 'recipient')}</strong>
          {sendAfter ? `, starting ${when(fromLocalInput(sendAfter))}` : ' from the next batch'}.
        </span>
        {dirty && <span>Your unsaved changes are saved first.</span>}
        {status.data?.dryRun && (
          <Text color="purple" weight="medium">
            Dry run is on: the messages are written to dry-run.log, nothing is really sent.
          </Text>
        )}
        {status.data && status.data.capacityLeft === 0 && !status.data.dryRun && (
          <Text color="amber">{status.data.waitingReason ?? 'No account has capacity left right now: sending starts when one does.'}</Text>
        )}
      </Flex>
    </ConfirmDialog>
  );
}
