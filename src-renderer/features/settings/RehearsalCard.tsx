/** Rehearsals: where the old app-wide dry run was — now a campaign's own choice, and where its log goes. */
import { Text } from '@radix-ui/themes';
import { SectionCard } from '../../components/SectionCard';

export function RehearsalCard({ dataDir }: { dataDir: string | undefined }) {
  return (
    <SectionCard title="Rehearsals">
      <Text as="p" size="2" color="gray">
        To try a campaign without sending it, tick <strong>Rehearsal</strong> in its editor. Every message is then prepared exactly as it
        would go out and written to <code className="tr-code-inline">rehearsals/campaign-N.log</code> in the data folder
        {dataDir ? (
          <>
            {' '}
            (<span className="tr-break">{dataDir}</span>)
          </>
        ) : (
          ''
        )}
        . Its messages end “rehearsed”, never “sent”; nothing of it counts towards an account’s cap, and no other campaign is touched. A
        rehearsed campaign can be copied into a real draft when it looks right.
      </Text>
    </SectionCard>
  );
}
