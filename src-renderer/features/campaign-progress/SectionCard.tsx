/** A titled card on the progress page, with a coloured top edge for problems. */
import { Box, Card, Flex, Heading, Text } from '@radix-ui/themes';
import type { ReactNode } from 'react';

export function SectionCard({ title, description, actions, children, tone }: { title: string; description?: ReactNode; actions?: ReactNode; children: ReactNode; tone?: 'red' | 'orange' }) {
  return (
    <Card size="3" className={tone ? `tr-section tr-section--${tone}` : 'tr-section'}>
      <Flex justify="between" align="start" gap="3" mb="3" wrap="wrap">
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
        {actions && <Flex gap="2">{actions}</Flex>}
      </Flex>
      {children}
    </Card>
  );
}
