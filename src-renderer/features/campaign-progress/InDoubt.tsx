/** The messages that may or may not have arrived, and Resend after a warning. */
import { ReloadIcon } from '@radix-ui/react-icons';
import { Button, Text } from '@radix-ui/themes';
import { useState } from 'react';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { useActionState, useApi } from '../../api/hooks';
import { useToast } from '../../components/Toasts';
import { ConfirmDialog } from '../../components/ui';
import { plural } from '../../lib/format';
import { MessagesTable, ServerReply } from './MessagesTable';
import { SectionCard } from '../../components/SectionCard';

export function InDoubt({ campaign: c }: { campaign: Campaign }) {
  const list = useApi('campaigns.messages', { id: c.id, status: 'in_doubt', limit: 100 });
  const settings = useApi('settings.get');
  const resend = useActionState();
  const toast = useToast();
  const [confirm, setConfirm] = useState<{ ids?: number[]; label: string } | null>(null);
  const canResend = c.status !== 'cancelled';
  return (
    <SectionCard
      tone="orange"
      gap="3"
      title={`${plural(c.counts.in_doubt, 'message')} in doubt`}
      description={
        settings.data?.settleInDoubtFromSentMail
          ? `The connection broke after these were handed to Gmail, or Trickle stopped mid-send: they may have arrived. Trickle looks for each in the sending account’s Sent Mail: found, it counts as sent; still missing ${settings.data.settleInDoubtAfterMinutes} minutes after the attempt, Gmail never took it and it goes back in the queue by itself. You can also resend now.`
          : "The connection broke after these were handed to Gmail, or Trickle stopped mid-send: they may have arrived. Trickle never sends them again by itself. Check a recipient's inbox or your Sent folder if you can, then resend the ones that did not arrive."
      }
      actions={
        canResend && (
          <Button
            color="orange"
            variant="soft"
            onClick={() => setConfirm({ label: `all ${plural(c.counts.in_doubt, 'message')} in doubt` })}
          >
            <ReloadIcon /> Resend all…
          </Button>
        )
      }
    >
      <MessagesTable
        query={list}
        reasonTitle="What happened"
        renderReason={(m) => (m.lastError ? <ServerReply message={m} /> : <Text size="2">The send was interrupted.</Text>)}
        action={(m) =>
          canResend && (
            <Button
              size="1"
              variant="soft"
              color="gray"
              onClick={() => setConfirm({ ids: [m.id], label: m.email })}
              aria-label={`Resend to ${m.email}`}
            >
              Resend…
            </Button>
          )
        }
      />
      <ConfirmDialog
        open={confirm !== null}
        onClose={() => setConfirm(null)}
        title="Send again?"
        confirmLabel="Resend"
        color="orange"
        onConfirm={async () => {
          if (!confirm) return;
          const result = await resend.run('campaigns.resendInDoubt', { id: c.id, ...(confirm.ids ? { messageIds: confirm.ids } : {}) });
          if (!result) return resend.error?.message ?? 'Not resent.';
          toast(`${plural(result.requeued, 'message')} queued again.`);
        }}
      >
        Resend {confirm?.label}? If the first copy did arrive, the recipient gets it <strong>twice</strong>. The copy keeps the same
        Message-ID, so many mail apps show it only once.
      </ConfirmDialog>
    </SectionCard>
  );
}
