/** What the import of a new campaign's recipients did: imported, duplicates, invalid rows (with why), suppressed. */
import { CheckCircledIcon, Cross2Icon } from '@radix-ui/react-icons';
import { Box, Card, Flex, Grid, Heading, IconButton, Text } from '@radix-ui/themes';
import type { ImportReport } from '../../../../src-shared/views/campaigns';
import { Table } from '../../../components/Table';
import { VirtualRows } from '../../../components/VirtualRows';
import { num, plural } from '../../../lib/format';

export function ImportReportCard({ report, onClose }: { report: ImportReport; onClose: () => void }) {
  const skipped = report.duplicates + report.invalid.length + report.suppressed;
  return (
    <Card size="3" mb="4" className="tr-report">
      <Flex justify="between" align="start" gap="3">
        <Flex gap="3" align="start">
          <CheckCircledIcon width="22" height="22" className="tr-report__icon" />
          <Box>
            <Heading as="h2" size="4">
              Imported {plural(report.imported, 'recipient')}
            </Heading>
            <Text as="p" size="2" color="gray">
              {skipped === 0 ? 'Every row had a valid, new address.' : `${plural(skipped, 'row')} will not be sent to:`}
            </Text>
          </Box>
        </Flex>
        <IconButton variant="ghost" color="gray" aria-label="Hide the import report" onClick={onClose} className="tr-flush">
          <Cross2Icon />
        </IconButton>
      </Flex>
      <Grid columns={{ initial: '2', sm: '4' }} gap="3" mt="3">
        <ReportStat label="Imported" value={report.imported} tone="green" />
        <ReportStat label="Duplicates removed" value={report.duplicates} />
        <ReportStat label="Invalid addresses" value={report.invalid.length} tone={report.invalid.length ? 'red' : undefined} />
        <ReportStat label="On the suppression list" value={report.suppressed} />
      </Grid>
      {report.invalid.length > 0 && (
        <Box mt="4">
          <Text as="p" size="2" weight="medium" mb="2">
            Invalid addresses — fix them in the file if they matter, and import them in a new campaign:
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

function ReportStat({ label, value, tone }: { label: string; value: number; tone?: 'green' | 'red' }) {
  return (
    <Box className={`tr-tile${tone ? ` tr-tile--${tone}` : ''}`}>
      <Text as="div" size="5" weight="bold">
        {num(value)}
      </Text>
      <Text as="div" size="1" color="gray">
        {label}
      </Text>
    </Box>
  );
}
