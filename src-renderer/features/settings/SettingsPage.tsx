/** Settings: the sending pace, the mailbox checks, rehearsals, desktop-only options, and the suppression list — a card each. */
import { Flex } from '@radix-ui/themes';
import { useApi } from '../../api/hooks';
import { ErrorCallout, Loading, PageHeader } from '../../components/ui';
import { DesktopCard } from './DesktopCard';
import { MailboxCard } from './MailboxCard';
import { RehearsalCard } from './RehearsalCard';
import { SendingPaceCard } from './SendingPaceCard';
import { SuppressionsCard } from './SuppressionsCard';

export function SettingsPage() {
  const settings = useApi('settings.get');
  const info = useApi('app.info', undefined, { staleTime: Infinity, refetchInterval: false });
  return (
    <>
      <PageHeader title="Settings" description="How fast Trickle sends, and who it never sends to." />
      {settings.isPending ? (
        <Loading />
      ) : settings.error ? (
        <ErrorCallout error={settings.error} onRetry={() => void settings.refetch()} />
      ) : (
        <Flex direction="column" gap="4" className="tr-settings">
          <SendingPaceCard settings={settings.data} />
          <MailboxCard settings={settings.data} />
          <RehearsalCard dataDir={info.data?.dataDir} />
          {info.data?.door === 'desktop' && <DesktopCard />}
          <SuppressionsCard />
        </Flex>
      )}
    </>
  );
}
