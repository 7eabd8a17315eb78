/** A titled card of the editor, its content stacked. */
import { Card, Flex, Heading, Text } from '@radix-ui/themes';
import type { ReactNode } from 'react';

export function Section({ title, aside, children }: { title: string; aside?: ReactNode; children: ReactNode }) {
  return (
    <Card size="3" asChild>
      <section aria-label={title}>
        <Flex justify="between" align="baseline" mb="4" gap="3">
          <Heading as="h2" size="4">
            {title}
          </Heading>
          {aside && (
            <Text size="1" color="gray">
              {aside}
            </Text>
          )}
        </Flex>
        <Flex direction="column" gap="4">
          {children}
        </Flex>
      </section>
    </Card>
  );
}
