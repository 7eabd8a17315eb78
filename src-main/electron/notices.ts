// PURE (no `electron` import) — which desktop notifications Trickle shows, and their words:
//   - a campaign finished (engine `campaign` event with status `completed`);
//   - an account needs attention (engine `account` event with state `auth_failed`), once per
//     account until it is fixed.
// main.ts shows them with Electron's Notification; a click opens the window.

import type { Engine, EngineLogger } from '../engine';

export interface Notice {
  title: string;
  body: string;
}

type NoticeEngine = Pick<Engine, 'events'> & {
  campaigns: Pick<Engine['campaigns'], 'get'>;
  accounts: Pick<Engine['accounts'], 'list'>;
};

/** Subscribes to the engine's events; returns the unsubscription. */
export function watchNotices(engine: NoticeEngine, show: (notice: Notice) => void, log?: EngineLogger): () => void {
  const alerted = new Set<number>();

  const onCampaign = ({ campaignId, status, detail }: { campaignId: number; status: string; detail?: string }) => {
    if (status !== 'completed') return;
    void (async () => {
      try {
        const campaign = await engine.campaigns.get({ id: campaignId });
        show(campaignFinished(campaign.name, campaign.counts, detail));
      } catch (error) {
        log?.warn('campaign notice without details', { campaignId, error: String(error) });
        show({ title: 'Campaign finished', body: 'A campaign has finished sending.' });
      }
    })();
  };

  const onAccount = ({ accountId, state, explanation }: { accountId: number; state: string; explanation?: string }) => {
    if (state !== 'auth_failed') {
      alerted.delete(accountId);
      return;
    }
    if (alerted.has(accountId)) return;
    alerted.add(accountId);
    void (async () => {
      let email: string | undefined;
      try {
        email = (await engine.accounts.list()).find((a) => a.id === accountId)?.email;
      } catch (error) {
        log?.warn('account notice without details', { accountId, error: String(error) });
      }
      show(accountNeedsAttention(email, explanation));
    })();
  };

  engine.events.on('campaign', onCampaign);
  engine.events.on('account', onAccount);
  return () => {
    engine.events.off('campaign', onCampaign);
    engine.events.off('account', onAccount);
  };
}

export function campaignFinished(
  name: string,
  counts: { sent: number; failed: number; in_doubt: number; skipped?: number; expired?: number },
  detail?: string,
): Notice {
  const parts = [`${counts.sent.toLocaleString('en-US')} sent`];
  if (counts.failed) parts.push(`${counts.failed.toLocaleString('en-US')} failed`);
  if (counts.in_doubt) parts.push(`${counts.in_doubt.toLocaleString('en-US')} in doubt`);
  if (counts.expired) parts.push(`${counts.expired.toLocaleString('en-US')} not sent in time`);
  return {
    title: 'Campaign finished',
    body: `“${name}”: ${parts.join(', ')}.${detail ? ` ${detail}` : ''}`,
  };
}

export function accountNeedsAttention(email: string | undefined, explanation?: string): Notice {
  const who = email ?? 'A Gmail account';
  const why = explanation ?? 'Gmail refused its app password.';
  return {
    title: 'An account needs attention',
    body: `${who}: ${why}${/again\.?$/i.test(why) ? '' : ' Open Trickle to enter the app password again.'}`,
  };
}
