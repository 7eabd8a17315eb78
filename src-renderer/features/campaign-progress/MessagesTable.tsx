/** A table of a campaign's messages (row, recipient, why, an action), and the server's reply for one. */
import { Text } from '@radix-ui/themes';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { Message } from '../../../src-shared/views/campaigns';
import type { ApiResult } from '../../api/client';
import type { ApiCallError } from '../../api/errors';
import { Table } from '../../components/Table';
import { ErrorCallout, Loading } from '../../components/ui';
import { num, serverLine } from '../../lib/format';

export function MessagesTable({
  query,
  reasonTitle,
  renderReason,
  action,
}: {
  query: UseQueryResult<ApiResult<'campaigns.messages'>, ApiCallError>;
  reasonTitle: string;
  renderReason: (m: Message) => ReactNode;
  action?: (m: Message) => ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (query.error) return <ErrorCallout error={query.error} onRetry={() => void query.refetch()} />;
  const { items, total } = query.data;
  if (items.length === 0)
    return (
      <Text size="2" color="gray">
        None any more.
      </Text>
    );
  return (
    <>
      <Table.Root size="1" variant="surface" className="tr-table tr-messages">
        <Table.Header>
          <Table.Row>
            <Table.ColumnHeaderCell className="tr-col-row">Row</Table.ColumnHeaderCell>
            <Table.ColumnHeaderCell className="tr-col-email">Recipient</Table.ColumnHeaderCell>
            <Table.ColumnHeaderCell>{reasonTitle}</Table.ColumnHeaderCell>
            {action && <Table.ColumnHeaderCell className="tr-col-action" aria-label="Actions" />}
          </Table.Row>
        </Table.Header>
        <Table.Body>
          {items.map((m) => (
            <Table.Row key={m.id} align="center">
              <Table.Cell>{num(m.row)}</Table.Cell>
              <Table.Cell className="tr-break">
                {m.email}
                {m.name && (
                  <Text as="div" size="1" color="gray">
                    {m.name}
                  </Text>
                )}
              </Table.Cell>
              <Table.Cell>{renderReason(m)}</Table.Cell>
              {action && <Table.Cell justify="end">{action(m)}</Table.Cell>}
            </Table.Row>
          ))}
        </Table.Body>
      </Table.Root>
      {total > items.length && (
        <Text as="p" size="1" color="gray" mt="2">
          Showing the first {num(items.length)} of {num(total)}. Export CSV for the full list.
        </Text>
      )}
    </>
  );
}

export function ServerReply({ message }: { message: Message }) {
  if (!message.lastError) return null;
  return (
    <>
      <Text as="div" size="2">
        {message.lastError.explanation || 'The server refused it.'}
      </Text>
      {message.lastError.response && (
        <Text as="div" size="1" color="gray" className="tr-server-reply">
          {serverLine(message.lastError.code, message.lastError.response)}
        </Text>
      )}
    </>
  );
}
