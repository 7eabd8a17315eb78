/** Settings: the sending pace, dry run, desktop-only options, and the suppression list. */
import { ExclamationTriangleIcon, MagnifyingGlassIcon, PlusIcon, TrashIcon } from '@radix-ui/react-icons';
import { Badge, Box, Button, Callout, Card, Flex, Grid, Heading, IconButton, Switch, Text, TextField } from '@radix-ui/themes';
import { Table } from '../../components/Table';
import { type ReactNode, useEffect, useState } from 'react';
import type { DesktopSettingsView } from '../../../src-shared/views/desktop';
import type { Settings } from '../../../src-shared/views/settings';
import type { Suppression } from '../../../src-shared/views/suppressions';
import { ApiCallError, fieldError } from '../../api/client';
import { useActionState, useApi, useClient } from '../../api/hooks';
import { useToast } from '../../components/Toasts';
import { ConfirmDialog, describedBy, ErrorCallout, Field, Loading, PageHeader } from '../../components/ui';
import { day, duration, num } from '../../lib/format';

export function SettingsPage() {
  const settings = useApi('settings.get');
  const info = useApi('app.info', undefined, { staleTime: Infinity, refetchInterval: false });
  return (
    <>
      <PageHeader title="Settings" description="How fast Trickle sends, and who it never sends to." />
      {settings.isPending ? (
        <Loading />
      ) : settings.error ? (
        <ErrorCallout error={settings.error} onRetry={() => void settings.refetch()} />
      ) : (
        <Flex direction="column" gap="4" className="tr-settings">
          <PaceForm settings={settings.data} />
          <DryRunCard settings={settings.data} dataDir={info.data?.dataDir} />
          {info.data?.door === 'desktop' && <DesktopCard />}
          <Suppressions />
        </Flex>
      )}
    </>
  );
}

function SettingsCard({ title, description, children }: { title: string; description?: ReactNode; children: ReactNode }) {
  return (
    <Card size="3" asChild>
      <section aria-label={title}>
        <Heading as="h2" size="4">
          {title}
        </Heading>
        {description && (
          <Text as="p" size="2" color="gray" mt="1">
            {description}
          </Text>
        )}
        <Box mt="4">{children}</Box>
      </section>
    </Card>
  );
}

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

