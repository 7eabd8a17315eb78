/** The editor's page: a new campaign, or a saved one loaded by id — the editor for a draft or paused campaign, a note for any other. */
import { Link } from '@radix-ui/themes';
import { useApi } from '../../api/hooks';
import { BackToCampaigns } from '../../components/BackToCampaigns';
import { ErrorCallout, Loading, Note, PageHeader } from '../../components/ui';
import { href } from '../../lib/route';
import { Editor } from './Editor';

export function CampaignEditorPage({ id }: { id?: number }) {
  const campaign = useApi('campaigns.get', { id: id ?? 0 }, { enabled: id !== undefined });
  if (id === undefined) return <Editor key="new" />;
  if (campaign.isPending) return <Loading />;
  if (campaign.error) return <ErrorCallout error={campaign.error} onRetry={() => void campaign.refetch()} />;
  const c = campaign.data;
  if (c.status !== 'draft' && c.status !== 'paused') {
    return (
      <>
        <PageHeader title={c.name} back={<BackToCampaigns />} />
        <Note>
          This campaign is {c.status}: it can no longer be edited. <Link href={href({ page: 'campaign', id: c.id })}>See its progress</Link>.
        </Note>
      </>
    );
  }
  return <Editor key={c.id} campaign={c} />;
}
