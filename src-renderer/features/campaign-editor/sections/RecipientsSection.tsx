/** Recipients: for a new campaign, the file or pasted list to import; for a saved one, who was imported. */
import { Flex, Text } from '@radix-ui/themes';
import type { Campaign } from '../../../../src-shared/views/campaigns';
import { Note } from '../../../components/ui';
import { reachable } from '../../../lib/campaigns';
import { plural } from '../../../lib/format';
import { Section } from '../Section';
import type { RecipientsInputState } from '../use-recipients';
import { RecipientsInput } from './RecipientsInput';

export function RecipientsSection({ campaign, input, recipientsError }: { campaign: Campaign | undefined; input: RecipientsInputState; recipientsError: string | undefined }) {
  const isNew = campaign === undefined;
  const { recipients, setRecipients, shape, pasted, emailColumn, pickCsv } = input;
  return (
    <Section title="Recipients">
      {isNew ? (
        <RecipientsInput
          recipients={recipients}
          setRecipients={setRecipients}
          shape={shape}
          pasted={pasted}
          emailColumn={emailColumn}
          error={recipientsError}
          onPickFile={pickCsv}
        />
      ) : (
        <Flex direction="column" gap="2">
          <Text size="2">
            <strong>{plural(reachable(campaign), 'recipient')}</strong>
            {campaign.counts.skipped > 0 ? ` · ${plural(campaign.counts.skipped, 'row')} skipped at import (invalid, duplicate or suppressed)` : ''}
          </Text>
          {campaign.fields.length > 0 && (
            <Text size="2" color="gray">
              Merge fields from the file: {campaign.fields.map((f) => `{{${f}}}`).join(', ')}
            </Text>
          )}
          <Note>Recipients cannot be re-imported once a campaign is created. To send to a different list, create a new campaign.</Note>
        </Flex>
      )}
    </Section>
  );
}
