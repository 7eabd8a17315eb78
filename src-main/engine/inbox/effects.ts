import type { EngineContext } from '../context';
import { applyAnswer } from './answers';
import type { Classified } from './classify';
import type { Effect } from './effect-records';
import { applyNotice } from './failure-notices';
import type { MailboxOwner } from './matching';
import { applyUnsubscribe } from './unsubscribe-requests';

// What a classified mail does to Trickle's records (PRODUCT.md §5b), each in one transaction
// with the mail's key, so a mail seen twice (a second look, a new UIDVALIDITY, a restart) acts
// once. Those commits do not wait for the disk on the event loop (unsyncedTransaction): the
// look flushes them (WalSync) before it moves its cursor past the mail, so a power cut can only
// lose a mail's effect together with the cursor, and the next look reads it again. What is kept: the key, the kind, the message it was about and a status code; for a
// bounce the notice's fields on the message; for a request its first line in the suppression's
// detail. Never another mail's body. A mail that matches nothing of ours changes nothing.

// Each kind of mail has its file: failure-notices.ts, unsubscribe-requests.ts, answers.ts (replies
// and auto-replies); what Sent Mail tells is in sent-mail.ts.

export async function applyMail(
  ctx: EngineContext,
  owner: MailboxOwner,
  mail: { key: string; classified: Classified; arrivedAt: number },
): Promise<Effect[]> {
  const { classified } = mail;
  switch (classified.kind) {
    case 'notice':
      return applyNotice(ctx, owner, mail.key, classified);
    case 'unsubscribe':
      return applyUnsubscribe(ctx, owner, mail.key, classified, mail.arrivedAt);
    case 'auto_reply':
    case 'reply':
      return applyAnswer(ctx, owner, mail.key, classified, mail.arrivedAt);
    default:
      return [];
  }
}
