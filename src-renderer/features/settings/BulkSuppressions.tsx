/**
 * Many addresses at once: a pasted list, or a CSV file (another tool's unsubscribes, say),
 * with a report as a campaign import gives: added, already there, repeated, and each invalid
 * row with its reason.
 */
import { UploadIcon } from '@radix-ui/react-icons';
import { Button, Callout, Flex, Text, TextArea } from '@radix-ui/themes';
import { useRef, useState } from 'react';
import type { SuppressionImportReport } from '../../../src-shared/views/suppressions';
import { useActionState } from '../../api/hooks';
import { Modal } from '../../components/Modal';
import { ErrorCallout } from '../../components/ui';
import { csvFileTooLarge, decodeText } from '../../lib/csv';
import { readArrayBuffer } from '../../lib/files';
import { num, plural } from '../../lib/format';

export function BulkSuppressions() {
  const [open, setOpen] = useState(false);
  const [pasted, setPasted] = useState('');
  const [report, setReport] = useState<SuppressionImportReport>();
  const [fileProblem, setFileProblem] = useState<string>();
  const fileInput = useRef<HTMLInputElement>(null);
  const add = useActionState();

  async function addPasted() {
    const emails = pasted
      .split(/[\r\n,;\t]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    const result = await add.run('suppressions.addMany', { emails });
    if (result) {
      setReport(result);
      setPasted('');
    }
  }

  async function addFile(file: File) {
    setFileProblem(undefined);
    const tooLarge = csvFileTooLarge(file.size);
    if (tooLarge) return setFileProblem(tooLarge);
    const csv = decodeText(await readArrayBuffer(file));
    const result = await add.run('suppressions.addMany', { csv });
    if (result) setReport(result);
  }

  return (
    <>
      <Button type="button" variant="soft" onClick={() => setOpen(true)}>
        <UploadIcon /> Add many…
      </Button>
      <Modal
        open={open}
        onClose={() => {
          setOpen(false);
          setReport(undefined);
          add.setError(null);
        }}
        title="Add many addresses"
        description="Paste addresses (one per line, or separated by commas), or choose a CSV file with an email column."
        width={560}
        closeOnBackdrop
      >
        <Flex direction="column" gap="3">
          <TextArea
            aria-label="Addresses to suppress"
            rows={6}
            value={pasted}
            onChange={(ev) => setPasted(ev.target.value)}
            placeholder={'ann@example.com\nben@example.com'}
          />
          <Flex gap="2" justify="between" wrap="wrap">
            <Button type="button" variant="soft" onClick={() => fileInput.current?.click()}>
              Choose a CSV file…
            </Button>
            <input
              ref={fileInput}
              type="file"
              accept=".csv,.txt,text/csv,text/plain"
              hidden
              aria-label="CSV file of addresses to suppress"
              onChange={(ev) => {
                const file = ev.target.files?.[0];
                ev.target.value = '';
                if (file) void addFile(file);
              }}
            />
            <Button type="button" loading={add.busy} disabled={!pasted.trim()} onClick={() => void addPasted()}>
              Add these addresses
            </Button>
          </Flex>
          {fileProblem && <ErrorCallout error={fileProblem} />}
          {add.error && <ErrorCallout error={add.error} title="Nothing was added." />}
          {report && <BulkReport report={report} />}
        </Flex>
      </Modal>
    </>
  );
}

function BulkReport({ report }: { report: SuppressionImportReport }) {
  return (
    <Callout.Root color={report.invalid.length ? 'amber' : 'green'} role="status">
      <Callout.Text>
        <strong>Added {plural(report.added, 'address', 'addresses')}.</strong>
        {report.alreadySuppressed > 0 && ` ${num(report.alreadySuppressed)} already on the list.`}
        {report.duplicates > 0 && ` ${plural(report.duplicates, 'repeat')} skipped.`}
        {report.invalid.length > 0 && ` ${plural(report.invalid.length, 'row')} not added:`}
      </Callout.Text>
      {report.invalid.length > 0 && (
        <ul className="tr-report-list">
          {report.invalid.slice(0, 50).map((r) => (
            <li key={r.row}>
              <Text size="2">
                Row {r.row}: <code>{r.value || '(empty)'}</code> — {r.reason}
              </Text>
            </li>
          ))}
          {report.invalid.length > 50 && <li>… and {num(report.invalid.length - 50)} more.</li>}
        </ul>
      )}
    </Callout.Root>
  );
}
