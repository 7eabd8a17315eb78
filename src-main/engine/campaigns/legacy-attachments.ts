import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readdirSync, realpathSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { MAX_ATTACHMENTS_BYTES } from '../../../src-shared/limits';
import { keepFile, setCampaignAttachments } from './attachments';
import type { EngineContext } from '../context';
import type { CampaignStatus } from '../db/schema';

/**
 * Before the attachments store (issue #11), a campaign listed its attachments as paths, and any
 * path was accepted. At start, each such list is moved into the store: a file that already
 * lives under the data folder's `attachments/` — where the window kept every file the user
 * picked — is copied into the store and attached by its id, as before. Anything else (a path
 * elsewhere, a symlink, `../`, a file that is gone) is not read and not attached: the campaign
 * says so in its status line, and one that was queued or sending is paused rather than sent
 * without it, so the user can add the file again in the editor and go on.
 */

export interface LegacyImport {
  campaigns: number;
  imported: number;
  dropped: { campaignId: number; filename: string; path: string; reason: string }[];
}

interface LegacyEntry {
  path?: unknown;
  filename?: unknown;
}

export async function importLegacyAttachments(ctx: EngineContext, dataDir: string): Promise<LegacyImport> {
  const report: LegacyImport = { campaigns: 0, imported: 0, dropped: [] };
  const pending = await ctx.db.selectFrom('campaigns').select('id').where('attachments', '!=', '[]').execute();
  if (pending.length === 0) return report;

  const oldStore = join(dataDir, 'attachments');
  const realRoot = realPathOf(oldStore);
  const realStore = realPathOf(ctx.attachmentsDir);
  const copied = new Map<string, number>(); // real path → stored id, when campaigns share a file
  const toRemove = new Set<string>();
  for (const { id } of pending) {
    const now = ctx.clock.now();
    const dropped = await ctx.db.transaction().execute(async (trx) => {
      // Read again inside the transaction: another engine on the folder may have done it.
      const campaign = await trx
        .selectFrom('campaigns')
        .select(['id', 'status', 'status_detail', 'attachments'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (!campaign || campaign.attachments === '[]') return undefined;
      const ids: number[] = [];
      const notKept: { filename: string; path: string; reason: string }[] = [];
      for (const entry of parseList(campaign.attachments)) {
        const path = typeof entry.path === 'string' ? entry.path : '';
        const filename = typeof entry.filename === 'string' && entry.filename ? entry.filename : path.split(/[/\\]/).pop() || 'attachment';
        const found = readInside(oldStore, realRoot, path);
        if ('reason' in found) {
          notKept.push({ filename, path, reason: found.reason });
          continue;
        }
        let stored = copied.get(found.realPath);
        if (stored === undefined) {
          stored = (await keepFile(trx, ctx.attachmentsDir, filename, found.content, now)).id;
          copied.set(found.realPath, stored);
          report.imported++;
        }
        if (!found.realPath.startsWith(realStore + sep)) toRemove.add(found.realPath);
        ids.push(stored);
      }
      await setCampaignAttachments(trx, campaign.id, ids);
      const note = notKept.length ? noteFor(notKept, campaign.status) : undefined;
      const pause = notKept.length > 0 && (campaign.status === 'queued' || campaign.status === 'sending');
      await trx
        .updateTable('campaigns')
        .set({
          attachments: '[]',
          ...(note ? { status_detail: note, updated_at: now } : {}),
          ...(pause ? { status: 'paused' as const } : {}),
        })
        .where('id', '=', campaign.id)
        .execute();
      return notKept;
    });
    if (!dropped) continue;
    report.campaigns++;
    for (const d of dropped) {
      report.dropped.push({ campaignId: id, ...d });
      ctx.log.warn('attachment not kept: only files added in Trickle are attached', {
        campaignId: id,
        filename: d.filename,
        path: d.path,
        reason: d.reason,
      });
    }
  }
  // The copies are in the store now; the old ones (Trickle's own, under attachments/) go.
  for (const path of toRemove) removeOldCopy(realRoot, path);
  ctx.log.info('attachments moved into the store', { campaigns: report.campaigns, files: report.imported, notKept: report.dropped.length });
  return report;
}

/** The path with every symlink resolved, or as given when it does not exist (yet). */
function realPathOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function parseList(json: string): LegacyEntry[] {
  try {
    const list: unknown = JSON.parse(json);
    return Array.isArray(list) ? list.map((e) => (typeof e === 'object' && e !== null ? (e as LegacyEntry) : { path: e })) : [];
  } catch {
    return [];
  }
}

/**
 * The file's bytes if `path` names a regular file inside `root`, reached without a symlink
 * and without leaving it (`..` is resolved first, then the real path checked); otherwise why not.
 */
function readInside(root: string, realRoot: string, path: string): { content: Buffer; realPath: string } | { reason: string } {
  const outside = { reason: 'it was not in Trickle’s data folder' };
  if (!path || !isAbsolute(path) || path.includes('\0')) return outside;
  const resolved = resolve(path);
  if (!resolved.startsWith(root + sep)) return outside;
  let realPath: string;
  try {
    realPath = realpathSync(resolved);
  } catch {
    return { reason: 'it could no longer be found' };
  }
  if (!realPath.startsWith(realRoot + sep)) return outside;
  let fd: number;
  try {
    if (!lstatSync(resolved).isFile()) return outside; // a symlink, even to a file inside
    fd = openSync(resolved, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return { reason: 'it could no longer be read' };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return outside;
    if (stat.size > MAX_ATTACHMENTS_BYTES) return { reason: 'it is larger than 25 MB, which Gmail does not accept' };
    return { content: readFileSync(fd), realPath };
  } finally {
    closeSync(fd);
  }
}

function noteFor(notKept: { filename: string; path: string; reason: string }[], status: CampaignStatus): string {
  const what = notKept.map((d) => `“${d.filename}” (${d.reason}: ${d.path})`).join('; ');
  const next =
    status === 'queued' || status === 'sending' || status === 'paused'
      ? 'Sending is paused: add the file again in the editor if it should go, then resume.'
      : status === 'draft'
        ? 'Add the file again in the editor if it should go, then queue.'
        : 'Messages sent again from this campaign go without it.';
  return `No longer attached: ${what}. Trickle now sends only files added in Trickle, which keeps its own copy. ${next}`;
}

/** Removes an old copy and its folder when that folder (attachments/<random>/) is left empty. */
function removeOldCopy(root: string, path: string): void {
  try {
    rmSync(path, { force: true });
    const folder = dirname(path);
    if (folder !== root && dirname(folder) === root && readdirSync(folder).length === 0) rmdirSync(folder);
  } catch {
    // Left behind: harmless, and the store has its copy.
  }
}
