/** A titled card on the settings page: one group of settings. */
import { Box, Card, Heading, Text } from '@radix-ui/themes';
import type { ReactNode } from 'react';

export function SettingsCard({ title, description, children }: { title: string; description?: ReactNode; children: ReactNode }) {
  return (
    <Card size="3" asChild>
      <section aria-label={title}>
        <Heading as="h2" size="4">
          {title}
        </Heading>
        {description && (
          <Text as="p" size="2" color="gray" mt="1">
            {description}
          </Text>
        )}
        <Box mt="4">{children}</Box>
      </section>
    </Card>
  );
}
