/** The mailbox checks (PRODUCT.md §5b): how often each account's mailbox is read, and settling in-doubt messages from Sent Mail. */
import { Box, Button, Flex, Grid, Switch, Text, TextField } from '@radix-ui/themes';
import { useEffect, useState } from 'react';
import type { Settings } from '../../../src-shared/views/settings';
import { ApiCallError, fieldError } from '../../api/errors';
import { useActionState } from '../../api/hooks';
import { SectionCard } from '../../components/SectionCard';
import { useToast } from '../../components/Toasts';
import { describedBy, ErrorCallout, Field } from '../../components/ui';

interface MailboxForm {
  inboxCheckMinutes: string;
  settleInDoubtAfterMinutes: string;
}

const formOf = (s: Settings): MailboxForm => ({
  inboxCheckMinutes: String(Math.round((s.inboxCheckSeconds / 60) * 100) / 100),
  settleInDoubtAfterMinutes: String(s.settleInDoubtAfterMinutes),
});

export function MailboxCard({ settings }: { settings: Settings }) {
  const [form, setForm] = useState(() => formOf(settings));
  const [localError, setLocalError] = useState<ApiCallError | null>(null);
  const save = useActionState();
  const toast = useToast();
  const savedJson = JSON.stringify(formOf(settings));
  useEffect(() => setForm(JSON.parse(savedJson) as MailboxForm), [savedJson]);
  const error = localError ?? save.error;
  const e = (field: string) => fieldError(error, field);
  const dirty = JSON.stringify(form) !== savedJson;

  async function submit() {
    setLocalError(null);
    const inboxCheckSeconds = Math.round(Number(form.inboxCheckMinutes) * 60);
    const settleInDoubtAfterMinutes = Number(form.settleInDoubtAfterMinutes);
    // The engine's limits, checked here first so the message is in words.
    if (!Number.isFinite(inboxCheckSeconds) || inboxCheckSeconds < 10 || inboxCheckSeconds > 86_400) {
      setLocalError(
        new ApiCallError({ code: 'invalid_input', field: 'inboxCheckSeconds', message: 'Enter from 0.2 to 1,440 minutes (a day).' }),
      );
      return;
    }
    if (!Number.isInteger(settleInDoubtAfterMinutes) || settleInDoubtAfterMinutes < 5 || settleInDoubtAfterMinutes > 10_080) {
      setLocalError(
        new ApiCallError({
          code: 'invalid_input',
          field: 'settleInDoubtAfterMinutes',
          message: 'Enter a whole number of minutes, from 5 to 10,080 (a week).',
        }),
      );
      return;
    }
    const result = await save.run('settings.update', { inboxCheckSeconds, settleInDoubtAfterMinutes });
    if (result) toast('Mailbox checks saved.');
  }

  return (
    <SectionCard
      title="Mailbox checks"
      description="Gmail accepts mail for addresses that do not exist and reports them later, in the sending account’s inbox. Trickle reads each account’s mailbox (read-only) for those notices, unsubscribe requests and replies, and its Sent Mail for what Gmail really took."
    >
      <form
        noValidate
        onSubmit={(ev) => {
          ev.preventDefault();
          void submit();
        }}
      >
        <Grid columns={{ initial: '1', sm: '2' }} gap="4">
          <Field id="s-inbox" label="Read the mailboxes every" error={e('inboxCheckSeconds')} hint="In minutes. Default 5.">
            <TextField.Root
              {...describedBy('s-inbox', e('inboxCheckSeconds'))}
              type="number"
              inputMode="decimal"
              min={0.2}
              step={1}
              value={form.inboxCheckMinutes}
              onChange={(ev) => setForm((f) => ({ ...f, inboxCheckMinutes: ev.target.value }))}
            >
              <TextField.Slot side="right">
                <Text size="1" color="gray">
                  min
                </Text>
              </TextField.Slot>
            </TextField.Root>
          </Field>
          <Field
            id="s-settle-after"
            label="Not in Sent Mail: send again after"
            error={e('settleInDoubtAfterMinutes')}
            hint="Minutes after the attempt of a message in doubt. Default 15."
          >
            <TextField.Root
              {...describedBy('s-settle-after', e('settleInDoubtAfterMinutes'))}
              type="number"
              inputMode="numeric"
              min={5}
              step={1}
              disabled={!settings.settleInDoubtFromSentMail}
              value={form.settleInDoubtAfterMinutes}
              onChange={(ev) => setForm((f) => ({ ...f, settleInDoubtAfterMinutes: ev.target.value }))}
            >
              <TextField.Slot side="right">
                <Text size="1" color="gray">
                  min
                </Text>
              </TextField.Slot>
            </TextField.Root>
          </Field>
        </Grid>

        <Flex gap="4" align="start" justify="between" mt="4">
          <Box>
            <Text as="label" htmlFor="s-settle" size="2" weight="medium">
              Settle messages in doubt from Sent Mail
            </Text>
            <Text as="p" size="2" color="gray" mt="1" id="s-settle-hint">
              When the connection breaks mid-send, a message may or may not have gone. Found in Sent Mail, it counts as sent; still missing
              after the minutes above, it goes back in the queue by itself. Off: such messages wait for you to resend them.
            </Text>
          </Box>
          <Switch
            id="s-settle"
            size="3"
            aria-describedby="s-settle-hint"
            checked={settings.settleInDoubtFromSentMail}
            disabled={save.busy}
            onCheckedChange={async (settleInDoubtFromSentMail) => {
              const result = await save.run('settings.update', { settleInDoubtFromSentMail });
              if (result)
                toast(settleInDoubtFromSentMail ? 'Messages in doubt are settled from Sent Mail.' : 'Messages in doubt wait for you.');
            }}
          />
        </Flex>

        {error && !['inboxCheckSeconds', 'settleInDoubtAfterMinutes'].includes(error.field ?? '') && (
          <Box mt="4">
            <ErrorCallout error={error} title="Not saved." />
          </Box>
        )}
        <Flex mt="4" justify="end" gap="2">
          {dirty && (
            <Button type="button" variant="soft" color="gray" onClick={() => setForm(formOf(settings))}>
              Undo changes
            </Button>
          )}
          <Button type="submit" loading={save.busy} disabled={!dirty}>
            Save
          </Button>
        </Flex>
      </form>
    </SectionCard>
  );
}
