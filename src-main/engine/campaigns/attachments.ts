import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { MAX_ATTACHMENTS_BYTES } from '../../../src-shared/limits';
import type { AttachmentInfo } from '../../../src-shared/views/campaigns';
import type { EngineContext } from '../context';
import { EngineError } from '../core/errors';
import { parseInput } from '../core/validation';
import type { CampaignRow, Database, Db } from '../db/schema';
import type { StoredAttachment } from './compose';

export type { AttachmentInfo };

/**
 * The attachments store (issue #11): attachments are only the files the user gave Trickle.
 * `attachments.store` keeps a copy in the data folder (`attachments/store/<id>`, owner-only) and
 * answers with its id; campaigns name attachments by those ids and never by a path, so nothing
 * outside the store can be attached, mailed or probed for existence or size.
 */

/** Files on one campaign. */
const MAX_ATTACHMENTS = 50;

const NOT_A_PATH =
  'Attachments are named by the id attachments.store answered with, never by a path: add the file in Trickle first, then give its id.';

/** What campaigns.create/update take: ids of stored files, in the order they are attached. */
export const attachmentIdsSchema = z
  .array(z.int({ error: NOT_A_PATH }).positive({ error: NOT_A_PATH }), { error: 'Give the attachments as a list of ids.' })
  .max(MAX_ATTACHMENTS);

export const storeAttachmentSchema = z
  .object({
    filename: z.string().max(1000),
    // base64 of at most 25 MB
    contentBase64: z.string().max(Math.ceil((MAX_ATTACHMENTS_BYTES * 4) / 3) + 4, {
      error: 'The file is larger than 25 MB, which Gmail does not accept. Share it by link instead.',
    }),
  })
  .strict();

/** Keeps a copy of a file the user picked, and answers with the id a campaign attaches it by. */
export async function storeAttachment(ctx: EngineContext, input: unknown): Promise<AttachmentInfo> {
  const args = parseInput(storeAttachmentSchema, input);
  const filename = attachmentName(args.filename);
  const content = Buffer.from(args.contentBase64, 'base64');
  if (content.length > MAX_ATTACHMENTS_BYTES) {
    throw new EngineError('attachment_problem', `${filename} is larger than 25 MB, which Gmail does not accept. Share it by link instead.`);
  }
  return ctx.db.transaction().execute((trx) => keepFile(trx, ctx.attachmentsDir, filename, content, ctx.clock.now()));
}

/**
 * The name the file goes by in the mail: the last part of what was given (a browser gives
 * none other; a script may), without characters file systems and mail headers refuse. A
 * name that is only dots, spaces or control characters (`.`, `..`) names no file: refused.
 */
