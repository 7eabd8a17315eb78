import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { MAX_ATTACHMENTS_BYTES } from './campaigns';
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
