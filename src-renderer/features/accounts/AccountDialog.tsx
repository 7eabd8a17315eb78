/** Add or edit an account: address, app password, sender name, daily cap, and the advanced SMTP settings (MailServerFields). */
import { ExclamationTriangleIcon } from '@radix-ui/react-icons';
import { Button, Callout, Checkbox, Flex, Grid, Link, Text, TextField } from '@radix-ui/themes';
import { useEffect, useState } from 'react';
import type { Account } from '../../../src-shared/views/accounts';
import { ApiCallError, fieldError } from '../../api/errors';
import { useActionState } from '../../api/hooks';
import { Modal } from '../../components/Modal';
import { useToast } from '../../components/Toasts';
import { describedBy, Field } from '../../components/ui';
import { DEFAULT_PORT, type Form, imapArgs, initial, type Security } from './account-form';
import { MailServerFields } from './MailServerFields';

export function AccountDialog({ open, onClose, account }: { open: boolean; onClose: () => void; account?: Account }) {
  const [form, setForm] = useState<Form>(() => initial(account));
  const [advanced, setAdvanced] = useState(false);
  const [localError, setLocalError] = useState<ApiCallError | null>(null);
  const save = useActionState();
  const toast = useToast();
  const editing = account !== undefined;

  // Reset when the dialog opens or turns to another account, not when the account is fetched
  // again while it is open: that would wipe what the user is typing.
  // biome-ignore lint/correctness/useExhaustiveDependencies: account is read only when open or account?.id changes (see above)
  useEffect(() => {
    if (open) {
      setForm(initial(account));
      setAdvanced(
        account !== undefined && (account.host !== 'smtp.gmail.com' || (account.imapHost ?? 'imap.gmail.com') !== 'imap.gmail.com'),
      );
      setLocalError(null);
      save.setError(null);
    }
  }, [open, account?.id, save.setError]);

  const error = localError ?? save.error;
  // Take the user to the field the error is about.
  useEffect(() => {
    if (!error?.field) return;
    const id = {
      email: 'acc-email',
      appPassword: 'acc-password',
      fromName: 'acc-name',
      dailyCap: 'acc-cap',
      host: 'acc-host',
      port: 'acc-port',
      security: 'acc-security',
      imapHost: 'acc-imap-host',
      imapPort: 'acc-imap-port',
      imapSecurity: 'acc-imap-security',
    }[error.field];
    if (id?.startsWith('acc-imap') || id === 'acc-host' || id === 'acc-port' || id === 'acc-security') setAdvanced(true);
    if (id) requestAnimationFrame(() => document.getElementById(id)?.focus());
  }, [error]);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));
  const errorFor = (field: string) => fieldError(error, field);
  const formError =
    error &&
    (!error.field ||
      !['email', 'appPassword', 'fromName', 'dailyCap', 'host', 'port', 'security', 'imapHost', 'imapPort', 'imapSecurity'].includes(
        error.field,
      ))
      ? error
      : null;

  const onSecurity = (security: Security) =>
    setForm((f) => ({ ...f, security, port: f.port === String(DEFAULT_PORT[f.security]) ? String(DEFAULT_PORT[security]) : f.port }));

  async function submit() {
    setLocalError(null);
    const dailyCap = Number(form.dailyCap);
    if (!Number.isInteger(dailyCap) || dailyCap < 1 || dailyCap > 2000) {
      setLocalError(new ApiCallError({ code: 'invalid_input', field: 'dailyCap', message: 'Enter a whole number from 1 to 2,000.' }));
      return;
    }
    const port = Number(form.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      setAdvanced(true);
      setLocalError(new ApiCallError({ code: 'invalid_input', field: 'port', message: 'Enter a port number such as 465 or 587.' }));
      return;
    }
    const imapPort = Number(form.imapPort);
    if (form.imapHost.trim() && (!Number.isInteger(imapPort) || imapPort < 1 || imapPort > 65535)) {
      setAdvanced(true);
      setLocalError(new ApiCallError({ code: 'invalid_input', field: 'imapPort', message: 'Enter a port number such as 993.' }));
      return;
    }
    const server = { host: form.host.trim(), port, security: form.security, ...imapArgs(form, imapPort) };
    if (!editing) {
      const result = await save.run('accounts.add', {
        email: form.email,
        appPassword: form.appPassword,
        fromName: form.fromName,
        dailyCap,
        ...server,
        verify: form.verify,
      });
      if (result) {
        toast(`${result.email} added${form.verify ? ' — the login works' : ''}.`);
        onClose();
      }
    } else {
      const result = await save.run('accounts.update', {
        id: account.id,
        ...(form.appPassword ? { appPassword: form.appPassword } : {}),
        fromName: form.fromName,
        dailyCap,
        ...server,
        verify: form.verify,
      });
      if (result) {
        toast(`${result.email} saved.`);
        onClose();
      }
    }
  }

  const e = {
    email: errorFor('email'),
    appPassword: errorFor('appPassword'),
    fromName: errorFor('fromName'),
    dailyCap: errorFor('dailyCap'),
    host: errorFor('host'),
    port: errorFor('port'),
    security: errorFor('security'),
    imapHost: errorFor('imapHost'),
    imapPort: errorFor('imapPort'),
    imapSecurity: errorFor('imapSecurity'),
  };

  return (
    <Modal
      open={open}
      onClose={onClose}
      title={editing ? 'Edit account' : 'Add a Gmail account'}
      description={
        editing ? account.email : 'Trickle sends through this account with an app password; your normal password is never needed.'
      }
      width={560}
    >
      <form
        noValidate
        onSubmit={(ev) => {
          ev.preventDefault();
          void submit();
        }}
      >
        <Flex direction="column" gap="4">
          {formError && (
            <Callout.Root color="red" role="alert">
              <Callout.Icon>
                <ExclamationTriangleIcon />
              </Callout.Icon>
              <Callout.Text>
                {formError.code === 'login_failed' && (
                  <Text as="span" weight="bold">
                    Login refused.{' '}
                  </Text>
                )}
                {formError.message}
                {formError.code === 'secret_storage_refused' && (
                  <Text as="span" size="1" className="tr-block" mt="1">
                    See Settings → On this computer.
                  </Text>
                )}
                {formError.serverReply && (
                  <Text as="span" size="1" color="gray" className="tr-block" mt="1">
                    The server said: “{formError.serverReply.response}”
                  </Text>
                )}
                {formError.code === 'login_failed' && (
                  <Text as="span" size="1" className="tr-block" mt="1">
                    Check the address and paste a fresh app password. To save the account anyway, untick “Check the login before saving”.
                  </Text>
                )}
              </Callout.Text>
            </Callout.Root>
          )}

          {!editing && (
            <Field id="acc-email" label="Gmail address" error={e.email} hint="The address people will see your campaign come from.">
              <TextField.Root
                {...describedBy('acc-email', e.email)}
                type="email"
                autoComplete="email"
                placeholder="you@gmail.com"
                value={form.email}
                onChange={(ev) => set('email', ev.target.value)}
                data-autofocus
                required
              />
            </Field>
          )}

          <Field
            id="acc-password"
            label={editing ? 'New app password' : 'App password'}
            optional={editing}
            error={e.appPassword}
            hint={
              <>
                {editing ? 'Leave empty to keep the current one. ' : ''}Google shows it as 4 groups of 4 letters (like “abcd efgh ijkl
                mnop”); spaces are fine. Create one at{' '}
                <Link href="https://myaccount.google.com/apppasswords" target="_blank" rel="noreferrer">
                  myaccount.google.com/apppasswords
                </Link>{' '}
                — it needs 2-Step Verification on.
              </>
            }
          >
            <TextField.Root
              {...describedBy('acc-password', e.appPassword)}
              type="password"
              autoComplete="new-password"
              spellCheck={false}
              placeholder="abcd efgh ijkl mnop"
              value={form.appPassword}
              onChange={(ev) => set('appPassword', ev.target.value)}
              data-autofocus={editing ? '' : undefined}
              required={!editing}
            />
          </Field>

          <Grid columns={{ initial: '1', sm: '3fr 2fr' }} gap="4">
            <Field id="acc-name" label="Sender name" optional error={e.fromName} hint="Shown as the sender, e.g. “Riverside Tennis Club”.">
              <TextField.Root
                {...describedBy('acc-name', e.fromName)}
                autoComplete="name"
                value={form.fromName}
                onChange={(ev) => set('fromName', ev.target.value)}
              />
            </Field>
            <Field id="acc-cap" label="Daily cap" error={e.dailyCap} hint="500 for personal Gmail, 2,000 for Workspace. Lower is gentler.">
              <TextField.Root
                {...describedBy('acc-cap', e.dailyCap)}
                type="number"
                inputMode="numeric"
                min={1}
                max={2000}
                step={1}
                value={form.dailyCap}
                onChange={(ev) => set('dailyCap', ev.target.value)}
              >
                <TextField.Slot side="right">
                  <Text size="1" color="gray">
                    per 24 h
                  </Text>
                </TextField.Slot>
              </TextField.Root>
            </Field>
          </Grid>

          <MailServerFields form={form} set={set} onSecurity={onSecurity} advanced={advanced} setAdvanced={setAdvanced} e={e} />

          <Text as="label" size="2" className="tr-check">
            <Checkbox checked={form.watchInbox} onCheckedChange={(v) => set('watchInbox', v === true)} />
            <span>
              Read its mailbox for bounces, unsubscribes and replies
              <Text as="span" size="1" color="gray" className="tr-block">
                Every few minutes, read-only. Gmail reports unknown addresses there, not when sending; Sent Mail also tells whether a
                message in doubt went out, and what you sent from Gmail itself counts towards the daily cap.
              </Text>
            </span>
          </Text>

          <Text as="label" size="2" className="tr-check">
            <Checkbox checked={form.verify} onCheckedChange={(v) => set('verify', v === true)} />
            <span>
              Check the login before saving
              <Text as="span" size="1" color="gray" className="tr-block">
                {editing ? 'When the password or server changes. ' : ''}Trickle logs in once to make sure Gmail accepts the app password.
              </Text>
            </span>
          </Text>

          <Flex gap="3" justify="end" mt="1">
            <Button type="button" variant="soft" color="gray" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.busy}>
              {editing ? 'Save changes' : form.verify ? 'Check and add' : 'Add account'}
            </Button>
          </Flex>
        </Flex>
      </form>
    </Modal>
  );
}
