/** `#/campaigns/12` and `#/campaigns/12/edit`: loads the campaign, then shows the page campaign-page.ts chooses. */
import { lazy } from 'react';
import { useApi } from '../api/hooks';
import { BackToCampaigns } from '../components/BackToCampaigns';
import { ErrorCallout, Loading, PageHeader } from '../components/ui';
import { useSavesSettled } from '../features/campaign-editor/use-autosave';
import { type CampaignRoutePage, campaignPageFor } from './campaign-page';

// Fetched when opened (issue 17); the Suspense of App.tsx shows Loading meanwhile.
const editor = () => import('../features/campaign-editor/CampaignEditorPage');
const CampaignEditorPage = lazy(() => editor().then((m) => ({ default: m.CampaignEditorPage })));
const NotEditablePage = lazy(() => editor().then((m) => ({ default: m.NotEditablePage })));
const CampaignProgressPage = lazy(() =>
  import('../features/campaign-progress/CampaignProgressPage').then((m) => ({ default: m.CampaignProgressPage })),
);

export function CampaignRoute({ id, page }: { id: number; page: CampaignRoutePage }) {
  // A draft just left in the editor may still be saving: it is read once that is done, and read
  // afresh, so the editor opens on the last edit, never on what a cache held before it.
  const settled = useSavesSettled(id);
  const campaign = useApi('campaigns.get', { id }, { enabled: settled, refetchOnMount: 'always' });
  if (!settled || campaign.isPending || (!campaign.isFetchedAfterMount && campaign.isFetching)) return <Loading />;
  if (campaign.error) {
    return (
      <>
        <PageHeader title="Campaign" back={<BackToCampaigns />} />
        <ErrorCallout error={campaign.error} onRetry={() => void campaign.refetch()} />
      </>
    );
  }
  const c = campaign.data;
  switch (campaignPageFor(page, c.status)) {
    case 'editor':
      return <CampaignEditorPage campaign={c} />;
    case 'progress':
      return <CampaignProgressPage campaign={c} />;
    case 'not-editable':
      return <NotEditablePage campaign={c} />;
  }
}
