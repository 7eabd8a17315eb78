/** Accounts: the Gmail accounts Trickle sends from, their state and their rolling 24-hour capacity. */
import { EnvelopeClosedIcon, Pencil1Icon, PersonIcon, PlusIcon, ReloadIcon, TrashIcon } from '@radix-ui/react-icons';
import { Badge, Box, Button, Card, Flex, Grid, IconButton, Switch, Text } from '@radix-ui/themes';
import { useState } from 'react';
import type { Account, InboxCheckResult } from '../../../src-shared/views/accounts';
import { useActionState, useApi } from '../../api/hooks';
import { useToast } from '../../components/Toasts';
import { ConfirmDialog, EmptyState, ErrorCallout, Loading, Meter, PageHeader } from '../../components/ui';
import { clock, num, plural, serverLine, when } from '../../lib/format';
import { AccountDialog } from './AccountDialog';

export function AccountsPage() {
  const accounts = useApi('accounts.list');
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Account | null>(null);
  const [removing, setRemoving] = useState<Account | null>(null);
  const remove = useActionState();
  const toast = useToast();

  // Accounts that need the user come first.
  const list = [...(accounts.data ?? [])].sort((a, b) => ATTENTION[a.state] - ATTENTION[b.state] || a.id - b.id);
  const totalCap = list.filter((a) => a.enabled).reduce((n, a) => n + a.dailyCap, 0);

  return (
    <>
      <PageHeader
        title="Accounts"
        description={
          list.length > 0
            ? `${list.length === 1 ? 'One account' : `${list.length} accounts`} · up to ${num(totalCap)} emails in any 24 hours. Trickle spreads sends across them and never passes a cap.`
            : 'The Gmail accounts Trickle sends from.'
        }
        actions={
          list.length > 0 && (
            <Button onClick={() => setAdding(true)}>
              <PlusIcon /> Add account
            </Button>
          )
        }
      />
      {accounts.isPending ? (
        <Loading />
      ) : accounts.error ? (
        <ErrorCallout error={accounts.error} onRetry={() => void accounts.refetch()} />
      ) : list.length === 0 ? (
        <Card size="3">
          <EmptyState
            icon={<PersonIcon width="28" height="28" />}
            title="Add the Gmail account you send from"
            action={
              <Button size="3" onClick={() => setAdding(true)}>
                <PlusIcon /> Add account
              </Button>
            }
          >
            You will need its address and an <strong>app password</strong> — a 16-letter password Google creates for apps like Trickle at
            myaccount.google.com/apppasswords. Add more accounts later to send more each day.
          </EmptyState>
        </Card>
      ) : (
        <Flex direction="column" gap="3">
          {list.map((account) => (
            <AccountCard key={account.id} account={account} onEdit={() => setEditing(account)} onRemove={() => setRemoving(account)} />
          ))}
        </Flex>
      )}

      <AccountDialog open={adding} onClose={() => setAdding(false)} />
      <AccountDialog open={editing !== null} account={editing ?? undefined} onClose={() => setEditing(null)} />
      <ConfirmDialog
        open={removing !== null}
        onClose={() => setRemoving(null)}
        title={`Remove ${removing?.email ?? ''}?`}
        confirmLabel="Remove account"
        onConfirm={async () => {
          if (!removing) return;
          const result = await remove.run('accounts.remove', { id: removing.id });
          if (!result) return remove.error?.message ?? 'The account could not be removed.';
          toast(`${removing.email} removed.`);
        }}
      >
        Trickle will stop sending from this account and forget its app password. Its sends stay counted for 24 hours, so adding it back
        later cannot go past Gmail’s limit.
      </ConfirmDialog>
    </>
  );
}

const ATTENTION: Record<Account['state'], number> = { auth_failed: 0, limit_reached: 1, cooling: 2, ok: 3, disabled: 4 };

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

function AccountCard({ account, onEdit, onRemove }: { account: Account; onEdit: () => void; onRemove: () => void }) {
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

const INBOX: Record<Account['inbox']['state'], { label: string; color: 'green' | 'red' | 'amber' | 'gray' }> = {
  ok: { label: 'Mailbox read', color: 'green' },
  auth_failed: { label: 'Mailbox login refused', color: 'red' },
  unreachable: { label: 'Mailbox unreachable', color: 'amber' },
  off: { label: 'Mailbox not read', color: 'gray' },
};

/** How reading the account's mailbox goes (PRODUCT.md §5b), and "Check now". A mailbox problem never stops sending. */
function InboxRow({ account }: { account: Account }) {
  const check = useActionState();
  const toast = useToast();
  const inbox = account.inbox;
  const look = INBOX[inbox.state];
  const line =
    inbox.state === 'ok'
      ? inbox.lastCheckAt
        ? `Last looked ${when(inbox.lastCheckAt)}: bounces, unsubscribe requests and replies are read from its inbox.${inbox.detail ? ` ${inbox.detail}` : ''}`
        : (inbox.detail ?? 'Not looked at yet.')
      : `${inbox.detail ?? ''}${inbox.lastCheckAt ? ` (last try ${when(inbox.lastCheckAt)})` : ''}`;
  return (
    <Flex className="tr-inbox" mt="3" pt="3" gap="3" align="center" justify="between" wrap="wrap">
      <Flex gap="2" align="center" minWidth="0" className="tr-inbox__state">
        <Badge color={look.color} variant="soft" radius="full">
          <EnvelopeClosedIcon /> {look.label}
        </Badge>
        <Text size="1" color={inbox.state === 'auth_failed' ? 'red' : 'gray'} className="tr-break">
          {line}
        </Text>
      </Flex>
      {inbox.state !== 'off' && (
        <Button
          size="1"
          variant="soft"
          color="gray"
          loading={check.busy}
          onClick={async () => {
            const result = await check.run('accounts.checkInbox', { id: account.id });
            if (!result) toast(check.error?.message ?? 'Could not read the mailbox.', 'error');
            else if (result.problem) toast(result.problem, 'error');
            else toast(foundWords(account.email, result));
          }}
        >
          <ReloadIcon /> Check now
        </Button>
      )}
    </Flex>
  );
}

/** "alice@gmail.com: 2 bounces, 1 reply." or "… nothing new." */
function foundWords(email: string, r: InboxCheckResult): string {
  const parts = [
    r.bounces && plural(r.bounces, 'bounce'),
    r.unsubscribes && plural(r.unsubscribes, 'unsubscribe request'),
    r.replies && plural(r.replies, 'reply', 'replies'),
    r.autoReplies && plural(r.autoReplies, 'auto-reply', 'auto-replies'),
    r.settled && `${plural(r.settled, 'message')} in doubt settled`,
  ].filter(Boolean);
  return `${email}: ${parts.length ? `${parts.join(', ')}.` : 'nothing new.'}`;
}
