/**
 * "Queue …?": who it goes to, and — before anything is queued — when it will be done at the
 * accounts' capacity (campaigns.forecast: measured pace, caps, rolling windows, cadence, the
 * campaigns ahead of it), whether that is past today, and how many sends are left today.
 */
import { Flex, Spinner, Text } from '@radix-ui/themes';
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
  rehearsal,
  queue,
}: {
  campaign: Campaign;
  open: boolean;
  onClose: () => void;
  toSend: number;
  sendAfter: string;
  rehearsal: boolean;
  /** Saves what waits, then queues; resolves with an error to show in the dialog, or nothing. */
  queue: () => Promise<string | undefined>;
}) {
  const forecast = useApi('campaigns.forecast', { id: campaign.id }, { enabled: open, staleTime: 0 });
  const f = forecast.data;
  const ahead = f?.ahead ?? [];
  return (
    <ConfirmDialog
      open={open}
      onClose={onClose}
      title={rehearsal ? `Rehearse “${campaign.name}”?` : `Queue “${campaign.name}”?`}
      confirmLabel={rehearsal ? `Rehearse ${num(toSend)} emails` : `Queue ${num(toSend)} emails`}
      color="indigo"
      onConfirm={queue}
    >
      <Flex direction="column" gap="2" className="tr-forecast" data-finish-at={f?.finishAt ?? ''} data-forecast-at={f?.at ?? ''}>
        <span>
          {rehearsal ? (
            <>
              Trickle will rehearse it: <strong>{plural(toSend, 'message')}</strong> written to its log, nothing sent
            </>
          ) : (
            <>
              Trickle will send it to <strong>{plural(toSend, 'recipient')}</strong>
            </>
          )}
          {sendAfter ? `, starting ${when(fromLocalInput(sendAfter))}` : ''}.
        </span>
        {forecast.isPending && (
          <Text color="gray">
            <Spinner className="tr-inline-icon" /> Working out when it will be done…
          </Text>
        )}
        {f && (
          <>
            {f.finishAt ? (
              <span data-forecast="finish">
                {rehearsal ? 'At the batch pace' : 'At your accounts’ capacity'}, it is done <strong>{when(f.finishAt)}</strong>.
              </span>
            ) : (
              f.reason && <Text color="amber">{f.reason}</Text>
            )}
            {!rehearsal && (
              <Text color={f.pastToday ? 'amber' : undefined} data-forecast="today">
                {f.pastToday
                  ? `That is after today: your accounts have ${plural(f.sendsLeftToday, 'send')} left today, so ${num(f.today)} of these go today and the rest later.`
                  : `Your accounts have ${plural(f.sendsLeftToday, 'send')} left today.`}
              </Text>
            )}
            {ahead.length > 0 && (
              <Text color="amber" data-forecast="ahead">
                It waits behind {ahead.map((c) => `“${c.name}” (${num(c.left)} left)`).join(', ')}, queued before it.
              </Text>
            )}
            {f.expiring > 0 && (
              <Text color="amber">{plural(f.expiring, 'message')} would not go out before the stop time and would expire.</Text>
            )}
            {f.paused && (
              <Text color="amber">Sending is paused: nothing goes until you resume it (the time above assumes you do now).</Text>
            )}
          </>
        )}
      </Flex>
    </ConfirmDialog>
  );
}
