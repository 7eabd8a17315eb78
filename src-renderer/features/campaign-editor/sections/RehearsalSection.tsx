/** Rehearsal: this campaign written to a log instead of being sent — a draft's choice, never the whole app's. */
import { Box, Flex, Switch, Text } from '@radix-ui/themes';
import type { Form, SetField } from '../form';
import type { FieldErrorOf } from '../save-errors';
import { Section } from '../Section';

export function RehearsalSection({ form, set, e }: { form: Form; set: SetField; e: FieldErrorOf }) {
  return (
    <Section title="Rehearsal" aside="optional">
      <Flex gap="4" align="start" justify="between">
        <Box>
          <Text as="label" htmlFor="c-rehearsal" size="2" weight="medium">
            Rehearse this campaign instead of sending it
          </Text>
          <Text as="p" size="2" color="gray" mt="1" id="c-rehearsal-hint">
            Every message is prepared exactly as it would go out and written to a log file in the data folder. Nothing is sent, no account’s
            daily cap is used, and no other campaign is touched. When it looks right, copy it into a real draft.
          </Text>
          {e('rehearsal') && (
            <Text as="p" size="2" color="red" mt="1" role="alert">
              {e('rehearsal')}
            </Text>
          )}
        </Box>
        <Switch
          id="c-rehearsal"
          size="3"
          aria-describedby="c-rehearsal-hint"
          checked={form.rehearsal}
          onCheckedChange={(on) => set('rehearsal', on)}
        />
      </Flex>
    </Section>
  );
}
