import { createHash } from 'node:crypto';
import type { FetchMessageObject, ImapFlow } from 'imapflow';
import type { EngineContext } from '../context';

// What a look reads and what not: each mailbox's cursor (its UIDVALIDITY and the last UID read),
// and what makes a mail the same mail on every look (its key).

/** UIDs to read: after the last one read, or (new mailbox, or UIDVALIDITY changed) since a day. */
export async function newUids(
  ctx: EngineContext,
  client: ImapFlow,
  accountId: number,
  mailbox: 'inbox' | 'sent',
  validity: string,
  box: { exists: number; uidNext: number },
  firstLookSince: number,
): Promise<number[]> {
  if (box.exists === 0) return [];
  const cursor = await ctx.db
    .selectFrom('inbox_cursors')
    .select(['uid_validity', 'last_uid'])
    .where('account_id', '=', accountId)
    .where('mailbox', '=', mailbox)
    .executeTakeFirst();
  const last = cursor && cursor.uid_validity === validity ? cursor.last_uid : undefined;
  if (last !== undefined && box.uidNext - 1 <= last) return [];
  const found =
    last === undefined
      ? await client.search({ since: new Date(firstLookSince) }, { uid: true })
      : await client.search({ uid: `${last + 1}:*` }, { uid: true });
  // "n:*" names the last message even when it is below n: keep only the new ones.
  return (found || []).filter((uid) => uid > (last ?? 0)).sort((a, b) => a - b);
}

export async function saveCursor(
  ctx: EngineContext,
  accountId: number,
  mailbox: 'inbox' | 'sent',
  validity: string,
  lastUid: number,
): Promise<void> {
  await ctx.db
    .insertInto('inbox_cursors')
    .values({ account_id: accountId, mailbox, uid_validity: validity, last_uid: lastUid })
    .onConflict((oc) => oc.columns(['account_id', 'mailbox']).doUpdateSet({ uid_validity: validity, last_uid: lastUid }))
    .execute();
}

/** What makes a mail the same mail on every look: its Message-ID, else a digest of its headers. */
export function mailKey(messageId: string | undefined, head: FetchMessageObject): string {
  if (messageId) return `id:${messageId}`;
  return `headers:${createHash('sha256')
    .update(head.headers ?? Buffer.alloc(0))
    .update(String(head.internalDate ?? ''))
    .digest('hex')}`;
}

export function dateOf(head: FetchMessageObject, fallback: number): number {
  const at = head.internalDate ? new Date(head.internalDate).getTime() : Number.NaN;
  return Number.isFinite(at) ? at : fallback;
}
