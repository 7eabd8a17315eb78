/**
 * The API contract (PRODUCT.md §6): every method name, the zod schema of its arguments, and —
 * through the handler table's types — its result. Both doors (Electron IPC and headless HTTP)
 * serve exactly this; the renderer imports its types only.
 */
import { z } from 'zod';
import { EVENT_NAMES } from '../../src-shared/events';
import { accountIdSchema, addAccountSchema, updateAccountSchema } from '../engine/accounts/account-schemas';
import { storeAttachmentSchema } from '../engine/campaigns/attachments';
import { previewSchema, testSendSchema } from '../engine/campaigns/campaign-tools';
import {
  campaignIdSchema,
  createCampaignSchema,
  listMessagesSchema,
  messageSelectionSchema,
  updateCampaignSchema,
} from '../engine/campaigns/campaign-schemas';
import { listBatchesSchema } from '../engine/engine';
import type { EngineEvents } from '../engine/core/events';
import { sendHistorySchema } from '../engine/sending/history';
import { settingsUpdateSchema } from '../engine/settings/settings';
import { addSuppressionSchema, listSuppressionsSchema, removeSuppressionSchema } from '../engine/campaigns/suppressions';
import type { ApiHandlers } from './handlers';

const none = z.object({}).strict().optional();

/** Each method's argument schema. Arguments are validated against these before anything runs. */
export const apiArgs = {
  'app.info': none,
  'accounts.list': none,
  'accounts.add': addAccountSchema,
  'accounts.update': updateAccountSchema,
  'accounts.remove': accountIdSchema,
  'accounts.verify': accountIdSchema,
  'campaigns.list': none,
  'campaigns.create': createCampaignSchema,
  'campaigns.get': campaignIdSchema,
  'campaigns.update': updateCampaignSchema,
  'campaigns.queue': campaignIdSchema,
  'campaigns.pause': campaignIdSchema,
  'campaigns.resume': campaignIdSchema,
  'campaigns.cancel': campaignIdSchema,
  'campaigns.retryFailed': messageSelectionSchema,
  'campaigns.resendInDoubt': messageSelectionSchema,
  'campaigns.messages': listMessagesSchema,
  'campaigns.testSend': testSendSchema,
  'campaigns.preview': previewSchema,
  'campaigns.export': campaignIdSchema,
  'attachments.store': storeAttachmentSchema,
  'sending.status': none,
  'sending.pause': none,
  'sending.resume': none,
  'sending.history': sendHistorySchema.optional(),
  'batches.list': listBatchesSchema.optional(),
  'settings.get': none,
  'settings.update': settingsUpdateSchema,
  'suppressions.list': listSuppressionsSchema.optional(),
  'suppressions.add': addSuppressionSchema,
  'suppressions.remove': removeSuppressionSchema,
} as const;

export type ApiMethodName = keyof typeof apiArgs;
export const API_METHOD_NAMES = Object.keys(apiArgs) as ApiMethodName[];

/** What a caller passes to a method (before defaults and normalisation). */
export type ApiArgs<N extends ApiMethodName> = z.input<(typeof apiArgs)[N]>;
/** What a method returns when it succeeds. */
export type ApiResult<N extends ApiMethodName> = Awaited<ReturnType<ApiHandlers[N]>>;

export interface ApiError {
  /** Stable: 'invalid_input', 'not_found', 'conflict', 'login_failed', 'unauthorized', … */
  code: string;
  /** A sentence for a person: what happened and what to do. */
  message: string;
  /** The argument the error is about, when it is about one. */
  field?: string;
  /** What the mail server answered, when the error comes from it (e.g. a refused login). */
  serverReply?: { code: string; response: string };
}

/** Every answer, over both doors. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Live updates: the engine's events, pushed over IPC or Server-Sent Events. */
export type ApiEvents = { [K in keyof EngineEvents]: EngineEvents[K][0] extends undefined ? null : EngineEvents[K] extends [infer P] ? P : null };
export type ApiEventName = keyof EngineEvents;
export const API_EVENT_NAMES: readonly ApiEventName[] = EVENT_NAMES;

/** The surface the renderer's client offers, whichever door it goes through. */
export interface ApiClient {
  call<N extends ApiMethodName>(name: N, args?: ApiArgs<N>): Promise<Envelope<ApiResult<N>>>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}
