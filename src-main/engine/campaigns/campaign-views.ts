import { iso } from '../core/clock';
import type { CampaignRow, CampaignStatus, MessageStatus, MessageRow } from '../db/schema';
import type { AttachmentInfo, Campaign, Message, MessageCounts, ReplyCounts } from '../../../src-shared/views/campaigns';

// What the API answers about campaigns and their messages, and how a row becomes one.

/**
 * A draft's recipients are stored ready to send (`queued`, their Message-IDs fixed: see
 * import-storage.ts), so that queueing a draft changes no message. To the user they are
 * what they are for them: `pending`, not queued yet, with no Message-ID until the draft is
 * queued (PRODUCT.md: "pending (draft) → queued"). This is where the two meet.
 */
function shownStatus(campaign: CampaignStatus, stored: MessageStatus): MessageStatus {
  return campaign === 'draft' && stored === 'queued' ? 'pending' : stored;
}

/** The stored status a filter on `shown` reads, in a campaign of this status. */
export function storedStatus(campaign: CampaignStatus, shown: MessageStatus): MessageStatus | undefined {
  if (campaign !== 'draft') return shown;
  if (shown === 'pending') return 'queued';
  // A draft's queued messages are shown as pending: none is shown as queued.
  return shown === 'queued' ? undefined : shown;
}

/** Counts as the user sees them (a draft's stored `queued` are `pending`). */
export function shownCounts(campaign: CampaignStatus, counts: MessageCounts): MessageCounts {
  if (campaign !== 'draft') return counts;
  return { ...counts, pending: counts.pending + counts.queued, queued: 0 };
}

export function toCampaign(
  row: CampaignRow,
  storedCounts: MessageCounts,
  replies: ReplyCounts,
  eta: number | undefined,
  attachments: AttachmentInfo[],
  rehearsalLog: string,
): Campaign {
  const counts = shownCounts(row.status, storedCounts);
  return {
    id: row.id,
    name: row.name,
    subject: row.subject,
    ...(row.html ? { html: row.html } : {}),
    ...(row.text ? { text: row.text } : {}),
    ...(row.from_name ? { fromName: row.from_name } : {}),
    ...(row.reply_to ? { replyTo: row.reply_to } : {}),
    attachments,
    fields: JSON.parse(row.fields) as string[],
    status: row.status,
    rehearsal: row.rehearsal === 1,
    ...(row.rehearsal === 1 ? { rehearsalLog } : {}),
    ...(row.status_detail ? { statusDetail: row.status_detail } : {}),
    ...(row.send_after != null ? { sendAfter: iso(row.send_after)! } : {}),
    ...(row.stop_after != null ? { stopAfter: iso(row.stop_after)! } : {}),
    counts,
    replies,
    total: Object.values(counts).reduce((a, b) => a + b, 0),
    createdAt: iso(row.created_at)!,
    ...(row.queued_at != null ? { queuedAt: iso(row.queued_at)! } : {}),
    ...(row.completed_at != null ? { completedAt: iso(row.completed_at)! } : {}),
    ...(eta !== undefined ? { eta: iso(eta)! } : {}),
    ...(row.archived_at != null ? { archivedAt: iso(row.archived_at)! } : {}),
  };
}

export function toMessage(
  campaign: CampaignStatus,
  /** The message's row: the columns the API shows. */
  row: Pick<
    MessageRow,
    | 'id'
    | 'row'
    | 'email'
    | 'name'
    | 'status'
    | 'attempts'
    | 'account_id'
    | 'message_id'
    | 'sent_at'
    | 'skip_reason'
    | 'error_code'
    | 'error_response'
    | 'error_explanation'
    | 'bounce_status'
    | 'bounce_diagnostic'
    | 'bounce_explanation'
    | 'bounced_at'
    | 'replied_at'
    | 'auto_replied_at'
    | 'unsubscribed_at'
    | 'settled_how'
    | 'settled_at'
  >,
): Message {
  return {
    id: row.id,
    row: row.row,
    email: row.email,
    ...(row.name ? { name: row.name } : {}),
    status: shownStatus(campaign, row.status),
    attempts: row.attempts,
    ...(row.account_id != null ? { accountId: row.account_id } : {}),
    ...(row.message_id && campaign !== 'draft' ? { messageId: row.message_id } : {}),
    ...(row.sent_at != null ? { sentAt: iso(row.sent_at)! } : {}),
    ...(row.skip_reason ? { skipReason: row.skip_reason } : {}),
    ...(row.error_code
      ? {
          lastError: {
            code: row.error_code,
            response: row.error_response ?? '',
            explanation: row.error_explanation ?? '',
          },
        }
      : {}),
    ...(row.bounce_status && row.bounced_at != null
      ? {
          bounce: {
            status: row.bounce_status,
            diagnostic: row.bounce_diagnostic ?? '',
            explanation: row.bounce_explanation ?? '',
            at: iso(row.bounced_at)!,
          },
        }
      : {}),
    ...(row.replied_at != null ? { repliedAt: iso(row.replied_at)! } : {}),
    ...(row.auto_replied_at != null ? { autoRepliedAt: iso(row.auto_replied_at)! } : {}),
    ...(row.unsubscribed_at != null ? { unsubscribedAt: iso(row.unsubscribed_at)! } : {}),
    ...(row.settled_how && row.settled_at != null
      ? {
          settled: {
            how: row.settled_how === 'sent_mail_found' ? ('confirmed_in_sent_mail' as const) : ('not_in_sent_mail' as const),
            at: iso(row.settled_at)!,
          },
        }
      : {}),
  };
}
