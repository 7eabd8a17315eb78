import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { StoredAttachment } from './compose';
import { z } from 'zod';
import { MAX_ATTACHMENTS_BYTES } from '../../../src-shared/limits';
import { EngineError } from '../core/errors';
import { parseInput } from '../core/validation';

export const storeAttachmentSchema = z
  .object({
    filename: z.string().trim().min(1).max(200),
    // base64 of at most 25 MB
    contentBase64: z.string().max(Math.ceil((MAX_ATTACHMENTS_BYTES * 4) / 3) + 4),
  })
  .strict();

/**
 * Keeps a copy of a file the user picked in the window (a browser cannot hand over a path),
 * in the data directory, and returns the path a campaign can attach.
 */
export function storeAttachment(dataDir: string, input: unknown): { path: string; filename: string; size: number } {
  const args = parseInput(storeAttachmentSchema, input);
  const content = Buffer.from(args.contentBase64, 'base64');
  if (content.length > MAX_ATTACHMENTS_BYTES) {
    throw new EngineError('attachment_problem', `${args.filename} is larger than 25 MB, which Gmail does not accept.`);
  }
  // Only the name's last part, without characters file systems refuse.
  const filename = basename(args.filename).replace(/[\u0000-\u001f<>:"/\\|?*]+/g, '_') || 'attachment';
  const dir = join(dataDir, 'attachments', randomBytes(6).toString('hex'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, filename);
  writeFileSync(path, content, { mode: 0o600 });
  return { path, filename, size: content.length };
}

export function checkAttachments(paths: string[]): StoredAttachment[] {
  const attachments = paths.map((path) => ({ path, filename: basename(path) }));
  attachmentSizes(attachments);
  return attachments;
}

/** Sizes of the attachments; throws when one is missing or together they exceed 25 MB. */
export function attachmentSizes(attachments: StoredAttachment[]): number[] {
  let total = 0;
  const sizes = attachments.map((a) => {
    if (!isAbsolute(a.path)) {
      throw new EngineError('attachment_problem', `The attachment path ${a.path} must be a full path to a file.`);
    }
    let size: number;
    try {
      const stat = statSync(a.path);
      if (!stat.isFile()) throw new Error('not a file');
      size = stat.size;
    } catch {
      throw new EngineError(
        'attachment_problem',
        `The attachment ${a.filename} cannot be read (moved, deleted or not a file: ${a.path}). Put it back or remove it from the campaign.`,
      );
    }
    total += size;
    return size;
  });
  if (total > MAX_ATTACHMENTS_BYTES) {
    throw new EngineError(
      'attachment_problem',
      `The attachments add up to ${(total / 1024 / 1024).toFixed(1)} MB; Gmail accepts 25 MB per message. Remove some or share them by link.`,
    );
  }
  return sizes;
}
