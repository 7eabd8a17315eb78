/** "Advanced: mail server": the SMTP server, port and security, and the mailbox's IMAP server, folded away unless needed (or wrong). */
import { ChevronDownIcon, ChevronRightIcon } from '@radix-ui/react-icons';
import { Box, Button, Grid, Text, TextField } from '@radix-ui/themes';
import type { Dispatch, SetStateAction } from 'react';
import { describedBy, Field } from '../../components/ui';
import { DEFAULT_IMAP_PORT, type Form, type ImapSecurity, type Security } from './account-form';

export function MailServerFields({
  form,
  set,
  onSecurity,
  advanced,
  setAdvanced,
  e,
}: {
  form: Form;
  set: <K extends keyof Form>(key: K, value: Form[K]) => void;
  onSecurity: (security: Security) => void;
  advanced: boolean;
  setAdvanced: Dispatch<SetStateAction<boolean>>;
  e: {
    host: string | undefined;
    port: string | undefined;
    security: string | undefined;
    imapHost: string | undefined;
    imapPort: string | undefined;
    imapSecurity: string | undefined;
  };
}) {
  const advancedError = e.host || e.port || e.security || e.imapHost || e.imapPort || e.imapSecurity;
  return (
    <Box>
      <Button
        type="button"
        variant="ghost"
        color={advancedError ? 'red' : 'gray'}
        size="1"
        aria-expanded={advanced}
        aria-controls="acc-advanced"
        onClick={() => setAdvanced((a) => !a)}
      >
        {advanced ? <ChevronDownIcon /> : <ChevronRightIcon />} Advanced: mail server
      </Button>
      {(advanced || advancedError) && (
        <Box id="acc-advanced" mt="3" className="tr-subtle-box">
          <Grid columns={{ initial: '1', sm: '3fr 1fr 2fr' }} gap="3">
            <Field id="acc-host" label="SMTP server" error={e.host}>
              <TextField.Root
                {...describedBy('acc-host', e.host, false)}
                value={form.host}
                onChange={(ev) => set('host', ev.target.value)}
                spellCheck={false}
              />
            </Field>
            <Field id="acc-port" label="Port" error={e.port}>
              <TextField.Root
                {...describedBy('acc-port', e.port, false)}
                type="number"
                inputMode="numeric"
                value={form.port}
                onChange={(ev) => set('port', ev.target.value)}
              />
            </Field>
            <Field id="acc-security" label="Security" error={e.security}>
              <select
                {...describedBy('acc-security', e.security, false)}
                className="tr-select"
                value={form.security}
                onChange={(ev) => onSecurity(ev.target.value as Security)}
              >
                <option value="tls">TLS</option>
                <option value="starttls">STARTTLS</option>
                <option value="none">None (local only)</option>
              </select>
            </Field>
          </Grid>
          <Text as="p" size="1" color="gray" mt="2">
            Gmail: smtp.gmail.com, port 465, TLS. Change these only for another provider or a local test server.
          </Text>
          <Grid columns={{ initial: '1', sm: '3fr 1fr 2fr' }} gap="3" mt="4">
            <Field id="acc-imap-host" label="IMAP server" optional error={e.imapHost}>
              <TextField.Root
                {...describedBy('acc-imap-host', e.imapHost, false)}
                value={form.imapHost}
                placeholder="imap.gmail.com"
                onChange={(ev) => set('imapHost', ev.target.value)}
                spellCheck={false}
              />
            </Field>
            <Field id="acc-imap-port" label="IMAP port" error={e.imapPort}>
              <TextField.Root
                {...describedBy('acc-imap-port', e.imapPort, false)}
                type="number"
                inputMode="numeric"
                value={form.imapPort}
                onChange={(ev) => set('imapPort', ev.target.value)}
              />
            </Field>
            <Field id="acc-imap-security" label="IMAP security" error={e.imapSecurity}>
              <select
                {...describedBy('acc-imap-security', e.imapSecurity, false)}
                className="tr-select"
                value={form.imapSecurity}
                onChange={(ev) => {
                  const next = ev.target.value as ImapSecurity;
                  if (form.imapPort === String(DEFAULT_IMAP_PORT[form.imapSecurity])) set('imapPort', String(DEFAULT_IMAP_PORT[next]));
                  set('imapSecurity', next);
                }}
              >
                <option value="tls">TLS</option>
                <option value="none">None (local only)</option>
              </select>
            </Field>
          </Grid>
          <Text as="p" size="1" color="gray" mt="2">
            Trickle reads this mailbox, with the same app password, for failure notices, unsubscribe requests, replies and Sent Mail. Empty:
            imap.gmail.com, port 993, TLS, for a Gmail account.
          </Text>
        </Box>
      )}
    </Box>
  );
}
