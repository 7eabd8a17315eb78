/** A card of the editor: the shared SectionCard, its content stacked 16 px apart. */
import { Flex } from '@radix-ui/themes';
import type { ReactNode } from 'react';
import { SectionCard } from '../../components/SectionCard';

export function Section({ title, aside, children }: { title: string; aside?: ReactNode; children: ReactNode }) {
  return (
    <SectionCard title={title} aside={aside}>
      <Flex direction="column" gap="4">
        {children}
      </Flex>
    </SectionCard>
  );
}
