/**
 * Recipients: the file or pasted list to import — into the draft, replacing its list — and,
 * once imported, who is in it. A paused campaign keeps the list it is sending.
 */
import { Flex, Text } from '@radix-ui/themes';
import type { Campaign } from '../../../../src-shared/views/campaigns';
import { Note } from '../../../components/ui';
import { reachable } from '../../../lib/campaigns';
import { plural } from '../../../lib/format';
import { Section } from '../Section';
import type { RecipientsInputState } from '../use-recipients';
import { RecipientsInput } from './RecipientsInput';

export function RecipientsSection({
  campaign,
  canImport,
  input,
  recipientsError,
  importing,
}: {
  campaign: Campaign | undefined;
  canImport: boolean;
  input: RecipientsInputState;
  recipientsError: string | undefined;
  importing: boolean;
}) {
  const { recipients, setRecipients, shape, pasted, emailColumn, pickCsv } = input;
  const has = campaign !== undefined && campaign.total > 0;
  return (
    <Section title="Recipients">
      {has && (
        <Flex direction="column" gap="2">
          <Text size="2" data-recipients={reachable(campaign)}>
            <strong>{plural(reachable(campaign), 'recipient')}</strong>
            {campaign.counts.skipped > 0 ? ` · ${plural(campaign.counts.skipped, 'row')} skipped at import (invalid, duplicate or suppressed)` : ''}
            {importing ? ' · importing the new list…' : ''}
          </Text>
          {campaign.fields.length > 0 && (
            <Text size="2" color="gray">
              Merge fields from the file: {campaign.fields.map((f) => `{{${f}}}`).join(', ')}
            </Text>
          )}
        </Flex>
      )}
      {canImport ? (
        <>
          {has && (
            <Text size="2" color="gray">
              Choosing another file or pasting another list replaces these recipients.
            </Text>
          )}
          <RecipientsInput
            recipients={recipients}
            setRecipients={setRecipients}
            shape={shape}
            pasted={pasted}
            emailColumn={emailColumn}
            error={recipientsError}
            onPickFile={pickCsv}
          />
        </>
      ) : (
        <Note>A paused campaign keeps the list it is sending. To send to a different list, copy it into a new draft.</Note>
      )}
    </Section>
  );
}
