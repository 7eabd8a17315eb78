/**
 * A draft that has recipients, and another file or list: replace the draft's list with it (as a
 * first import does, saved as chosen) or add it to the list — which waits for the user's press,
 * since adding twice, or while an address is being typed, would add other people.
 */
import { PlusIcon } from '@radix-ui/react-icons';
import { Button, Flex, Text } from '@radix-ui/themes';
import { plural } from '../../../lib/format';

export type ListMode = 'replace' | 'add';

export function ListModeChoice({ mode, onMode, recipients }: { mode: ListMode; onMode: (mode: ListMode) => void; recipients: number }) {
  const these = recipients === 1 ? 'this recipient' : `these ${plural(recipients, 'recipient')}`;
  return (
    <fieldset className="tr-radios">
      <legend>
        <Text size="2" weight="medium">
          With another file or list:
        </Text>
      </legend>
      <label>
        <input type="radio" name="list-mode" checked={mode === 'replace'} onChange={() => onMode('replace')} />
        <Text size="2">
          <strong>Replace the list</strong> — the new list takes the place of {these}.
        </Text>
      </label>
      <label>
        <input type="radio" name="list-mode" checked={mode === 'add'} onChange={() => onMode('add')} />
        <Text size="2">
          <strong>Add to the list</strong> — the new recipients join {these}. Addresses already in the list are left out, so nobody gets the
          message twice.
        </Text>
      </label>
    </fieldset>
  );
}

/** What is ready to be added, and the button that adds it. */
export function AddToList({
  ready,
  recipients,
  busy,
  onAdd,
}: {
  ready: string | undefined;
  recipients: number;
  busy: boolean;
  onAdd: () => void;
}) {
  return (
    <Flex align="center" gap="3" wrap="wrap" className="tr-subtle-box">
      <Button type="button" disabled={!ready} loading={busy} onClick={onAdd}>
        <PlusIcon /> Add to the list
      </Button>
      <Text size="2" color={ready ? undefined : 'gray'}>
        {ready
          ? `${ready} will be added to the ${plural(recipients, 'recipient')} here.`
          : 'Choose a file or paste addresses above, then add them to the list here.'}
      </Text>
    </Flex>
  );
}
