/**
 * A titled card, the block the pages are made of: a heading, an optional line under it,
 * something small on the right (a note, or buttons), then the content. It is a labelled
 * region, so a screen reader can jump between them. `tone` gives a problem a coloured top
 * edge; `gap` is the space between the header and the content.
 */
import { Box, Card, Flex, Heading, Text } from '@radix-ui/themes';
import type { ReactNode } from 'react';

export function SectionCard({
  title,
  description,
  aside,
  actions,
  tone,
  gap = '4',
  children,
}: {
  title: string;
  description?: ReactNode;
  /** A short note at the right, on the heading's baseline. */
  aside?: ReactNode;
  /** Buttons at the right, level with the heading's top. */
  actions?: ReactNode;
  tone?: 'red' | 'orange';
  gap?: '3' | '4';
  children: ReactNode;
}) {
  return (
    <Card size="3" asChild className={tone ? `tr-section tr-section--${tone}` : 'tr-section'}>
      <section aria-label={title}>
        <Flex justify="between" align={actions ? 'start' : 'baseline'} gap="3" mb={gap} wrap="wrap">
          <Box minWidth="0" className="tr-section__text">
            <Heading as="h2" size="4">
              {title}
            </Heading>
            {description && (
              <Text as="p" size="2" color="gray" mt="1">
                {description}
              </Text>
            )}
          </Box>
          {aside && (
            <Text size="1" color="gray">
              {aside}
            </Text>
          )}
          {actions && <Flex gap="2">{actions}</Flex>}
        </Flex>
        {children}
      </section>
    </Card>
  );
}
