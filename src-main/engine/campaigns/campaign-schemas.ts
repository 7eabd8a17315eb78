import { z } from 'zod';
import { MAX_BODY_CHARS } from '../../../src-shared/limits';

const BODY_TOO_LONG = `The message body is longer than ${MAX_BODY_CHARS.toLocaleString('en-US')} characters: shorten it, or link to the rest.`;
import { MESSAGE_STATUSES } from '../db/schema';
import { MESSAGE_MARKS } from '../../../src-shared/states';
import { emailAddress, singleLine } from '../core/validation';
import { attachmentIdsSchema } from './attachments';

// The arguments of the campaign operations, checked (zod) where each operation starts.

const isoDate = z.iso.datetime({ offset: true, message: 'Use a date and time such as 2026-12-01T09:00:00Z.' });
const replyTo = emailAddress;
const recipient = z
  .object({
    email: z.string().max(1000),
    name: z.string().max(500).optional(),
    fields: z.record(z.string(), z.string().max(10_000)).optional(),
  })
  .strict();

const subject = singleLine('The subject', z.string().trim().min(1, 'Write a subject.').max(998));
const campaignFromName = singleLine('The sender name', z.string().max(200));

const content = {
  name: z.string().trim().min(1, 'Give the campaign a name.').max(200),
  subject,
  html: z.string().max(MAX_BODY_CHARS, BODY_TOO_LONG).optional(),
  text: z.string().max(MAX_BODY_CHARS, BODY_TOO_LONG).optional(),
  fromName: campaignFromName.optional(),
  replyTo: replyTo.optional(),
  attachments: attachmentIdsSchema.optional(),
  sendAfter: isoDate.nullable().optional(),
  stopAfter: isoDate.nullable().optional(),
  /** A rehearsal: every message is written to the campaign's log, none is sent. */
  rehearsal: z.boolean().optional(),
};

const recipientsCsv = z.string();
const recipientList = z.array(recipient).max(2_000_000);

export const createCampaignSchema = z
  .object({
    ...content,
    csv: recipientsCsv.optional(),
    emailColumn: z.string().optional(),
    recipients: recipientList.optional(),
  })
  .strict()
  .refine((v) => !(v.csv !== undefined && v.recipients !== undefined), {
    message: 'Give recipients either as CSV text or as a list, not both.',
    path: ['recipients'],
  });

export const updateCampaignSchema = z
  .object({
    id: z.int().positive(),
    name: content.name.optional(),
    subject: subject.optional(),
    html: z.string().max(MAX_BODY_CHARS, BODY_TOO_LONG).nullable().optional(),
    text: z.string().max(MAX_BODY_CHARS, BODY_TOO_LONG).nullable().optional(),
    fromName: campaignFromName.nullable().optional(),
    replyTo: replyTo.nullable().optional(),
    attachments: content.attachments,
    sendAfter: content.sendAfter,
    stopAfter: content.stopAfter,
    rehearsal: content.rehearsal,
  })
  .strict();

/**
 * A draft as the window keeps it while the user writes (saved at the first change): nothing is
 * required yet. What queueing needs (a subject, a body, recipients) is checked when queueing.
 */
export const createDraftSchema = z
  .object({
    name: z.string().trim().max(200).optional(),
    subject: singleLine('The subject', z.string().trim().max(998)).optional(),
    html: content.html,
    text: content.text,
    fromName: content.fromName,
    replyTo: content.replyTo,
    attachments: content.attachments,
    sendAfter: content.sendAfter,
    stopAfter: content.stopAfter,
    rehearsal: content.rehearsal,
  })
  .strict();

/** Recipients imported into an existing draft: they replace its list, or are added to it. */
export const importRecipientsSchema = z
  .object({
    id: z.int().positive(),
    csv: recipientsCsv.optional(),
    emailColumn: z.string().optional(),
    recipients: recipientList.optional(),
    mode: z.enum(['replace', 'add']),
  })
  .strict()
  .refine((v) => (v.csv === undefined) !== (v.recipients === undefined), {
    message: 'Give the recipients either as CSV text or as a list (one of the two).',
    path: ['csv'],
  });

export const campaignIdSchema = z.object({ id: z.int().positive() }).strict();
export const messageSelectionSchema = z
  .object({ id: z.int().positive(), messageIds: z.array(z.int().positive()).max(100_000).optional() })
  .strict();
export const listMessagesSchema = z
  .object({
    id: z.int().positive(),
    status: z.enum(MESSAGE_STATUSES).optional(),
    /** Only messages marked by what came back: replied, auto_replied or unsubscribed. */
    mark: z.enum(MESSAGE_MARKS).optional(),
    /** Part of an address or a name: finds a recipient among any number. */
    search: z.string().trim().max(200).optional(),
    /** The recipient at this row of the campaign's list (the rows of a list added to a draft follow the rows before it). */
    row: z.int().positive().optional(),
    offset: z.int().min(0).optional(),
    limit: z.int().min(1).max(1000).optional(),
  })
  .strict();

export const listCampaignsSchema = z.object({ includeArchived: z.boolean().optional() }).strict();

/** Which recipients a copy takes: every one, only those the campaign did not reach, or none. */
export const COPY_RECIPIENTS = ['all', 'unsent', 'none'] as const;

/** A copy of a campaign as a new draft: its content and (some of) its recipients. */
export const copyCampaignSchema = z
  .object({
    id: z.int().positive(),
    name: content.name.optional(),
    recipients: z.enum(COPY_RECIPIENTS).optional(),
    /** A rehearsal copy; by default a copy is a real draft (so a rehearsal copies into one). */
    rehearsal: z.boolean().optional(),
  })
  .strict();

export const archiveCampaignSchema = z.object({ id: z.int().positive(), archived: z.boolean().optional() }).strict();
