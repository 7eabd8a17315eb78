// Over 300 lines on purpose: one table, every API method in one place (#14).
/**
 * The API (PRODUCT.md §6) in one table: each method is declared once, with the schema of its
 * arguments, what it runs, its one-line doc and which doors serve it. Everything else is
 * derived from this table: the contract's types (contract.ts), the dispatcher both doors use
 * (invoke.ts), docs/API.md, and the window's typed client.
 *
 * Validation happens in one place: where the operation is implemented — the engine's methods
 * (every caller, a door, a test or a script, goes through them) and the desktop services.
 * The table names the schema so that types and docs come from what is really checked; the
 * doors parse nothing but their transport.
 */
import type { z } from 'zod';
import type { DesktopSettingsView } from '../../src-shared/views/desktop';
import {
  type Engine,
  EngineError,
  accountIdSchema,
  addAccountSchema,
  addSuppressionSchema,
  addSuppressionsSchema,
  archiveCampaignSchema,
  campaignIdSchema,
  copyCampaignSchema,
  createCampaignSchema,
  createDraftSchema,
  exportSchema,
  forecastSchema,
  importRecipientsSchema,
  listCampaignsSchema,
  listBatchesSchema,
  listMessagesSchema,
  listSuppressionsSchema,
  messageSelectionSchema,
  noArgumentsSchema,
  parseInput,
  previewSchema,
  removeSuppressionSchema,
  sendHistorySchema,
  settingsUpdateSchema,
  storeAttachmentSchema,
  testSendSchema,
  updateAccountSchema,
  updateCampaignSchema,
} from '../engine';
import { desktopSettingsUpdateSchema } from './desktop';

export type Door = 'desktop' | 'headless';

export interface AppInfo {
  version: string;
  dataDir: string;
  /** Which door the caller came through: the desktop window shows desktop-only settings. */
  door: Door;
}

/**
 * What the desktop door offers beyond the engine: its own settings (close to tray, start at
 * login, weaker password storage). Owned here, by the table that uses it; the desktop door
 * implements it (src-main/electron/desktop-api.ts).
 */
export interface DesktopServices {
  settings(input?: unknown): Promise<DesktopSettingsView>;
  updateSettings(input: unknown): Promise<DesktopSettingsView>;
}

/** What a method runs with: the engine, the app's facts, and the desktop door's services there. */
export interface MethodDeps {
  engine: Engine;
  info: Omit<AppInfo, 'dataDir'>;
  desktop?: DesktopServices | undefined;
}

export interface MethodSpec<S extends z.ZodType, R> {
  /** The arguments, as the operation checks them. */
  args: S;
  /** One line: what it does, for docs/API.md and anyone reading this table. */
  doc: string;
  /** Served by these doors only; both when absent. */
  doors?: readonly Door[];
  run: (deps: MethodDeps, args: unknown) => Promise<R>;
}

function method<S extends z.ZodType, R>(spec: MethodSpec<S, R>): MethodSpec<S, R> {
  return spec;
}

const none = noArgumentsSchema;
const desktopOnly = ['desktop'] as const;

function desktopServices(deps: MethodDeps): DesktopServices {
  if (!deps.desktop) throw new EngineError('not_found', 'This works only in the desktop app.');
  return deps.desktop;
}

