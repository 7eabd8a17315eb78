/** Sending pace: batch size, time between batches, pause between messages, retries — checked here first, so the message is in words. */
import { ExclamationTriangleIcon } from '@radix-ui/react-icons';
import { Box, Button, Callout, Flex, Grid, Text, TextField } from '@radix-ui/themes';
import { useEffect, useState } from 'react';
import type { Settings } from '../../../src-shared/views/settings';
import { ApiCallError, fieldError } from '../../api/errors';
import { useActionState } from '../../api/hooks';
import { useToast } from '../../components/Toasts';
import { describedBy, ErrorCallout, Field } from '../../components/ui';
import { duration, num } from '../../lib/format';
import { SectionCard } from '../../components/SectionCard';

interface PaceForm {
  batchSize: string;
  batchIntervalSeconds: string;
  messageDelaySeconds: string;
  retryIntervalMinutes: string;
  maxRetries: string;
}

function paceOf(s: Settings): PaceForm {
  return {
    batchSize: String(s.batchSize),
    batchIntervalSeconds: String(s.batchIntervalSeconds),
    messageDelaySeconds: String(s.messageDelayMs / 1000),
    retryIntervalMinutes: String(Math.round((s.retryIntervalSeconds / 60) * 100) / 100),
    maxRetries: String(s.maxRetries),
  };
}

