/** Trickle's window: sidebar, sending-status strip, and the page the hash names. */
import { LockClosedIcon } from '@radix-ui/react-icons';
import { Card, Code, Flex, Heading, Link, Text } from '@radix-ui/themes';
import { type ReactNode, Suspense, lazy, useEffect, useState } from 'react';
import { useClient } from './api/hooks';
import { Sidebar, StatusStrip } from './components/Shell';
import { useToast } from './components/Toasts';
import { EmptyState, Loading, PageHeader } from './components/ui';
import { useRoute } from './lib/route';
import { ProgressOverviewPage } from './features/overview/ProgressOverviewPage';

// Each page but the first one a user sees (Progress) is its own file, fetched when it is opened:
// the window's first load carries only what that page needs (issue 17).
const AccountsPage = lazy(() => import('./features/accounts/AccountsPage').then((m) => ({ default: m.AccountsPage })));
const CampaignEditorPage = lazy(() =>
  import('./features/campaign-editor/CampaignEditorPage').then((m) => ({ default: m.CampaignEditorPage })),
);
const CampaignsPage = lazy(() => import('./features/campaign-list/CampaignListPage').then((m) => ({ default: m.CampaignsPage })));
const SettingsPage = lazy(() => import('./features/settings/SettingsPage').then((m) => ({ default: m.SettingsPage })));
const CampaignRoute = lazy(() => import('./router/CampaignRoute').then((m) => ({ default: m.CampaignRoute })));

const TITLES: Record<string, string> = {
  progress: 'Progress',
  campaigns: 'Campaigns',
  'campaign-new': 'New campaign',
  campaign: 'Campaign',
  'campaign-edit': 'Edit campaign',
  accounts: 'Accounts',
  settings: 'Settings',
  'not-found': 'Not found',
};

export function App() {
  const client = useClient();
  const route = useRoute();
  const [unauthorized, setUnauthorized] = useState(false);
  const toast = useToast();
  useEffect(() => client.onUnauthorized(() => setUnauthorized(true)), [client]);
  // A campaign whose bounces passed 5 % (the engine says so once): Gmail blocks accounts that send to many dead addresses.
  useEffect(
    () =>
      client.on('bounces', ({ name, bounced, out, percent }) =>
        toast(
          `“${name}”: ${bounced} of ${out} messages came back undelivered (${percent} %). Check where the list came from before sending more.`,
          'error',
        ),
      ),
    [client, toast],
  );
  useEffect(() => {
    document.title = `${TITLES[route.page] ?? 'Trickle'} · Trickle`;
    // A new page starts at its top (the content scrolls inside the window, not the document).
    document.getElementById('main')?.scrollTo(0, 0);
  }, [route]);

  if (unauthorized) return <Unauthorized />;

  let page: ReactNode;
  switch (route.page) {
    case 'progress':
      page = <ProgressOverviewPage />;
      break;
    case 'campaigns':
      page = <CampaignsPage />;
      break;
    case 'campaign-new':
      page = <CampaignEditorPage />;
      break;
    case 'campaign':
    case 'campaign-edit':
      // Which page a campaign opens on (editor or progress) is decided by router/campaign-page.ts.
      page = <CampaignRoute key={`${route.page}-${route.id}`} id={route.id} page={route.page} />;
      break;
    case 'accounts':
      page = <AccountsPage />;
      break;
    case 'settings':
      page = <SettingsPage />;
      break;
    default:
      page = (
        <>
          <PageHeader title="Page not found" />
          <Text>
            There is nothing at “{route.path}”. <Link href="#/progress">Go to Progress</Link>.
          </Text>
        </>
      );
  }

  return (
    <div className="tr-app">
      <Sidebar route={route} />
      <div className="tr-main">
        <StatusStrip />
        <main className="tr-content" id="main">
          <div className="tr-page">
            <Suspense fallback={<Loading />}>{page}</Suspense>
          </div>
        </main>
      </div>
    </div>
  );
}

function Unauthorized() {
  return (
    <Flex className="tr-fullpage" align="center" justify="center" p="5">
      <Card size="4" className="tr-fullpage__card">
        <EmptyState icon={<LockClosedIcon width="28" height="28" />} title="Open the link Trickle printed when it started">
          <Flex direction="column" gap="3">
            <Text as="p">
              This page needs Trickle’s access key. In the terminal where Trickle is running, find the line that starts with{' '}
              <Code>Open http://127.0.0.1:…/?token=</Code> and open that link in this browser. It hands the key to this page, which keeps it
              for this address only and sends it with each request — no cookie, so no other site or local app receives it.
            </Text>
            <Text as="p" size="2" color="gray">
              The key stays in the data folder, so the same link works after a restart. Opened again at the same address, this page
              remembers it.
            </Text>
          </Flex>
        </EmptyState>
        <Heading as="h2" size="1" className="tr-visually-hidden">
          Not signed in
        </Heading>
      </Card>
    </Flex>
  );
}
