/** `#/campaigns/12` and `#/campaigns/12/edit`: loads the campaign, then shows the page campaign-page.ts chooses. */
import { useApi } from '../api/hooks';
import { BackToCampaigns } from '../components/BackToCampaigns';
import { ErrorCallout, Loading, PageHeader } from '../components/ui';
import { CampaignEditorPage, NotEditablePage } from '../features/campaign-editor/CampaignEditorPage';
import { CampaignProgressPage } from '../features/campaign-progress/CampaignProgressPage';
import { type CampaignRoutePage, campaignPageFor } from './campaign-page';

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
