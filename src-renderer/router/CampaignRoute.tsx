/** `#/campaigns/12` and `#/campaigns/12/edit`: loads the campaign, then shows the page campaign-page.ts chooses. */
import { lazy } from 'react';
import { useApi } from '../api/hooks';
import { BackToCampaigns } from '../components/BackToCampaigns';
import { ErrorCallout, Loading, PageHeader } from '../components/ui';
import { type CampaignRoutePage, campaignPageFor } from './campaign-page';

// Fetched when opened (issue 17); the Suspense of App.tsx shows Loading meanwhile.
const editor = () => import('../features/campaign-editor/CampaignEditorPage');
const CampaignEditorPage = lazy(() => editor().then((m) => ({ default: m.CampaignEditorPage })));
const NotEditablePage = lazy(() => editor().then((m) => ({ default: m.NotEditablePage })));
const CampaignProgressPage = lazy(() => import('../features/campaign-progress/CampaignProgressPage').then((m) => ({ default: m.CampaignProgressPage })));

export function CampaignRoute({ id, page }: { id: number; page: CampaignRoutePage }) {
  const campaign = useApi('campaigns.get', { id });
  if (campaign.isPending) return <Loading />;
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