export function SendingPaceCard({ settings }: { settings: Settings }) {
  const [form, setForm] = useState(() => paceOf(settings));
  const [localError, setLocalError] = useState<ApiCallError | null>(null);
  const save = useActionState();
  const toast = useToast();
  const savedJson = JSON.stringify(paceOf(settings));
  useEffect(() => setForm(JSON.parse(savedJson) as PaceForm), [savedJson]);

  const set = (key: keyof PaceForm, value: string) => setForm((f) => ({ ...f, [key]: value }));
  const error = localError ?? save.error;
  const e = (field: string) => fieldError(error, field);
  const interval = Number(form.batchIntervalSeconds);
  const size = Number(form.batchSize);
  const perHour = interval > 0 && size > 0 ? Math.floor(3600 / interval) * size : 0;
  const dirty = JSON.stringify(form) !== savedJson;

  async function submit() {
    setLocalError(null);
    const values = {
      batchSize: Number(form.batchSize),
      batchIntervalSeconds: Number(form.batchIntervalSeconds),
      messageDelayMs: Math.round(Number(form.messageDelaySeconds) * 1000),
      retryIntervalSeconds: Math.round(Number(form.retryIntervalMinutes) * 60),
      maxRetries: Number(form.maxRetries),
    };
    // The engine's limits, checked here first so the message is in words.
    const limits: Record<keyof typeof values, { min: number; max: number; say: string }> = {
      batchSize: { min: 1, max: 100, say: 'Enter a whole number from 1 to 100.' },
      batchIntervalSeconds: { min: 1, max: 86_400, say: 'Enter a whole number of seconds, from 1 to 86,400 (a day).' },
      messageDelayMs: { min: 0, max: 600_000, say: 'Enter from 0 to 600 seconds.' },
      retryIntervalSeconds: { min: 1, max: 86_400, say: 'Enter from 1 second to 1,440 minutes (a day).' },
      maxRetries: { min: 1, max: 20, say: 'Enter a whole number from 1 to 20.' },
    };
    for (const [field, value] of Object.entries(values) as [keyof typeof values, number][]) {
      const limit = limits[field];
      const wholeOk = field === 'batchSize' || field === 'batchIntervalSeconds' || field === 'maxRetries' ? Number.isInteger(value) : true;
      if (form[fieldKey(field)].trim() === '' || !Number.isFinite(value) || !wholeOk || value < limit.min || value > limit.max) {
        setLocalError(new ApiCallError({ code: 'invalid_input', field, message: limit.say }));
        document.getElementById(FIELD_IDS[field] ?? '')?.focus();
        return;
      }
    }
    const result = await save.run('settings.update', values);
    if (result) toast('Settings saved. They apply from the next batch.');
  }

  return (
    <SectionCard
      title="Sending pace"
      description="Trickle sends in small batches: a few messages, a pause between each, then a wait until the next batch. Gentle sending keeps Gmail happy."
    >
      <form
        noValidate
        onSubmit={(ev) => {
          ev.preventDefault();
          void submit();
        }}
      >
        <Grid columns={{ initial: '1', sm: '2', md: '3' }} gap="4">
          <Field id="s-size" label="Emails per batch" error={e('batchSize')} hint="1–100. Default 10.">
            <NumberInput
              id="s-size"
              error={e('batchSize')}
              value={form.batchSize}
              onChange={(v) => set('batchSize', v)}
              min={1}
              max={100}
            />
          </Field>
          <Field id="s-interval" label="Time between batches" error={e('batchIntervalSeconds')} hint="In seconds. Default 30.">
            <NumberInput
              id="s-interval"
              error={e('batchIntervalSeconds')}
              value={form.batchIntervalSeconds}
              onChange={(v) => set('batchIntervalSeconds', v)}
              min={1}
              unit="s"
            />
          </Field>
          <Field id="s-delay" label="Pause between messages" error={e('messageDelayMs')} hint="In seconds, within a batch. Default 2.">
            <NumberInput
              id="s-delay"
              error={e('messageDelayMs')}
              value={form.messageDelaySeconds}
              onChange={(v) => set('messageDelaySeconds', v)}
              min={0}
              step={0.1}
              unit="s"
            />
          </Field>
          <Field id="s-retry" label="Retry temporary failures every" error={e('retryIntervalSeconds')} hint="In minutes. Default 5.">
            <NumberInput
              id="s-retry"
              error={e('retryIntervalSeconds')}
              value={form.retryIntervalMinutes}
              onChange={(v) => set('retryIntervalMinutes', v)}
              min={0.02}
              step={0.5}
              unit="min"
            />
          </Field>
          <Field id="s-max" label="Attempts per message" error={e('maxRetries')} hint="Before it counts as failed. Default 3.">
            <NumberInput
              id="s-max"
              error={e('maxRetries')}
              value={form.maxRetries}
              onChange={(v) => set('maxRetries', v)}
              min={1}
              max={20}
            />
          </Field>
        </Grid>

        {interval > 0 && interval < 30 && (
          <Callout.Root color="amber" mt="4" role="alert">
            <Callout.Icon>
              <ExclamationTriangleIcon />
            </Callout.Icon>
            <Callout.Text>
              Gmail may flag rapid sending: batches closer than 30 seconds apart can get an account temporarily blocked. Use short intervals
              only for rehearsals (a campaign’s Rehearsal switch) or a local test server.
            </Callout.Text>
          </Callout.Root>
        )}
        {error &&
          !['batchSize', 'batchIntervalSeconds', 'messageDelayMs', 'retryIntervalSeconds', 'maxRetries'].includes(error.field ?? '') && (
            <Box mt="4">
              <ErrorCallout error={error} title="Not saved." />
            </Box>
          )}

        <Flex mt="4" justify="between" align="center" gap="3" wrap="wrap">
          <Text size="2" color="gray">
            {perHour > 0
              ? `At most ${num(perHour)} emails an hour — fewer when the accounts’ daily caps run out. One batch every ${duration(interval)}.`
              : ' '}
          </Text>
          <Flex gap="2" ml="auto">
            {dirty && (
              <Button type="button" variant="soft" color="gray" onClick={() => setForm(paceOf(settings))}>
                Undo changes
              </Button>
            )}
            <Button type="submit" loading={save.busy} disabled={!dirty}>
              Save
            </Button>
          </Flex>
        </Flex>
      </form>
    </SectionCard>
  );
}

const FIELD_IDS: Record<string, string> = {
  batchSize: 's-size',
  batchIntervalSeconds: 's-interval',
  messageDelayMs: 's-delay',
  retryIntervalSeconds: 's-retry',
  maxRetries: 's-max',
};

function fieldKey(field: string): keyof PaceForm {
  return (
    ({ messageDelayMs: 'messageDelaySeconds', retryIntervalSeconds: 'retryIntervalMinutes' } as Record<string, keyof PaceForm>)[field] ??
    (field as keyof PaceForm)
  );
}

function NumberInput({
  id,
  error,
  value,
  onChange,
  min,
  max,
  step = 1,
  unit,
}: {
  id: string;
  error?: string | undefined;
  value: string;
  onChange: (v: string) => void;
  min?: number;
  max?: number;
  step?: number;
  unit?: string;
}) {
  return (
    <TextField.Root
      {...describedBy(id, error)}
      type="number"
      inputMode="decimal"
      value={value}
      min={min}
      max={max}
      step={step}
      onChange={(ev) => onChange(ev.target.value)}
    >
      {unit && (
        <TextField.Slot side="right">
          <Text size="1" color="gray">
            {unit}
          </Text>
        </TextField.Slot>
      )}
    </TextField.Root>
  );
}
