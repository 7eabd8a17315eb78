/** Accounts: the Gmail accounts Trickle sends from, their state and their rolling 24-hour capacity. */
import { PersonIcon, PlusIcon } from '@radix-ui/react-icons';
import { Button, Card, Flex } from '@radix-ui/themes';
import { useState } from 'react';
import type { Account } from '../../../src-shared/views/accounts';
import { useActionState, useApi } from '../../api/hooks';
import { useToast } from '../../components/Toasts';
import { ConfirmDialog, EmptyState, ErrorCallout, Loading, PageHeader } from '../../components/ui';
import { num } from '../../lib/format';
import { AccountCard } from './AccountCard';
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
