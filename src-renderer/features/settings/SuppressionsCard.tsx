/** The suppression list: addresses Trickle never sends to — search, add, and remove after a warning. */
import { MagnifyingGlassIcon, PlusIcon, TrashIcon } from '@radix-ui/react-icons';
import { Badge, Box, Button, Flex, Grid, IconButton, Text, TextField } from '@radix-ui/themes';
import { useEffect, useState } from 'react';
import type { Suppression } from '../../../src-shared/views/suppressions';
import { fieldError } from '../../api/errors';
import { useActionState, useApi } from '../../api/hooks';
import { Table } from '../../components/Table';
import { useToast } from '../../components/Toasts';
import { ConfirmDialog, describedBy, ErrorCallout, Field, Loading } from '../../components/ui';
import { day, num } from '../../lib/format';
import { SectionCard } from '../../components/SectionCard';
import { BulkSuppressions } from './BulkSuppressions';

const REASON: Record<string, { label: string; color: 'gray' | 'red' | 'amber' }> = {
  unsubscribed: { label: 'Unsubscribed', color: 'amber' },
  bounced: { label: 'Bounced', color: 'red' },
  manual: { label: 'Added by hand', color: 'gray' },
};

export function SuppressionsCard() {
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
    <SectionCard
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
                <TextField.Root
                  {...describedBy('sup-add', add.error?.message, false)}
                  type="email"
                  value={email}
                  onChange={(ev) => setEmail(ev.target.value)}
                  placeholder="someone@example.com"
                />
              </Box>
              <Button type="submit" variant="soft" loading={add.busy} disabled={!email.trim()}>
                <PlusIcon /> Add
              </Button>
              <BulkSuppressions />
            </Flex>
          </Field>
        </form>
        <Field id="sup-search" label="Search">
          <TextField.Root
            {...describedBy('sup-search', undefined, false)}
            type="search"
            value={search}
            onChange={(ev) => setSearch(ev.target.value)}
            placeholder="Part of an address"
          >
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
          {query
            ? `No suppressed address contains “${query}”.`
            : 'The list is empty. Unsubscribes and bounces are added here automatically.'}
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
                      {s.source && (
                        <Text as="div" size="1" color="gray">
                          From {s.source.account}’s inbox{s.source.campaignName ? ` · “${s.source.campaignName}”` : ''}
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
            {list.data.total > list.data.items.length
              ? `Showing ${num(list.data.items.length)} of ${num(list.data.total)}. Search to find others.`
              : `${num(list.data.total)} in all.`}
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
    </SectionCard>
  );
}
