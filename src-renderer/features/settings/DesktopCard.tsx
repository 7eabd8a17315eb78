/** Desktop only: keep sending from the tray, start at login, and storing app passwords without a keyring. */
import { ExclamationTriangleIcon } from '@radix-ui/react-icons';
import { Box, Callout, Flex, Switch, Text } from '@radix-ui/themes';
import { useEffect, useState } from 'react';
import type { DesktopSettingsView } from '../../../src-shared/views/desktop';
import { useClient } from '../../api/hooks';
import { useToast } from '../../components/Toasts';
import { ErrorCallout, Loading } from '../../components/ui';
import { SectionCard } from '../../components/SectionCard';

export function DesktopCard() {
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

  async function update(
    patch: Partial<Pick<DesktopSettingsView, 'closeToTray' | 'startAtLogin' | 'allowWeakSecretStorage'>>,
    done: string,
  ) {
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
    <SectionCard title="On this computer" description="Trickle can keep sending from the tray while its window is closed.">
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
                onChange={(closeToTray) =>
                  void update(
                    { closeToTray },
                    closeToTray ? 'Closing the window now keeps Trickle in the tray.' : 'Closing the window now quits Trickle.',
                  )
                }
              />
              <SwitchRow
                id="s-login"
                label="Start Trickle when I log in"
                hint="It starts in the tray and carries on with what is queued."
                checked={view.startAtLogin}
                disabled={busy}
                onChange={(startAtLogin) =>
                  void update(
                    { startAtLogin },
                    startAtLogin ? 'Trickle will start when you log in.' : 'Trickle will no longer start by itself.',
                  )
                }
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
                    void update(
                      { allowWeakSecretStorage },
                      allowWeakSecretStorage
                        ? 'App passwords can be saved on this computer.'
                        : 'App passwords will not be saved without a keyring.',
                    )
                  }
                />
              )}
            </>
          )}
        </Flex>
      )}
    </SectionCard>
  );
}

function SwitchRow({
  id,
  label,
  hint,
  checked,
  disabled,
  onChange,
}: {
  id: string;
  label: string;
  hint: string;
  checked: boolean;
  disabled: boolean;
  onChange: (v: boolean) => void;
}) {
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
