/**
 * The engine's public surface: what the API and the doors (headless, desktop) may use. The
 * rooms behind it (core, db, settings, smtp, accounts, campaigns, sending, inbox) are the engine's
 * own; docs/ENGINE.md describes them.
 */
export { createEngine, Engine } from './engine';
export type { EngineOptions } from './engine-open';
export { restoreFromBackup } from './engine-restore';
export { type EngineContext, type EngineLogger, consoleLogger, silentLogger } from './context';
export { EngineError, type EngineErrorCode } from './core/errors';
export type { EngineEvents } from './core/events';
export { KeyFileSecretStore, keyFileIn, type SecretStore, SecretUnreadableError } from './core/secrets';
export { noArgumentsSchema, parseInput } from './core/validation';

// The arguments of the public operations, for the API's method table (types and docs).
export { accountIdSchema, addAccountSchema, updateAccountSchema } from './accounts/account-schemas';
export { storeAttachmentSchema } from './campaigns/attachments';
export {
  archiveCampaignSchema,
  campaignIdSchema,
  copyCampaignSchema,
  createCampaignSchema,
  createDraftSchema,
  importRecipientsSchema,
  listCampaignsSchema,
  listMessagesSchema,
  messageSelectionSchema,
  updateCampaignSchema,
} from './campaigns/campaign-schemas';
export { exportSchema } from './campaigns/campaign-export';
export { previewSchema } from './campaigns/campaign-preview';
export { testSendSchema } from './campaigns/campaign-test-send';
export { forecastSchema } from './campaigns/eta';
export { addSuppressionSchema, addSuppressionsSchema, listSuppressionsSchema, removeSuppressionSchema } from './campaigns/suppressions';
export { listBatchesSchema, sendHistorySchema } from './sending/history';
export { settingsUpdateSchema } from './settings/settings';
