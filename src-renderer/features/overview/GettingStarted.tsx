/** The overview before there is an account and a campaign: the three steps to a first campaign. */
import { CheckCircledIcon, EnvelopeClosedIcon, PersonIcon, PlayIcon, PlusIcon } from '@radix-ui/react-icons';
import { Badge, Box, Button, Card, Heading, Text } from '@radix-ui/themes';
import type { ReactNode } from 'react';
import { PageHeader } from '../../components/ui';
import { href } from '../../lib/route';

export function GettingStarted({ hasAccount, hasCampaign }: { hasAccount: boolean; hasCampaign: boolean }) {
  const steps: { done: boolean; title: string; text: string; action: ReactNode; icon: ReactNode }[] = [
    {
      done: hasAccount,
      title: 'Add the Gmail account you send from',
      text: 'With an app password from Google. Add a few accounts to send more each day.',
      action: (
        <Button asChild variant={hasAccount ? 'soft' : 'solid'}>
          <a href={href({ page: 'accounts' })}>
            <PersonIcon /> {hasAccount ? 'See accounts' : 'Add an account'}
          </a>
        </Button>
      ),
      icon: <PersonIcon />,
    },
    {
      done: hasCampaign,
      title: 'Create a campaign',
      text: 'Write the message once with merge fields like {{name}}, and import your list from a CSV file.',
      action: (
        <Button asChild variant={hasAccount && !hasCampaign ? 'solid' : 'soft'}>
          <a href={href({ page: 'campaign-new' })}>
            <PlusIcon /> New campaign
          </a>
        </Button>
      ),
      icon: <EnvelopeClosedIcon />,
    },
    {
      done: false,
      title: 'Preview, test, and press Queue',
      text: 'Trickle sends 10 emails every 30 seconds, never past an account’s daily cap, and shows where every message is.',
      action: null,
      icon: <PlayIcon />,
    },
  ];
  return (
    <>
      <PageHeader
        title="Welcome to Trickle"
        description="Send one message to hundreds or thousands of people through your own Gmail, gently."
      />
      <Card size="4">
        <ol className="tr-steps">
          {steps.map((step, i) => (
            <li key={step.title} className={step.done ? 'tr-steps__done' : undefined}>
              <span className="tr-steps__num" aria-hidden="true">
                {step.done ? <CheckCircledIcon width="18" height="18" /> : i + 1}
              </span>
              <Box flexGrow="1" minWidth="0">
                <Heading as="h2" size="4">
                  {step.title}
                  {step.done && (
                    <Badge color="green" ml="2" radius="full">
                      Done
                    </Badge>
                  )}
                </Heading>
                <Text as="p" size="2" color="gray">
                  {step.text}
                </Text>
              </Box>
              {step.action}
            </li>
          ))}
        </ol>
      </Card>
    </>
  );
}
