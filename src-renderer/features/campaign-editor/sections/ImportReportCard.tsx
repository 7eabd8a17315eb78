/**
 * What an import of recipients did: imported (or added to the list), duplicates (those already
 * in the list among them), invalid rows (as the file numbers them, with why), suppressed.
 */
import { CheckCircledIcon, Cross2Icon } from '@radix-ui/react-icons';
import { Box, Card, Flex, Grid, Heading, IconButton, Text } from '@radix-ui/themes';
import type { ImportReport } from '../../../../src-shared/views/campaigns';
import { Table } from '../../../components/Table';
import { VirtualRows } from '../../../components/VirtualRows';
import { num, plural } from '../../../lib/format';

export function ImportReportCard({ report, listTotal, onClose }: { report: ImportReport; listTotal?: number; onClose: () => void }) {
  const skipped = report.duplicates + report.invalid.length + report.suppressed;
  const added = report.alreadyInList !== undefined;
  return (
    <Card size="3" mb="4" className="tr-report">
      <Flex justify="between" align="start" gap="3">
        <Flex gap="3" align="start">
          <CheckCircledIcon width="22" height="22" className="tr-report__icon" />
          <Box>
            <Heading as="h2" size="4">
              {added ? `Added ${plural(report.imported, 'recipient')} to the list` : `Imported ${plural(report.imported, 'recipient')}`}
            </Heading>
            <Text as="p" size="2" color="gray">
              {added && listTotal !== undefined ? `The list now has ${plural(listTotal, 'recipient')}. ` : ''}
              {skipped === 0 ? 'Every row had a valid, new address.' : `${plural(skipped, 'row')} will not be sent to:`}
            </Text>
          </Box>
        </Flex>
        <IconButton variant="ghost" color="gray" aria-label="Hide the import report" onClick={onClose} className="tr-flush">
          <Cross2Icon />
        </IconButton>
      </Flex>
      <Grid columns={{ initial: '2', sm: '4' }} gap="3" mt="3">
        <ReportStat label={added ? 'Added' : 'Imported'} value={report.imported} tone="green" />
        <ReportStat
          label="Duplicates removed"
          value={report.duplicates}
          detail={report.alreadyInList ? `${num(report.alreadyInList)} already in the list` : undefined}
        />
        <ReportStat label="Invalid addresses" value={report.invalid.length} tone={report.invalid.length ? 'red' : undefined} />
        <ReportStat label="On the suppression list" value={report.suppressed} />
      </Grid>
      {report.invalid.length > 0 && (
        <Box mt="4">
          <Text as="p" size="2" weight="medium" mb="2">
            Invalid addresses, numbered as in your file or list — fix them there if they matter, then add it to this list again (the
            addresses already in it are left out):
          </Text>
          <VirtualRows
            items={report.invalid}
            label="Invalid addresses"
            header={
              <>
                <Table.ColumnHeaderCell className="tr-col-row">Row</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Value</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Why</Table.ColumnHeaderCell>
              </>
            }
            row={(r) => (
              <Table.Row key={r.row}>
                <Table.Cell>{num(r.row)}</Table.Cell>
                <Table.Cell title={r.value}>{r.value || <Text color="gray">(empty)</Text>}</Table.Cell>
                <Table.Cell title={r.reason}>{r.reason}</Table.Cell>
              </Table.Row>
            )}
          />
        </Box>
      )}
    </Card>
  );
}

function ReportStat({ label, value, tone, detail }: { label: string; value: number; tone?: 'green' | 'red'; detail?: string }) {
  return (
    <Box className={`tr-tile${tone ? ` tr-tile--${tone}` : ''}`}>
      <Text as="div" size="5" weight="bold">
        {num(value)}
      </Text>
      <Text as="div" size="1" color="gray">
        {label}
      </Text>
      {detail && (
        <Text as="div" size="1" color="gray">
          ({detail})
        </Text>
      )}
    </Box>
  );
}
