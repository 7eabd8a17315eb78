/** "Ready to send?": what Queue will do, the Queue button, and why queueing failed if it did. */
import { PaperPlaneIcon } from '@radix-ui/react-icons';
import { Box, Button, Card, Flex, Heading, Text } from '@radix-ui/themes';
import { useEffect, useRef } from 'react';
import type { ApiCallError } from '../../../api/errors';
import { useApi } from '../../../api/hooks';
import { ErrorCallout } from '../../../components/ui';
import { duration, fromLocalInput, num, plural, when } from '../../../lib/format';

export function QueueCard({
  toSend,
  sendAfter,
  rehearsal,
  queueError,
  unknownFields,
  onQueue,
}: {
  toSend: number;
  sendAfter: string;
  rehearsal: boolean;
  queueError: ApiCallError | null;
  /** Sentences about merge fields that are no column of the list: Queue waits until none is left. */
  unknownFields: string[];
  onQueue: () => void;
}) {
  const settings = useApi('settings.get');
  const s = settings.data;
  const queueErrorRef = useRef<HTMLDivElement>(null);
  // Queue can be pressed at the top of the page: bring its error into view.
  useEffect(() => {
    if (queueError) queueErrorRef.current?.scrollIntoView({ behavior: 'smooth', block: 'center' });
  }, [queueError]);
  return (
    <Card size="3" className="tr-queue-card">
      <Flex justify="between" align="center" gap="4" wrap="wrap">
        <Box minWidth="0" className="tr-queue-card__text">
          <Heading as="h2" size="4">
            {rehearsal ? 'Ready to rehearse?' : 'Ready to send?'}
          </Heading>
          <Text as="p" size="2" color="gray">
            {rehearsal
              ? `Queue rehearses it: ${plural(toSend, 'message')} written to its log, nothing sent`
              : `Queue sends to ${plural(toSend, 'recipient')}`}
            {s ? `, ${plural(s.batchSize, 'email')} every ${duration(s.batchIntervalSeconds)}` : ''}
            {sendAfter ? `, starting ${when(fromLocalInput(sendAfter))}` : ''}. You can pause or cancel at any time.
          </Text>
        </Box>
        <Button size="3" onClick={onQueue} disabled={toSend === 0 || unknownFields.length > 0}>
          <PaperPlaneIcon /> {rehearsal ? 'Rehearse' : 'Queue'} {num(toSend)} emails
        </Button>
      </Flex>
      {unknownFields.length > 0 && (
        <Text as="p" size="2" color="amber" mt="3" className="tr-queue-card__blocked">
          Correct the merge fields first: {unknownFields.join(' ')}
        </Text>
      )}
      {queueError && (
        <Box mt="3" ref={queueErrorRef}>
          <ErrorCallout
            error={queueError}
            title={
              queueError.code === 'merge_missing_field'
                ? 'A merge field is empty for some recipients.'
                : queueError.code === 'merge_unknown_field'
                  ? 'A merge field is no column of the list.'
                  : 'Not queued.'
            }
          />
          {queueError.code === 'merge_missing_field' && (
            <Text as="p" size="2" color="gray">
              Give the field a default in the subject or body (as shown), or import a list where it is filled in, then queue again.
            </Text>
          )}
        </Box>
      )}
    </Card>
  );
}