function PaceForm({ settings }: { settings: Settings }) {
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
    <SettingsCard
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
            <NumberInput id="s-size" error={e('batchSize')} value={form.batchSize} onChange={(v) => set('batchSize', v)} min={1} max={100} />
          </Field>
          <Field id="s-interval" label="Time between batches" error={e('batchIntervalSeconds')} hint="In seconds. Default 30.">
            <NumberInput id="s-interval" error={e('batchIntervalSeconds')} value={form.batchIntervalSeconds} onChange={(v) => set('batchIntervalSeconds', v)} min={1} unit="s" />
          </Field>
          <Field id="s-delay" label="Pause between messages" error={e('messageDelayMs')} hint="In seconds, within a batch. Default 2.">
            <NumberInput id="s-delay" error={e('messageDelayMs')} value={form.messageDelaySeconds} onChange={(v) => set('messageDelaySeconds', v)} min={0} step={0.1} unit="s" />
          </Field>
          <Field id="s-retry" label="Retry temporary failures every" error={e('retryIntervalSeconds')} hint="In minutes. Default 5.">
            <NumberInput id="s-retry" error={e('retryIntervalSeconds')} value={form.retryIntervalMinutes} onChange={(v) => set('retryIntervalMinutes', v)} min={0.02} step={0.5} unit="min" />
          </Field>
          <Field id="s-max" label="Attempts per message" error={e('maxRetries')} hint="Before it counts as failed. Default 3.">
            <NumberInput id="s-max" error={e('maxRetries')} value={form.maxRetries} onChange={(v) => set('maxRetries', v)} min={1} max={20} />
          </Field>
        </Grid>

        {interval > 0 && interval < 30 && (
          <Callout.Root color="amber" mt="4" role="alert">
            <Callout.Icon>
              <ExclamationTriangleIcon />
            </Callout.Icon>
            <Callout.Text>
              Gmail may flag rapid sending: batches closer than 30 seconds apart can get an account temporarily blocked. Use short
              intervals only for rehearsals with dry run on.
            </Callout.Text>
          </Callout.Root>
        )}
        {error && !['batchSize', 'batchIntervalSeconds', 'messageDelayMs', 'retryIntervalSeconds', 'maxRetries'].includes(error.field ?? '') && (
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
    </SettingsCard>
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
  return ({ messageDelayMs: 'messageDelaySeconds', retryIntervalSeconds: 'retryIntervalMinutes' } as Record<string, keyof PaceForm>)[field] ?? (field as keyof PaceForm);
}

function NumberInput({ id, error, value, onChange, min, max, step = 1, unit }: { id: string; error?: string | undefined; value: string; onChange: (v: string) => void; min?: number; max?: number; step?: number; unit?: string }) {
  return (
    <TextField.Root {...describedBy(id, error)} type="number" inputMode="decimal" value={value} min={min} max={max} step={step} onChange={(ev) => onChange(ev.target.value)}>
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

function DryRunCard({ settings, dataDir }: { settings: Settings; dataDir: string | undefined }) {
  const save = useActionState();
  const toast = useToast();
  return (
    <SettingsCard title="Dry run">
      <Flex gap="4" align="start" justify="between">
        <Box>
          <Text as="label" htmlFor="s-dry" size="2" weight="medium">
            Rehearse without sending
          </Text>
          <Text as="p" size="2" color="gray" mt="1" id="s-dry-hint">
            Every message is prepared exactly as it would go out and written to <code className="tr-code-inline">dry-run.log</code> in the
            data folder{dataDir ? <> (<span className="tr-break">{dataDir}</span>)</> : ''} instead. Nothing is sent, and Gmail’s limits are not touched.
            Turn it off before your real campaign.
          </Text>
          {save.error && (
            <Text as="p" size="2" color="red" mt="1">
              {save.error.message}
            </Text>
          )}
        </Box>
        <Flex align="center" gap="2" className="tr-nowrap">
          {settings.dryRun && <Badge color="purple">On</Badge>}
          <Switch
            id="s-dry"
            size="3"
            aria-describedby="s-dry-hint"
            checked={settings.dryRun}
            disabled={save.busy}
            onCheckedChange={async (dryRun) => {
              const result = await save.run('settings.update', { dryRun });
              if (result) toast(dryRun ? 'Dry run is on: nothing will be sent.' : 'Dry run is off: messages are really sent.');
            }}
          />
        </Flex>
      </Flex>
    </SettingsCard>
  );
}

function DesktopCard() {
  const client = useClient();
  const toast = useToast();
  const [view, setView] = useState<DesktopSettingsView>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    void client.call('desktop.settings.get', {}).then((envelope) => {
      if (!live) return;
      if (envelope.ok) setView(envelope.value);
      else setError(envelope.error.message);
    });
    return () => {
      live = false;
    };
  }, [client]);

  async function update(patch: Partial<Pick<DesktopSettingsView, 'closeToTray' | 'startAtLogin' | 'allowWeakSecretStorage'>>, done: string) {
    setBusy(true);
    setError(undefined);
    const envelope = await client.call('desktop.settings.update', patch);
    setBusy(false);
    if (envelope.ok) {
      setView(envelope.value);
      toast(done);
    } else setError(envelope.error.message);
  }

  return (
    <SettingsCard title="On this computer" description="Trickle can keep sending from the tray while its window is closed.">
      {!view && !error ? (
        <Loading />
      ) : (
        <Flex direction="column" gap="4">
          {error && <ErrorCallout error={error} />}
          {view && (
            <>
              <SwitchRow
                id="s-tray"
                label="Keep sending in the tray when the window is closed"
                hint="Quit from the tray menu to stop Trickle."
                checked={view.closeToTray}
                disabled={busy}
                onChange={(closeToTray) => void update({ closeToTray }, closeToTray ? 'Closing the window now keeps Trickle in the tray.' : 'Closing the window now quits Trickle.')}
              />
              <SwitchRow
                id="s-login"
                label="Start Trickle when I log in"
                hint="It starts in the tray and carries on with what is queued."
                checked={view.startAtLogin}
                disabled={busy}
                onChange={(startAtLogin) => void update({ startAtLogin }, startAtLogin ? 'Trickle will start when you log in.' : 'Trickle will no longer start by itself.')}
              />
              {view.secretStorage?.message && (
                <Callout.Root color={view.secretStorage.canStore === false ? 'amber' : 'gray'} size="1">
                  <Callout.Icon>
                    <ExclamationTriangleIcon />
                  </Callout.Icon>
                  <Callout.Text>{view.secretStorage.message}</Callout.Text>
                </Callout.Root>
              )}
              {view.secretStorage?.protection === 'weak' && (
                <SwitchRow
                  id="s-weak"
                  label="Store app passwords without a system keyring"
                  hint="This computer has no keyring to lock passwords away. Allow it only if nobody else uses this account on the computer."
                  checked={view.allowWeakSecretStorage ?? false}
                  disabled={busy}
                  onChange={(allowWeakSecretStorage) =>
                    void update({ allowWeakSecretStorage }, allowWeakSecretStorage ? 'App passwords can be saved on this computer.' : 'App passwords will not be saved without a keyring.')
                  }
                />
              )}
            </>
          )}
        </Flex>
      )}
    </SettingsCard>
  );
}

function SwitchRow({ id, label, hint, checked, disabled, onChange }: { id: string; label: string; hint: string; checked: boolean; disabled: boolean; onChange: (v: boolean) => void }) {
  return (
    <Flex justify="between" align="start" gap="4">
      <Box>
        <Text as="label" htmlFor={id} size="2" weight="medium">
          {label}
        </Text>
        <Text as="p" size="1" color="gray" id={`${id}-hint`}>
          {hint}
        </Text>
      </Box>
      <Switch id={id} aria-describedby={`${id}-hint`} checked={checked} disabled={disabled} onCheckedChange={onChange} />
    </Flex>
  );
}

const REASON: Record<string, { label: string; color: 'gray' | 'red' | 'amber' }> = {
  unsubscribed: { label: 'Unsubscribed', color: 'amber' },
  bounced: { label: 'Bounced', color: 'red' },
  manual: { label: 'Added by hand', color: 'gray' },
};

function Suppressions() {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setQuery(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);
  const list = useApi('suppressions.list', { limit: 100, ...(query ? { search: query } : {}) }, { placeholderData: (prev) => prev });
  const [email, setEmail] = useState('');
  const add = useActionState();
  const remove = useActionState();
  const toast = useToast();
  const [removing, setRemoving] = useState<Suppression | null>(null);

  return (
    <SettingsCard
      title="Suppression list"
      description="Addresses Trickle never sends to: people who unsubscribed, addresses that bounced, and any you add here. Queued messages to them are skipped."
    >
      <Grid columns={{ initial: '1', sm: '1fr 1fr' }} gap="4" mb="3">
        <form
          noValidate
          onSubmit={async (ev) => {
            ev.preventDefault();
            const result = await add.run('suppressions.add', { email });
            if (result) {
              toast(`${result.email} will never be sent to.`);
              setEmail('');
            }
          }}
        >
          <Field id="sup-add" label="Add an address" error={add.error ? (fieldError(add.error, 'email') ?? add.error.message) : undefined}>
            <Flex gap="2">
              <Box flexGrow="1">
                <TextField.Root {...describedBy('sup-add', add.error?.message, false)} type="email" value={email} onChange={(ev) => setEmail(ev.target.value)} placeholder="someone@example.com" />
              </Box>
              <Button type="submit" variant="soft" loading={add.busy} disabled={!email.trim()}>
                <PlusIcon /> Add
              </Button>
            </Flex>
          </Field>
        </form>
        <Field id="sup-search" label="Search">
          <TextField.Root {...describedBy('sup-search', undefined, false)} type="search" value={search} onChange={(ev) => setSearch(ev.target.value)} placeholder="Part of an address">
            <TextField.Slot>
              <MagnifyingGlassIcon />
            </TextField.Slot>
          </TextField.Root>
        </Field>
      </Grid>
      {remove.error && <ErrorCallout error={remove.error} />}
      {list.isPending ? (
        <Loading />
      ) : list.error ? (
        <ErrorCallout error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <Text as="p" size="2" color="gray" className="tr-empty-line">
          {query ? `No suppressed address contains “${query}”.` : 'The list is empty. Unsubscribes and bounces are added here automatically.'}
        </Text>
      ) : (
        <>
          <Table.Root size="1" variant="surface" className="tr-table">
            <Table.Header>
              <Table.Row>
                <Table.ColumnHeaderCell>Address</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell className="tr-col-status">Why</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell className="tr-col-date">Since</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell className="tr-col-action" aria-label="Actions" />
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {list.data.items.map((s) => {
                const reason = REASON[s.reason] ?? { label: s.reason, color: 'gray' as const };
                return (
                  <Table.Row key={s.email} align="center">
                    <Table.Cell className="tr-break">
                      {s.email}
                      {s.detail && (
                        <Text as="div" size="1" color="gray">
                          {s.detail}
                        </Text>
                      )}
                    </Table.Cell>
                    <Table.Cell>
                      <Badge color={reason.color} variant="soft">
                        {reason.label}
                      </Badge>
                    </Table.Cell>
                    <Table.Cell>{day(s.createdAt)}</Table.Cell>
                    <Table.Cell justify="end">
                      <IconButton
                        size="1"
                        variant="ghost"
                        color="red"
                        aria-label={`Remove ${s.email} from the suppression list`}
                        onClick={() => setRemoving(s)}
                      >
                        <TrashIcon />
                      </IconButton>
                    </Table.Cell>
                  </Table.Row>
                );
              })}
            </Table.Body>
          </Table.Root>
          <Text as="p" size="1" color="gray" mt="2">
            {list.data.total > list.data.items.length ? `Showing ${num(list.data.items.length)} of ${num(list.data.total)}. Search to find others.` : `${num(list.data.total)} in all.`}
          </Text>
        </>
      )}
      <ConfirmDialog
        open={removing !== null}
        onClose={() => setRemoving(null)}
        title={`Allow sending to ${removing?.email ?? ''} again?`}
        confirmLabel="Remove from the list"
        onConfirm={async () => {
          if (!removing) return;
          const result = await remove.run('suppressions.remove', { email: removing.email });
          if (!result) return remove.error?.message ?? 'Not removed.';
          toast(`${removing.email} can be sent to again.`);
        }}
      >
        {removing?.reason === 'unsubscribed'
          ? 'This person asked not to get your emails. Remove them only if they have asked to be added back.'
          : removing?.reason === 'bounced'
            ? 'Gmail said this address does not exist. Remove it only if you know it works now.'
            : 'Future campaigns will send to this address again.'}
      </ConfirmDialog>
    </SettingsCard>
  );
}
