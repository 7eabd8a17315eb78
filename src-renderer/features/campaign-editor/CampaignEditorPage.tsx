/**
 * The editor's pages: a new campaign, or a saved draft or paused one (router/campaign-page.ts
 * decides which campaigns open here), and the note for a campaign that can no longer be edited.
 */
import { Link } from '@radix-ui/themes';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { BackToCampaigns } from '../../components/BackToCampaigns';
import { Note, PageHeader } from '../../components/ui';
import { href } from '../../lib/route';
import { Editor } from './Editor';

export function CampaignEditorPage({ campaign }: { campaign?: Campaign }) {
  if (campaign === undefined) return <Editor key="new" />;
  return <Editor key={campaign.id} campaign={campaign} />;
}

/** `#/campaigns/12/edit` for a campaign that is queued, sending or finished. */
export function NotEditablePage({ campaign: c }: { campaign: Campaign }) {
  return (
    <>
      <PageHeader title={c.name} back={<BackToCampaigns />} />
      <Note>
        This campaign is {c.status}: it can no longer be edited. <Link href={href({ page: 'campaign', id: c.id })}>See its progress</Link>.
      </Note>
    </>
  );
}
