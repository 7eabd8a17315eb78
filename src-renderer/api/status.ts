/**
 * The one status snapshot (sending.status): the top bar, the Progress page and a campaign's
 * page all read this one query, refreshed once per engine event, so their numbers agree.
 * `disconnected` when the page lost the server (its live updates, or its answers).
 */
import type { CampaignProgress, SendingStatus } from '../../src-shared/views/sending';
import type { ApiCallError } from './errors';
import { useApi, useConnection } from './hooks';

export interface StatusView {
  status: SendingStatus | undefined;
  error: ApiCallError | null;
  /** The page lost the server: what it shows is the last it heard. */
  disconnected: boolean;
}

export function useSendingStatus(): StatusView {
  const query = useApi('sending.status');
  const connection = useConnection();
  return {
    status: query.data,
    error: query.error,
    disconnected: connection === 'lost' || query.error?.code === 'unavailable',
  };
}

/** One campaign's progress, from the same snapshot. */
export function useCampaignProgress(id: number): CampaignProgress | undefined {
  return useSendingStatus().status?.campaigns.find((c) => c.id === id);
}
