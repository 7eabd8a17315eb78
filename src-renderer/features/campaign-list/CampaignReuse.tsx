/**
 * Using a campaign again: copy it to a new draft (with all its recipients, only those it did
 * not reach, or none), delete a draft, archive a finished campaign. Shown in the list and on
 * a campaign's page.
 */
import { ArchiveIcon, CopyIcon, TrashIcon } from '@radix-ui/react-icons';
import { Button, Flex, Text } from '@radix-ui/themes';
import { useState } from 'react';
import type { Campaign } from '../../../src-shared/views/campaigns';
import { useAction } from '../../api/hooks';
import { useToast } from '../../components/Toasts';
import { ConfirmDialog } from '../../components/ui';
import { reachable } from '../../lib/campaigns';
import { num, plural } from '../../lib/format';
import { navigate } from '../../lib/route';
import { importReports } from '../../lib/session';

type Recipients = 'all' | 'unsent' | 'none';

/** How many a copy for "only those not sent to" would take (before the suppression list is checked). */
function unreached(c: Campaign): number {
  return c.counts.failed + c.counts.cancelled + c.counts.expired + (c.status === 'draft' ? c.counts.pending : 0);
}

/** `compact`: icons only (a row of the list), each named for screen readers and on hover. */
export function CampaignReuseActions({ campaign, compact = false }: { campaign: Campaign; compact?: boolean }) {
  const size = compact ? '1' : '2';
  const [dialog, setDialog] = useState<'copy' | 'delete' | 'archive'>();
  const [recipients, setRecipients] = useState<Recipients>(() =>
    unreached(campaign) > 0 && campaign.status !== 'draft' ? 'unsent' : 'all',
  );
  const action = useAction();
  const toast = useToast();
  const finished = campaign.status === 'completed' || campaign.status === 'cancelled';
  return (
    <>
      <Flex gap="2" wrap={compact ? 'nowrap' : 'wrap'} justify="end">
        <Button
          size={size}
          variant="soft"
          onClick={() => setDialog('copy')}
          aria-label={`Copy ${campaign.name}`}
          title="Copy to a new draft"
        >
          <CopyIcon /> {!compact && 'Copy'}
        </Button>
        {campaign.status === 'draft' && (
          <Button
            size={size}
            variant="soft"
            color="red"
            onClick={() => setDialog('delete')}
            aria-label={`Delete ${campaign.name}`}
            title="Delete this draft"
          >
            <TrashIcon /> {!compact && 'Delete'}
          </Button>
        )}
        {finished && (
          <Button
            size={size}
            variant="soft"
            color="gray"
            onClick={() => (campaign.archivedAt ? void unarchive() : setDialog('archive'))}
            aria-label={`${campaign.archivedAt ? 'Unarchive' : 'Archive'} ${campaign.name}`}
            title={campaign.archivedAt ? 'Back to the list' : 'Archive: hide from the list'}
          >
            <ArchiveIcon /> {!compact && (campaign.archivedAt ? 'Unarchive' : 'Archive')}
          </Button>
        )}
      </Flex>

      <ConfirmDialog
        open={dialog === 'copy'}
        onClose={() => setDialog(undefined)}
        title={`Copy “${campaign.name}”`}
        confirmLabel="Make the copy"
        color="indigo"
        onConfirm={async () => {
          const envelope = await action('campaigns.copy', { id: campaign.id, recipients });
          if (!envelope.ok) return envelope.error.message;
          importReports.set(envelope.value.campaign.id, envelope.value.report);
          toast(`Draft “${envelope.value.campaign.name}” made with ${plural(envelope.value.report.imported, 'recipient')}.`);
          navigate({ page: 'campaign-edit', id: envelope.value.campaign.id });
        }}
      >
        <Flex direction="column" gap="2">
          <Text>The copy is a new draft with the same message, attachments and merge fields. Send it to:</Text>
          <fieldset className="tr-radios">
            <legend className="tr-visually-hidden">Recipients of the copy</legend>
            <label>
              <input type="radio" name="copy-recipients" checked={recipients === 'unsent'} onChange={() => setRecipients('unsent')} />
              <span>
                <strong>Only those not sent to</strong> ({num(unreached(campaign))}): failed, cancelled or expired, and those no longer on
                the suppression list. Never a bounced or suppressed address.
              </span>
            </label>
            <label>
              <input type="radio" name="copy-recipients" checked={recipients === 'all'} onChange={() => setRecipients('all')} />
              <span>
                <strong>Everyone</strong> ({num(reachable(campaign))}) again.
              </span>
            </label>
            <label>
              <input type="radio" name="copy-recipients" checked={recipients === 'none'} onChange={() => setRecipients('none')} />
              <span>
                <strong>Nobody yet</strong>: import a new list into the copy.
              </span>
            </label>
          </fieldset>
        </Flex>
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'delete'}
        onClose={() => setDialog(undefined)}
        title={`Delete “${campaign.name}”?`}
        confirmLabel="Delete the draft"
        onConfirm={async () => {
          const envelope = await action('campaigns.delete', { id: campaign.id });
          if (!envelope.ok) return envelope.error.message;
          toast(`Draft “${campaign.name}” deleted.`);
          navigate({ page: 'campaigns' });
        }}
      >
        The draft and its {plural(campaign.total, 'recipient row')} are removed. Nothing was sent from it.
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'archive'}
        onClose={() => setDialog(undefined)}
        title={`Archive “${campaign.name}”?`}
        confirmLabel="Archive"
        color="indigo"
        onConfirm={async () => {
          const envelope = await action('campaigns.archive', { id: campaign.id });
          if (!envelope.ok) return envelope.error.message;
          toast(`“${campaign.name}” archived: find it with “Show archived”.`);
        }}
      >
        It leaves the list; its results stay, and what it sent still counts towards each account’s daily limit.
      </ConfirmDialog>
    </>
  );

  async function unarchive() {
    const envelope = await action('campaigns.archive', { id: campaign.id, archived: false });
    if (envelope.ok) toast(`“${campaign.name}” is back in the list.`);
  }
}
