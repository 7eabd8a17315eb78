/** Send a test: a real copy, with the chosen recipient's data, to an address of the user's. */
import { CheckCircledIcon, PaperPlaneIcon } from '@radix-ui/react-icons';
import { Box, Button, Callout, Flex, TextField } from '@radix-ui/themes';
import { useState } from 'react';
import type { Campaign } from '../../../../src-shared/views/campaigns';
import { fieldError } from '../../../api/errors';
import { useActionState } from '../../../api/hooks';
import { describedBy, ErrorCallout, Field } from '../../../components/ui';
import { Section } from '../Section';

/** `messageId` is the recipient chosen in the preview; none means the first one. */
export function TestSendSection({ campaign, messageId }: { campaign: Campaign; messageId: number | undefined }) {
  const [to, setTo] = useState('');
  const test = useActionState();
  const [testResult, setTestResult] = useState<string>();
  return (
    <Section title="Send a test">
      <form
        onSubmit={async (ev) => {
          ev.preventDefault();
          setTestResult(undefined);
          const result = await test.run('campaigns.testSend', { id: campaign.id, to, ...(messageId ? { messageId } : {}) });
          if (result) {
            setTestResult(`Sent a test to ${result.sentTo} from ${result.from}. Its subject starts with “[Test]”.`);
          }
        }}
      >
        <Field
          id="t-to"
          label="Send a copy to"
          error={fieldError(test.error, 'to')}
          hint="Made with the data of the recipient chosen above. A test is really sent, even from a rehearsal, and counts towards the account’s daily cap."
        >
          <Flex gap="3">
            <Box flexGrow="1">
              <TextField.Root
                {...describedBy('t-to', fieldError(test.error, 'to'))}
                type="email"
                value={to}
                onChange={(ev) => setTo(ev.target.value)}
                placeholder="you@example.com"
              />
            </Box>
            <Button type="submit" loading={test.busy} variant="soft">
              <PaperPlaneIcon /> Send test
            </Button>
          </Flex>
        </Field>
        {testResult && (
          <Callout.Root color="green" mt="3" role="status">
            <Callout.Icon>
              <CheckCircledIcon />
            </Callout.Icon>
            <Callout.Text>{testResult}</Callout.Text>
          </Callout.Root>
        )}
        {test.error && test.error.field !== 'to' && (
          <Box mt="3">
            <ErrorCallout error={test.error} title="The test was not sent." />
          </Box>
        )}
      </form>
    </Section>
  );
}
