/** One account on the Accounts page: its state, what it may still send in 24 hours, and its actions. */
import { Pencil1Icon, ReloadIcon, TrashIcon } from '@radix-ui/react-icons';
import { Badge, Box, Button, Card, Flex, Grid, IconButton, Switch, Text } from '@radix-ui/themes';
import type { Account } from '../../../src-shared/views/accounts';
import { useActionState } from '../../api/hooks';
import { useToast } from '../../components/Toasts';
import { Meter } from '../../components/ui';
import { clock, num, serverLine, when } from '../../lib/format';
import { InboxRow } from './InboxRow';

const SECURITY: Record<Account['security'], string> = { tls: 'TLS', starttls: 'STARTTLS', none: 'unencrypted' };

const STATE: Record<Account['state'], { label: string; color: 'green' | 'amber' | 'orange' | 'red' | 'gray' }> = {
  ok: { label: 'Ready', color: 'green' },
  cooling: { label: 'Cooling down', color: 'amber' },
  limit_reached: { label: 'Limit reached', color: 'orange' },
  auth_failed: { label: 'Needs a new app password', color: 'red' },
  disabled: { label: 'Disabled', color: 'gray' },
};

/**
 * What the badge says is true: "Ready" only when a login succeeded and there is room to send;
 * "Not checked" for an account saved without a check until one does; "At cap until 15:47" when
 * nothing is left in its rolling 24 hours.
 */
export function badgeOf(account: Account): { label: string; color: 'green' | 'amber' | 'orange' | 'red' | 'gray' } {
  if (account.state === 'ok' && account.remaining <= 0) {
    return { label: account.nextSlotAt ? `At cap until ${untilTime(account.nextSlotAt)}` : 'At cap', color: 'orange' };
  }
  if (account.state === 'ok' && !account.verifiedAt) return { label: 'Not checked', color: 'amber' };
  const s = STATE[account.state];
  return { label: s.label + (account.stateUntil ? ` until ${untilTime(account.stateUntil)}` : ''), color: s.color };
}

/** "15:47" today, else with its day ("tomorrow 09:10"), in the user's own format. */
function untilTime(iso: string): string {
  const at = new Date(iso);
  return at.toDateString() === new Date().toDateString() ? clock(at) : when(at);
}

export function AccountStateBadge({ account }: { account: Account }) {
  const b = badgeOf(account);
  return (
    <Badge color={b.color} variant="soft" radius="full" size="2" data-badge={b.label}>
      {b.label}
    </Badge>
  );
}

export function AccountCard({ account, onEdit, onRemove }: { account: Account; onEdit: () => void; onRemove: () => void }) {
  const toggle = useActionState();
  const verify = useActionState();
  const toast = useToast();
  const used = account.sentLast24h;
  const full = account.remaining <= 0;
  const nonGmail = account.host !== 'smtp.gmail.com';

  const explanation =
    account.state === 'ok'
      ? full
        ? `At its daily cap: the next slot frees ${when(account.nextSlotAt)}.`
        : !account.verifiedAt
          ? 'Saved without checking the login. Press Verify to check it now; its first accepted send checks it too.'
          : undefined
      : account.state === 'disabled'
        ? 'Turned off: Trickle does not send from it.'
        : (account.stateDetail?.explanation ??
          (account.state === 'auth_failed' ? 'Gmail refused the app password. Create a new one and enter it with Edit.' : undefined));

  return (
    <Card size="3" className="tr-account">
      <Flex justify="between" align="start" gap="3" wrap="wrap">
        <Box minWidth="0" className="tr-account__who">
          <Flex align="center" gap="2" wrap="wrap">
            <Text size="4" weight="bold" className="tr-break">
              {account.email}
            </Text>
            <AccountStateBadge account={account} />
          </Flex>
          <Text as="p" size="2" color="gray" className="tr-break">
            {account.fromName ? `Sends as “${account.fromName}”` : 'No sender name: the address is shown'}
            {nonGmail ? ` · ${account.host}:${account.port}, ${SECURITY[account.security]}` : ''}
          </Text>
        </Box>
        <Flex gap="2" align="center" wrap="wrap">
          <Text as="label" size="2" className="tr-switch-label">
            <Switch
              checked={account.enabled}
              disabled={toggle.busy}
              onCheckedChange={async (enabled) => {
                const result = await toggle.run('accounts.update', { id: account.id, enabled });
                if (!result) toast(toggle.error?.message ?? 'Could not change the account.', 'error');
              }}
            />
            {account.enabled ? 'On' : 'Off'}
          </Text>
          <Button
            variant="soft"
            color="gray"
            loading={verify.busy}
            onClick={async () => {
              const result = await verify.run('accounts.verify', { id: account.id });
              if (!result) toast(verify.error?.message ?? 'Could not check the login.', 'error');
              else if (result.state === 'ok' || result.state === 'disabled') toast(`Login to ${account.email} works.`);
              else toast(result.stateDetail?.explanation ?? `Login to ${account.email} failed.`, 'error');
            }}
          >
            <ReloadIcon /> Verify
          </Button>
          <Button variant="soft" color="gray" onClick={onEdit}>
            <Pencil1Icon /> Edit
          </Button>
          <IconButton variant="soft" color="red" onClick={onRemove} aria-label={`Remove ${account.email}`}>
            <TrashIcon />
          </IconButton>
        </Flex>
      </Flex>

      <Grid columns={{ initial: '1', sm: 'minmax(0, 1fr) 340px' }} gap="5" mt="3" align="start">
        <Box minWidth="0">
          {explanation ? (
            <Text
              as="p"
              size="2"
              color={account.state === 'auth_failed' ? 'red' : account.state === 'ok' || account.state === 'disabled' ? 'gray' : 'amber'}
            >
              {explanation}
            </Text>
          ) : (
            <Text as="p" size="2" color="gray">
              Ready to send — {num(Math.max(0, account.remaining))} more before it reaches its daily cap.
            </Text>
          )}
          {account.stateDetail?.response && account.state !== 'ok' && account.state !== 'disabled' && (
            <Text as="p" size="1" color="gray" className="tr-server-reply">
              Server said: {serverLine(account.stateDetail.code, account.stateDetail.response)}
            </Text>
          )}
        </Box>
        <Box>
          <Flex justify="between" mb="1" gap="2">
            <Text size="2" className="tr-nowrap">
              <strong>{num(used)}</strong> of {num(account.dailyCap)} sent in 24 h
              {account.inFlight > 0 ? ` (+${num(account.inFlight)} being sent)` : ''}
            </Text>
            <Text size="2" color="gray" className="tr-nowrap">
              {num(Math.max(0, account.remaining))} left
            </Text>
          </Flex>
          <Meter
            value={used + account.inFlight}
            max={account.dailyCap}
            color={full ? 'red' : used / account.dailyCap > 0.8 ? 'amber' : 'indigo'}
            label={`${account.email}: ${num(used)} of ${num(account.dailyCap)} sent in the last 24 hours`}
          />
          <Text as="p" size="1" color="gray" mt="1">
            {account.nextSlotAt ? `Next slot frees ${when(account.nextSlotAt)}` : 'No sends in the last 24 hours'}
          </Text>
          {account.sentOutsideLast24h > 0 && (
            <Text as="p" size="1" color="gray" className="tr-outside">
              {num(account.sentOutsideLast24h)} of them sent outside Trickle (Gmail counts them too)
            </Text>
          )}
        </Box>
      </Grid>
      <InboxRow account={account} />
    </Card>
  );
}
