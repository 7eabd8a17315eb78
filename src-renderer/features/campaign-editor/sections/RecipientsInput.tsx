/** The recipients of a new campaign: a CSV file or pasted addresses, and which column holds the addresses. */
import { ExclamationTriangleIcon, FileIcon } from '@radix-ui/react-icons';
import { Badge, Box, Callout, Flex, Grid, SegmentedControl, Text, TextArea } from '@radix-ui/themes';
import { describedBy, Field, Note } from '../../../components/ui';
import type { CsvShape } from '../../../lib/csv';
import { plural } from '../../../lib/format';
import { repeatKeys } from '../../../lib/keys';
import type { Pasted } from '../campaign-args';
import { FilePicker } from '../FilePicker';
import type { Recipients } from '../form';

export function RecipientsInput({
  recipients,
  setRecipients,
  shape,
  pasted,
  emailColumn,
  error,
  onPickFile,
}: {
  recipients: Recipients;
  setRecipients: (update: (r: Recipients) => Recipients) => void;
  shape: CsvShape | undefined;
  pasted: Pasted;
  emailColumn: string;
  error: string | undefined;
  onPickFile: (file: File) => void;
}) {
  // A file may name two columns alike; each keeps its own key.
  const columnKeys = shape ? repeatKeys(shape.columns, (c) => c) : [];
  return (
    <>
      <SegmentedControl.Root
        value={recipients.mode}
        onValueChange={(mode) => setRecipients((r) => ({ ...r, mode: mode as 'file' | 'paste', emailColumn: '' }))}
        aria-label="Where the recipients come from"
        className="tr-fit"
      >
        <SegmentedControl.Item value="file">From a CSV file</SegmentedControl.Item>
        <SegmentedControl.Item value="paste">Paste addresses</SegmentedControl.Item>
      </SegmentedControl.Root>

      {recipients.mode === 'file' ? (
        <Flex direction="column" gap="2">
          <Flex align="center" gap="3" wrap="wrap">
            <FilePicker
              id="c-csv"
              label={recipients.fileName ? 'Choose another file' : 'Choose a CSV file'}
              accept=".csv,.txt,text/csv,text/plain"
              onFiles={(f) => f[0] && onPickFile(f[0])}
            />
            {recipients.fileName ? (
              <Text size="2" className="tr-break">
                <FileIcon className="tr-inline-icon" /> {recipients.fileName}
                {shape ? ` — ${plural(shape.rows, 'row')}, ${plural(shape.columns.length, 'column')}` : ''}
              </Text>
            ) : (
              <Text size="2" color="gray">
                A spreadsheet saved as CSV, with a header row (e.g. email, name, …).
              </Text>
            )}
          </Flex>
          {recipients.fileError && (
            <Text size="2" color="red" role="alert">
              {recipients.fileError}
            </Text>
          )}
        </Flex>
      ) : (
        <Field
          id="c-paste"
          label="Addresses"
          hint={
            pasted?.kind === 'list'
              ? `${plural(pasted.emails.length, 'address', 'addresses')} — duplicates and invalid ones are reported when you save.`
              : pasted?.kind === 'csv'
                ? `Read as CSV: ${plural(pasted.shape.rows, 'row')}, ${plural(pasted.shape.columns.length, 'column')}.`
                : 'One address per line — or CSV text with a header row, copied from a spreadsheet.'
          }
        >
          <TextArea
            {...describedBy('c-paste', undefined)}
            rows={6}
            className="tr-code"
            value={recipients.paste}
            onChange={(ev) => setRecipients((r) => ({ ...r, paste: ev.target.value }))}
            placeholder={'ann@example.com\nbob@example.org'}
            spellCheck={false}
          />
        </Field>
      )}

      {shape && (
        <Grid columns={{ initial: '1', sm: '2fr 3fr' }} gap="4" className="tr-subtle-box">
          <Field
            id="c-email-col"
            label="Column with the email addresses"
            hint={
              shape.detectedEmailColumn
                ? 'Found by its name.'
                : shape.likelyEmailColumn
                  ? 'Guessed from its contents: check it.'
                  : 'Choose the column that holds the addresses.'
            }
          >
            <select
              {...describedBy('c-email-col', undefined)}
              className="tr-select"
              value={emailColumn}
              onChange={(ev) => setRecipients((r) => ({ ...r, emailColumn: ev.target.value }))}
            >
              {!emailColumn && <option value="">Choose a column…</option>}
              {shape.columns.map((c, i) =>
                c ? (
                  <option key={columnKeys[i]} value={c}>
                    {c}
                  </option>
                ) : null,
              )}
            </select>
          </Field>
          <Box minWidth="0">
            <Text as="p" size="2" weight="medium" mb="1">
              Columns found
            </Text>
            <Flex gap="1" wrap="wrap">
              {shape.columns.map((c, i) =>
                c ? (
                  <Badge key={columnKeys[i]} color={c === emailColumn ? 'indigo' : 'gray'} variant={c === emailColumn ? 'solid' : 'soft'}>
                    {c}
                  </Badge>
                ) : null,
              )}
            </Flex>
            <Text as="p" size="1" color="gray" mt="1">
              The other columns become merge fields.
            </Text>
          </Box>
          {shape.headerLooksLikeData && (
            <Box gridColumn="1 / -1">
              <Note color="amber">
                The first row holds an address: the file seems to have no header row. Add one (e.g. “email,name”) at the top.
              </Note>
            </Box>
          )}
        </Grid>
      )}

      {error && (
        <Callout.Root color="red" role="alert">
          <Callout.Icon>
            <ExclamationTriangleIcon />
          </Callout.Icon>
          <Callout.Text>{error}</Callout.Text>
        </Callout.Root>
      )}
    </>
  );
}
