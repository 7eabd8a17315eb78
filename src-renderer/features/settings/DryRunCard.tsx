/** Dry run: rehearse without sending, every message written to dry-run.log instead. */
import { Badge, Box, Flex, Switch, Text } from '@radix-ui/themes';
import type { Settings } from '../../../src-shared/views/settings';
import { useActionState } from '../../api/hooks';
import { useToast } from '../../components/Toasts';
import { SectionCard } from '../../components/SectionCard';

export function DryRunCard({ settings, dataDir }: { settings: Settings; dataDir: string | undefined }) {
  const save = useActionState();
  const toast = useToast();
  return (
    <SectionCard title="Dry run">
      <Flex gap="4" align="start" justify="between">
        <Box>
          <Text as="label" htmlFor="s-dry" size="2" weight="medium">
            Rehearse without sending
          </Text>
          <Text as="p" size="2" color="gray" mt="1" id="s-dry-hint">
            Every message is prepared exactly as it would go out and written to <code className="tr-code-inline">dry-run.log</code> in the
            data folder{dataDir ? <> (<span className="tr-break">{dataDir}</span>)</> : ''} instead. Nothing is sent, and Gmail’s limits are not touched.
            Turn it off before your real campaign.
          </Text>
          {save.error && (
            <Text as="p" size="2" color="red" mt="1">
              {save.error.message}
            </Text>
          )}
        </Box>
        <Flex align="center" gap="2" className="tr-nowrap">
          {settings.dryRun && <Badge color="purple">On</Badge>}
          <Switch
            id="s-dry"
            size="3"
            aria-describedby="s-dry-hint"
            checked={settings.dryRun}
            disabled={save.busy}
            onCheckedChange={async (dryRun) => {
              const result = await save.run('settings.update', { dryRun });
              if (result) toast(dryRun ? 'Dry run is on: nothing will be sent.' : 'Dry run is off: messages are really sent.');
            }}
          />
        </Flex>
      </Flex>
    </SectionCard>
  );
}