export function attachmentName(given: string): string {
  const last = given.split(/[/\\]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a name of only control characters names no file; matching them is the point
  if (/^[.\s\u0000-\u001f\u007f]*$/.test(last)) {
    throw new EngineError(
      'invalid_input',
      'filename: This is not a file name (it is empty, or names a folder such as “..”). Give the file’s own name, such as agenda.pdf.',
      { field: 'filename' },
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are among those file systems and headers refuse
  const refused = /[\u0000-\u001f\u007f<>:"|?*]+/g;
  return last.replace(refused, '_').trim().slice(0, 200);
}

/**
 * Writes the file beside the store under a temporary name, then, inside the caller's
 * transaction, takes an id for it and gives it that name. If the transaction is rolled back
 * the id is not used (AUTOINCREMENT's counter is rolled back with it) and the next file of
 * that id replaces this one: a row never names a file that was not completely written.
 */
export async function keepFile(
  trx: Kysely<Database>,
  dir: string,
  filename: string,
  content: Buffer,
  now: number,
): Promise<AttachmentInfo> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const incoming = join(dir, `.incoming-${randomBytes(8).toString('hex')}`);
  try {
    const fd = openSync(incoming, 'wx', 0o600);
    try {
      for (let written = 0; written < content.length; ) written += writeSync(fd, content, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const { id } = await trx
      .insertInto('attachments')
      .values({ filename, size: content.length, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    renameSync(incoming, storedFilePath(dir, id));
    syncFolder(dir);
    return { id, filename, size: content.length };
  } finally {
    rmSync(incoming, { force: true });
  }
}

export function storedFilePath(dir: string, id: number): string {
  return join(dir, String(id));
}

/**
 * The stored files these ids name, checked to exist and to fit in one message together.
 * Nothing here touches the file system: an id is not a path, so no answer can tell anything
 * about a file Trickle was not given.
 */
export async function attachmentsById(db: Db, ids: number[]): Promise<AttachmentInfo[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('attachments')
    .select(['id', 'filename', 'size'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const found = ids.map((id) => {
    const row = byId.get(id);
    if (!row) {
      throw new EngineError(
        'attachment_problem',
        `Attachment ${id} is not one Trickle keeps. Add the file again (it is then copied into Trickle), then attach it.`,
        { field: 'attachments' },
      );
    }
    return { id: row.id, filename: row.filename, size: row.size };
  });
  checkTotal(found.reduce((n, a) => n + a.size, 0));
  return found;
}

/** Replaces a campaign's attachments with these stored files, in this order. */
export async function setCampaignAttachments(trx: Kysely<Database>, campaignId: number, ids: number[]): Promise<void> {
  await trx.deleteFrom('campaign_attachments').where('campaign_id', '=', campaignId).execute();
  if (ids.length === 0) return;
  await trx
    .insertInto('campaign_attachments')
    .values(ids.map((attachment_id, position) => ({ campaign_id: campaignId, position, attachment_id })))
    .execute();
}

/** A campaign's attachments as the API shows them, each marked when its stored copy is not intact. */
export async function campaignAttachments(
  ctx: Pick<EngineContext, 'db' | 'attachmentsDir'>,
  campaignId: number,
): Promise<AttachmentInfo[]> {
  const rows = await ctx.db
    .selectFrom('campaign_attachments as ca')
    .innerJoin('attachments as a', 'a.id', 'ca.attachment_id')
    .select(['a.id', 'a.filename', 'a.size'])
    .where('ca.campaign_id', '=', campaignId)
    .orderBy('ca.position')
    .execute();
  return rows.map((r) => (intact(storedFilePath(ctx.attachmentsDir, r.id), r.size) ? r : { ...r, missing: true as const }));
}

/**
 * The files to attach to a campaign's message now, each checked to be the store's own regular
 * file (not a symlink, not a folder) of the size it was given with. Throws `attachment_problem`
 * naming the file otherwise — the send path then pauses the campaign rather than sending
 * without it, or with something else.
 */
export async function attachmentsToSend(
  ctx: Pick<EngineContext, 'db' | 'attachmentsDir'>,
  campaign: Pick<CampaignRow, 'id' | 'attachments'>,
): Promise<(StoredAttachment & { size: number })[]> {
  // An older Trickle's list of paths that was not imported into the store yet (see
  // legacy-attachments.ts): never sent without them, never read from where they point.
  if (campaign.attachments !== '[]') {
    throw new EngineError(
      'attachment_problem',
      'This campaign’s attachments, from an older version of Trickle, have not been moved into Trickle’s store yet. Restart Trickle; if this stays, add the files again in the editor.',
    );
  }
  const files = await campaignAttachments(ctx, campaign.id);
  for (const file of files) {
    if (file.missing) {
      throw new EngineError(
        'attachment_problem',
        `The attachment ${file.filename} is missing or damaged in Trickle’s data folder. Remove it from the campaign and add the file again.`,
      );
    }
  }
  checkTotal(files.reduce((n, a) => n + a.size, 0));
  return files.map((f) => ({ path: storedFilePath(ctx.attachmentsDir, f.id), filename: f.filename, size: f.size }));
}

function checkTotal(total: number): void {
  if (total > MAX_ATTACHMENTS_BYTES) {
    throw new EngineError(
      'attachment_problem',
      `The attachments add up to ${(total / 1024 / 1024).toFixed(1)} MB; Gmail accepts 25 MB per message. Remove some or share them by link.`,
      { field: 'attachments' },
    );
  }
}

/** The store's own regular file, of the size recorded: not a symlink, a folder or a changed file. */
function intact(path: string, size: number): boolean {
  try {
    const stat = lstatSync(path);
    return stat.isFile() && stat.size === size;
  } catch {
    return false;
  }
}

/** Makes a rename in `dir` durable where the platform allows (Windows cannot open a folder). */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
