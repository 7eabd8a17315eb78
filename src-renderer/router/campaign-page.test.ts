// Which page a campaign opens on, and where links to it go: the one place that decides.

import { describe, expect, it } from 'vitest';
import type { CampaignStatus } from '../../src-shared/states';
import { campaignHref, campaignPageFor } from './campaign-page';

const AFTER_QUEUE: CampaignStatus[] = ['queued', 'sending', 'completed', 'cancelled'];

describe('the page a campaign opens on', () => {
  it('#/campaigns/12: a draft in the editor, anything queued since on its progress', () => {
    expect(campaignPageFor('campaign', 'draft')).toBe('editor');
    expect(campaignPageFor('campaign', 'paused')).toBe('progress');
    for (const status of AFTER_QUEUE) expect(campaignPageFor('campaign', status)).toBe('progress');
  });

  it('#/campaigns/12/edit: the editor for a draft or a paused campaign, a note for the others', () => {
    expect(campaignPageFor('campaign-edit', 'draft')).toBe('editor');
    expect(campaignPageFor('campaign-edit', 'paused')).toBe('editor');
    for (const status of AFTER_QUEUE) expect(campaignPageFor('campaign-edit', status)).toBe('not-editable');
  });

  it('links to a draft’s editor, and to the progress of every other campaign', () => {
    expect(campaignHref({ id: 12, status: 'draft' })).toBe('#/campaigns/12/edit');
    for (const status of ['paused', ...AFTER_QUEUE] as CampaignStatus[]) expect(campaignHref({ id: 12, status })).toBe('#/campaigns/12');
  });
});
