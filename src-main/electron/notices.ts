// PURE (no `electron` import) — which desktop notifications Trickle shows, and their words:
//   - a campaign finished (engine `campaign` event with status `completed`);
//   - an account needs attention (engine `account` event with state `auth_failed`), once per
//     account until it is fixed;
//   - a campaign's bounces passed 5 % (engine `bounces` event, which the engine sends once).
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

  const onBounces = ({ name, bounced, out, percent }: { name: string; bounced: number; out: number; percent: number }) =>
    show(bouncesPassed(name, bounced, out, percent));

  engine.events.on('campaign', onCampaign);
  engine.events.on('account', onAccount);
  engine.events.on('bounces', onBounces);
  return () => {
    engine.events.off('campaign', onCampaign);
    engine.events.off('account', onAccount);
    engine.events.off('bounces', onBounces);
  };
}

export function campaignFinished(
  name: string,
  counts: { sent: number; failed: number; in_doubt: number; skipped?: number; expired?: number; bounced?: number },
  detail?: string,
): Notice {
  const parts = [`${counts.sent.toLocaleString('en-US')} sent`];
  if (counts.failed) parts.push(`${counts.failed.toLocaleString('en-US')} failed`);
  if (counts.bounced) parts.push(`${counts.bounced.toLocaleString('en-US')} bounced`);
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

/** Many of a campaign's addresses do not exist: Gmail blocks accounts that send to many of them. */
export function bouncesPassed(name: string, bounced: number, out: number, percent: number): Notice {
  return {
    title: 'Many messages bounced',
    body: `“${name}”: ${bounced.toLocaleString('en-US')} of ${out.toLocaleString('en-US')} came back undelivered (${percent} %). Trickle will not write to those addresses again; check where the list came from before sending more — Gmail blocks accounts that send to many dead addresses.`,
  };
}