export const API_METHODS = {
  'app.info': method({
    args: none,
    doc: 'Version, data folder, and which door answered (desktop or headless).',
    run: async ({ engine, info }, args): Promise<AppInfo> => {
      parseInput(none, args);
      return { ...info, dataDir: engine.dataDir };
    },
  }),

  'accounts.list': method({
    args: none,
    doc: 'Every account with its state, sends in the last 24 h (those sent outside Trickle apart), remaining capacity, next free slot and how reading its mailbox goes. Never the password.',
    run: ({ engine }, args) => engine.accounts.list(args),
  }),
  'accounts.add': method({
    args: addAccountSchema,
    doc: 'Adds a Gmail account; logs in first (SMTP AUTH) unless `verify: false`. Spaces in a Gmail app password are removed. Its mailbox (imap.gmail.com:993 for Gmail) is watched unless `watchInbox: false`.',
    run: ({ engine }, args) => engine.accounts.add(args),
  }),
  'accounts.update': method({
    args: updateAccountSchema,
    doc: 'Changes an account; a new password, host, port or security is verified first and clears a login problem.',
    run: ({ engine }, args) => engine.accounts.update(args),
  }),
  'accounts.remove': method({
    args: accountIdSchema,
    doc: 'Removes an account (refused while it is sending a message). Its send history still counts against the address.',
    run: ({ engine }, args) => engine.accounts.remove(args),
  }),
  'accounts.verify': method({
    args: accountIdSchema,
    doc: 'Logs in again and records what the server said.',
    run: ({ engine }, args) => engine.accounts.verify(args),
  }),
  'accounts.checkInbox': method({
    args: accountIdSchema,
    doc: 'Reads the account’s mailbox now (read-only): failure notices, unsubscribe requests, replies, Sent Mail. Says what it found and settled; the account’s `inbox` says how the look went.',
    run: ({ engine }, args) => engine.accounts.checkInbox(args),
  }),

  'campaigns.list': method({
    args: listCampaignsSchema.optional(),
    doc: 'Every campaign with its counts per message state and ETA, newest first; archived ones only with `includeArchived: true`.',
    run: ({ engine }, args) => engine.campaigns.list(args),
  }),
  'campaigns.create': method({
    args: createCampaignSchema,
    doc: 'Creates a draft from CSV text or a list of recipients (or none yet); returns the import report. `rehearsal: true` makes it a rehearsal (written to its log, never sent). `attachments` are ids from `attachments.store`, never paths.',
    run: ({ engine }, args) => engine.campaigns.create(args),
  }),
  'campaigns.createDraft': method({
    args: createDraftSchema.optional(),
    doc: 'Saves a draft as the user starts writing: nothing is required yet (an unnamed one is "Untitled campaign"); recipients are imported into it later.',
    run: ({ engine }, args) => engine.campaigns.createDraft(args),
  }),
  'campaigns.importRecipients': method({
    args: importRecipientsSchema,
    doc: 'Imports recipients (CSV text or a list) into a draft: `mode: "replace"` swaps its list, `"add"` appends, its rows numbered on from the list\'s last row (addresses already there are skipped, counted in `duplicates` and in `alreadyInList`). Returns the import report, its invalid rows numbered as in the file.',
    run: ({ engine }, args) => engine.campaigns.importRecipients(args),
  }),
  'campaigns.copy': method({
    args: copyCampaignSchema,
    doc: 'Copies a campaign (its message, attachments and settings) into a new draft with `recipients`: `"all"` (default), `"unsent"` (failed, cancelled, expired or no longer suppressed; never one suppressed now, sent or in doubt) or `"none"`; `rehearsal: true` makes the copy a rehearsal (by default a copy is a real draft, so a rehearsal copies into one). Returns the draft and an import report.',
    run: ({ engine }, args) => engine.campaigns.copy(args),
  }),
  'campaigns.delete': method({
    args: campaignIdSchema,
    doc: 'Deletes a draft and its recipients. A campaign that was ever queued has a history: archive it instead.',
    run: ({ engine }, args) => engine.campaigns.delete(args),
  }),
  'campaigns.archive': method({
    args: archiveCampaignSchema,
    doc: 'Hides a completed or cancelled campaign from the list (`archived: false` brings it back). Its messages and sends stay: the history and the daily caps are unchanged.',
    run: ({ engine }, args) => engine.campaigns.archive(args),
  }),
  'campaigns.get': method({
    args: campaignIdSchema,
    doc: 'One campaign with its counts and ETA.',
    run: ({ engine }, args) => engine.campaigns.get(args),
  }),
  'campaigns.update': method({
    args: updateCampaignSchema,
    doc: 'Edits a draft or paused campaign; `attachments` (ids from `attachments.store`) replaces the list. Only a draft can become a rehearsal or stop being one.',
    run: ({ engine }, args) => engine.campaigns.update(args),
  }),
  'campaigns.forecast': method({
    args: forecastSchema,
    doc: 'Before Queue: when the campaign would finish at the accounts’ capacity (measured pace, caps, rolling windows, cadence), behind the campaigns queued before it; whether that is past today, how many of its messages go today, and the sends left today.',
    run: ({ engine }, args) => engine.campaigns.forecast(args),
  }),
  'campaigns.queue': method({
    args: campaignIdSchema,
    doc: 'Moves every pending recipient to the queue in one transaction: "Queued 1,234 emails".',
    run: ({ engine }, args) => engine.campaigns.queue(args),
  }),
  'campaigns.pause': method({
    args: campaignIdSchema,
    doc: 'Stops sending this campaign; the message in hand finishes.',
    run: ({ engine }, args) => engine.campaigns.pause(args),
  }),
  'campaigns.resume': method({
    args: campaignIdSchema,
    doc: 'Carries on a paused campaign.',
    run: ({ engine }, args) => engine.campaigns.resume(args),
  }),
  'campaigns.cancel': method({
    args: campaignIdSchema,
    doc: 'Stops the campaign for good; what was not sent is cancelled.',
    run: ({ engine }, args) => engine.campaigns.cancel(args),
  }),
  'campaigns.retryFailed': method({
    args: messageSelectionSchema,
    doc: 'Puts failed messages (all, or `messageIds`) back in the queue with fresh attempts. Bounced addresses stay failed.',
    run: ({ engine }, args) => engine.campaigns.retryFailed(args),
  }),
  'campaigns.resendInDoubt': method({
    args: messageSelectionSchema,
    doc: 'Sends in-doubt messages again, on purpose, with the same Message-ID.',
    run: ({ engine }, args) => engine.campaigns.resendInDoubt(args),
  }),
  'campaigns.messages': method({
    args: listMessagesSchema,
    doc: 'A page of the campaign’s messages in import order, optionally of one state, marked by what came back (`mark`: replied, auto_replied, unsubscribed), at one `row` of the file, or whose address or name contains `search`.',
    run: ({ engine }, args) => engine.campaigns.messages(args),
  }),
  'campaigns.testSend': method({
    args: testSendSchema,
    doc: 'Sends one copy, rendered with a recipient’s data, to any address. Counts against the account’s cap.',
    run: ({ engine }, args) => engine.campaigns.testSend(args),
  }),
  'campaigns.preview': method({
    args: previewSchema,
    doc: 'A recipient’s message exactly as it would go out.',
    run: ({ engine }, args) => engine.campaigns.preview(args),
  }),
  'campaigns.export': method({
    args: exportSchema,
    doc: 'The results as CSV for a spreadsheet: UTF-8 with a byte-order mark, the import’s separator (or `delimiter`), every merge column (a filtered export imports again as it is), send times in UTC and in `timeZone`; only one `status` if asked. Formula-like cells are neutralised.',
    run: ({ engine }, args) => engine.campaigns.export(args),
  }),

  'attachments.store': method({
    args: storeAttachmentSchema,
    doc: 'Keeps a copy of a file (base64, up to 25 MB) in Trickle’s attachments store and returns `{ id, filename, size }`; a campaign attaches it by that id. Only files given this way can be attached.',
    run: ({ engine }, args) => engine.attachments.store(args),
  }),

  'sending.status': method({
    args: none,
    doc: 'The status line’s one truth, read in one transaction: state (idle, sending, waiting, paused), what is queued and in flight, sent in 24 h, capacity left, the next batch (only while sending), why it waits and until when, the ETA, the last batch, and every campaign’s progress.',
    run: ({ engine }, args) => engine.sending.status(args),
  }),
  'sending.pause': method({
    args: none,
    doc: 'Global pause: the message in hand finishes, nothing new starts. Survives a restart.',
    run: ({ engine }, args) => engine.sending.pause(args),
  }),
  'sending.resume': method({
    args: none,
    doc: 'Ends the global pause.',
    run: ({ engine }, args) => engine.sending.resume(args),
  }),
  'sending.history': method({
    args: sendHistorySchema.optional(),
    doc: 'Sends per hour over the last `hours` hours (default 24).',
    run: ({ engine }, args) => engine.history.sendsPerHour(args),
  }),
  'batches.list': method({
    args: listBatchesSchema.optional(),
    doc: 'The most recent batches, newest first, with a one-line summary each.',
    run: ({ engine }, args) => engine.batches.list(args),
  }),

  'settings.get': method({
    args: none,
    doc: 'The scheduler settings (batch size and interval, pause between messages, retries) and the mailbox checks (interval, settling in-doubt messages from Sent Mail).',
    run: ({ engine }, args) => engine.settings.get(args),
  }),
  'settings.update': method({
    args: settingsUpdateSchema,
    doc: 'Changes settings; intervals take effect at once.',
    run: ({ engine }, args) => engine.settings.update(args),
  }),

  'suppressions.list': method({
    args: listSuppressionsSchema.optional(),
    doc: 'Addresses never sent to (unsubscribed, bounced, added by hand).',
    run: ({ engine }, args) => engine.suppressions.list(args),
  }),
  'suppressions.add': method({
    args: addSuppressionSchema,
    doc: 'Never send to this address again.',
    run: ({ engine }, args) => engine.suppressions.add(args),
  }),
  'suppressions.addMany': method({
    args: addSuppressionsSchema,
    doc: 'Never send to these addresses again: `emails` (a pasted list) or `csv` (its email column, or one address per line). Returns a report: added, already there, repeated, and invalid rows with the reason.',
    run: ({ engine }, args) => engine.suppressions.addMany(args),
  }),
  'suppressions.remove': method({
    args: removeSuppressionSchema,
    doc: 'Allows an address again.',
    run: ({ engine }, args) => engine.suppressions.remove(args),
  }),

  'desktop.settings.get': method({
    args: none,
    doc: 'The desktop app’s own settings (close to tray, start at login) and how passwords are protected. Desktop app only.',
    doors: desktopOnly,
    run: (deps, args) => desktopServices(deps).settings(args),
  }),
  'desktop.settings.update': method({
    args: desktopSettingsUpdateSchema,
    doc: 'Changes the desktop app’s own settings; `allowWeakSecretStorage` accepts weaker password storage. Desktop app only.',
    doors: desktopOnly,
    run: (deps, args) => desktopServices(deps).updateSettings(args),
  }),
} as const;

export type ApiMethods = typeof API_METHODS;
