/** "Advanced: mail server": the SMTP server, port and security, folded away unless needed (or wrong). */
import { ChevronDownIcon, ChevronRightIcon } from '@radix-ui/react-icons';
import { Box, Button, Grid, Text, TextField } from '@radix-ui/themes';
import type { Dispatch, SetStateAction } from 'react';
import { describedBy, Field } from '../../components/ui';
import type { Form, Security } from './account-form';

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
  e: { host: string | undefined; port: string | undefined; security: string | undefined };
}) {
  const advancedError = e.host || e.port || e.security;
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
              <TextField.Root {...describedBy('acc-host', e.host, false)} value={form.host} onChange={(ev) => set('host', ev.target.value)} spellCheck={false} />
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
        </Box>
      )}
    </Box>
  );
}
