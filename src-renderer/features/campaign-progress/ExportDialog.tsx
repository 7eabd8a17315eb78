/** "Export CSV": which recipients, and the separator the user's spreadsheet splits at. */
import { Button, Flex, Text } from '@radix-ui/themes';
import { useState } from 'react';
import type { MessageStatus } from '../../../src-shared/states';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { ErrorCallout } from '../../components/ui';
import { Modal } from '../../components/Modal';
import { num } from '../../lib/format';

export interface ExportOptions {
  status?: MessageStatus;
  delimiter?: ',' | ';' | '\t';
}

const DELIMITERS = [
  { value: '', label: 'As in the imported file' },
  { value: ',', label: 'Comma (,)' },
  { value: ';', label: 'Semicolon (;) — Excel in much of Europe' },
  { value: '\t', label: 'Tab' },
] as const;

export function ExportDialog({
  open,
  onClose,
  campaign,
  onExport,
}: {
  open: boolean;
  onClose: () => void;
  campaign: Campaign;
  onExport: (options: ExportOptions) => Promise<string | undefined>;
}) {
  const [which, setWhich] = useState<'all' | MessageStatus>('all');
  const [delimiter, setDelimiter] = useState<'' | ',' | ';' | '\t'>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const statuses = (Object.entries(campaign.counts) as [MessageStatus, number][]).filter(([, n]) => n > 0);
  return (
    <Modal
      open={open}
      onClose={onClose}
      title="Export the results"
      description="A CSV file your spreadsheet opens as it is; filtered, it imports again into a new campaign."
      closeOnBackdrop
    >
      <form
        onSubmit={async (ev) => {
          ev.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            const problem = await onExport({ ...(which !== 'all' ? { status: which } : {}), ...(delimiter ? { delimiter } : {}) });
            if (problem) setError(problem);
            else onClose();
          } finally {
            setBusy(false);
          }
        }}
      >
        <Flex direction="column" gap="3">
          <label className="tr-field">
            <Text size="2" weight="medium">
              Recipients
            </Text>
            <select className="tr-select" value={which} onChange={(ev) => setWhich(ev.target.value as 'all' | MessageStatus)}>
              <option value="all">All ({num(campaign.total)})</option>
              {statuses.map(([status, n]) => (
                <option key={status} value={status}>
                  Only {status.replace('_', ' ')} ({num(n)})
                </option>
              ))}
            </select>
          </label>
          <label className="tr-field">
            <Text size="2" weight="medium">
              Separator
            </Text>
            <select className="tr-select" value={delimiter} onChange={(ev) => setDelimiter(ev.target.value as '' | ',' | ';' | '\t')}>
              {DELIMITERS.map((d) => (
                <option key={d.label} value={d.value}>
                  {d.label}
                </option>
              ))}
            </select>
          </label>
          <Text size="1" color="gray">
            Every column of your list is in it, with the outcome and the send time in your time zone and in UTC.
          </Text>
          {error && <ErrorCallout error={error} />}
          <Flex gap="3" justify="end">
            <Button type="button" variant="soft" color="gray" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" loading={busy}>
              Download CSV
            </Button>
          </Flex>
        </Flex>
      </form>
    </Modal>
  );
}
