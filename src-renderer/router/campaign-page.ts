/**
 * Which page a saved campaign opens on — decided here, and only here. A draft is still being
 * written, so it opens in the editor; a campaign that was queued opens on its progress.
 * `#/campaigns/12/edit` edits a draft or a paused campaign; anything else can no longer be
 * edited, so that address shows a note pointing to the progress page.
 */
import type { CampaignStatus } from '../../src-shared/states';
import { href, type Route } from '../lib/route';

export type CampaignPage = 'editor' | 'progress' | 'not-editable';

/** The routes that name one saved campaign. */
export type CampaignRoutePage = Extract<Route, { id: number }>['page'];

export function campaignPageFor(page: CampaignRoutePage, status: CampaignStatus): CampaignPage {
  if (page === 'campaign-edit') return status === 'draft' || status === 'paused' ? 'editor' : 'not-editable';
  return status === 'draft' ? 'editor' : 'progress';
}

/** Where a link to a campaign goes: a draft straight to its editor, any other to its progress. */
export function campaignHref(c: { id: number; status: CampaignStatus }): string {
  return href(c.status === 'draft' ? { page: 'campaign-edit', id: c.id } : { page: 'campaign', id: c.id });
}
