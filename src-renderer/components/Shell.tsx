/** The frame around every page: the sidebar and the sending-status strip. */
import { ActivityLogIcon, EnvelopeClosedIcon, GearIcon, PauseIcon, PersonIcon, PlayIcon } from '@radix-ui/react-icons';
import { Badge, Button, Flex, Text, Tooltip } from '@radix-ui/themes';
import type { ReactNode } from 'react';
import type { SendingState } from '../../src-shared/views/sending';
import { useActionState, useApi, useConnection } from '../api/hooks';
import { useSendingStatus } from '../api/status';
import { clock, countdown, num, when } from '../lib/format';
import { href, type Route, useNow } from '../lib/route';
import { useToast } from './Toasts';

const NAV: { page: 'progress' | 'campaigns' | 'accounts' | 'settings'; label: string; icon: ReactNode }[] = [
  { page: 'progress', label: 'Progress', icon: <ActivityLogIcon /> },
  { page: 'campaigns', label: 'Campaigns', icon: <EnvelopeClosedIcon /> },
  { page: 'accounts', label: 'Accounts', icon: <PersonIcon /> },
  { page: 'settings', label: 'Settings', icon: <GearIcon /> },
];

function section(route: Route): string {
  if (route.page.startsWith('campaign')) return 'campaigns';
  return route.page;
}

export function Sidebar({ route }: { route: Route }) {
  const accounts = useApi('accounts.list');
  const info = useApi('app.info', undefined, { staleTime: Infinity, refetchInterval: false });
  const connection = useConnection();
  const attention = (accounts.data ?? []).filter((a) => a.state === 'auth_failed').length;
  const current = section(route);
  return (
    <nav className="tr-sidebar" aria-label="Main">
      <a className="tr-wordmark" href="#/progress">
        <span className="tr-wordmark__drop" aria-hidden="true" />
        <span className="tr-wordmark__text">Trickle</span>
      </a>
      <ul className="tr-nav">
        {NAV.map((item) => (
          <li key={item.page}>
            <a className="tr-nav__link" href={href({ page: item.page })} aria-current={current === item.page ? 'page' : undefined}>
              {item.icon}
              <span>{item.label}</span>
              {item.page === 'accounts' && attention > 0 && (
                <Badge color="red" radius="full" size="1" ml="auto" aria-label={`${attention} need attention`}>
                  {attention}
                </Badge>
              )}
            </a>
          </li>
        ))}
      </ul>
      <div className="tr-sidebar__foot">
        <Text as="p" size="1" color="gray">
          {connection === 'lost' ? (
            <span className="tr-conn tr-conn--lost">Live updates lost — reconnecting…</span>
          ) : connection === 'live' ? (
            <span className="tr-conn tr-conn--live">Live</span>
          ) : (
            <span className="tr-conn">Connecting…</span>
          )}
        </Text>
        {info.data && (
          <Text as="p" size="1" color="gray">
            Version {info.data.version}
          </Text>
        )}
      </div>
    </nav>
  );
}

const STATE_LABEL: Record<SendingState, { label: string; color: 'green' | 'orange' | 'amber' | 'gray' }> = {
  sending: { label: 'Sending', color: 'green' },
  waiting: { label: 'Waiting', color: 'orange' },
  paused: { label: 'Paused', color: 'amber' },
  idle: { label: 'Idle', color: 'gray' },
};

/**
 * The top bar: the engine's one status snapshot, as it is — sending (with the next batch),
 * waiting (why, and until when: no countdown to a batch that would send nothing), paused, idle —
 * or "Disconnected" when this page lost the server (its last numbers are kept, said so).
 */
export function StatusStrip() {
  const { status: s, error, disconnected } = useSendingStatus();
  const now = useNow(1000);
  const toast = useToast();
  const action = useActionState();
  if (!s) {
    return (
      // biome-ignore lint/a11y/useAriaPropsSupportedByRole: this <header> is the page's banner landmark, which takes a name (Biome reads <header> as having no role: biomejs/biome#6479)
      <header className="tr-strip" aria-label="Sending status" data-state={disconnected ? 'disconnected' : 'loading'}>
        <Text size="2" color="gray">
          {error ? error.message : 'Loading the sending status…'}
        </Text>
      </header>
    );
  }
  const state = disconnected ? { label: 'Disconnected', color: 'red' as const } : STATE_LABEL[s.state];
  const next = s.state === 'sending' && s.nextBatchAt ? Date.parse(s.nextBatchAt) : undefined;
  const left = s.queued + s.retryWaiting + s.inFlight;
  const rehearsing = s.campaigns.filter((c) => c.rehearsal && c.left > 0).reduce((n, c) => n + c.left, 0);

  const toggle = async () => {
    const result = await action.run(s.paused ? 'sending.resume' : 'sending.pause');
    if (result) toast(result.paused ? 'Sending paused. The message in hand finishes; nothing new starts.' : 'Sending resumed.');
    else if (action.error) toast(action.error.message, 'error');
  };

  let line: string | undefined;
  if (disconnected) line = `Lost the connection to Trickle — reconnecting… The numbers shown are from ${clock(s.at)}.`;
  else if (s.state === 'paused' && s.paused)
    line = `Sending is paused for every campaign${left > 0 ? ` — ${num(s.queued + s.retryWaiting)} waiting` : ''}. Resume to carry on.`;
  else if (s.waiting && (s.state === 'waiting' || s.state === 'paused')) {
    line = s.waiting.reason + (s.waiting.until ? ` Sending resumes ${when(s.waiting.until)}.` : '');
  }

  return (
    // biome-ignore lint/a11y/useAriaPropsSupportedByRole: this <header> is the page's banner landmark, which takes a name (Biome reads <header> as having no role: biomejs/biome#6479)
    <header
      className={`tr-strip${disconnected ? ' tr-strip--disconnected' : ''}`}
      aria-label="Sending status"
      data-state={disconnected ? 'disconnected' : s.state}
      data-at={s.at}
    >
      <Flex align="center" gap="4" wrap="wrap" className="tr-strip__row">
        <span className={`tr-state tr-state--${state.color}`} role="status">
          <span className="tr-state__dot" aria-hidden="true" />
          {state.label}
        </span>
        <Stat label="Sent in 24 h" value={num(s.sentLast24h)} name="sent24h" />
        <Stat label="Capacity left" value={num(s.capacityLeft)} name="capacity" />
        <Stat label="Queued" value={num(left)} name="left" />
        {!disconnected && next !== undefined && (
          <Stat label="Next batch" value={next > now ? countdown(next, now) : 'any moment'} name="next" />
        )}
        {!disconnected && (s.state === 'sending' || s.state === 'waiting') && s.eta && (
          <Stat label="All done" value={when(s.eta)} name="eta" wide />
        )}
        {!disconnected && s.state === 'idle' && (
          <Text size="2" color="gray" className="tr-nowrap">
            Nothing waiting to be sent
          </Text>
        )}
        <Flex ml="auto" gap="2" align="center">
          {rehearsing > 0 && (
            <Tooltip content="A rehearsal writes every message to its log file in the data folder. Nothing of it is sent or counted against a cap.">
              <Badge color="purple" variant="soft" size="2" tabIndex={0}>
                Rehearsal: {num(rehearsing)} left
              </Badge>
            </Tooltip>
          )}
          <Button
            size="2"
            variant={s.paused ? 'solid' : 'soft'}
            color={s.paused ? 'green' : 'gray'}
            loading={action.busy}
            disabled={disconnected}
            onClick={toggle}
          >
            {s.paused ? <PlayIcon /> : <PauseIcon />}
            {s.paused ? 'Resume sending' : 'Pause sending'}
          </Button>
        </Flex>
      </Flex>
      {line && (
        <Text as="p" size="2" className="tr-strip__reason">
          {line}
        </Text>
      )}
    </header>
  );
}

function Stat({ label, value, wide, name }: { label: string; value: string; wide?: boolean; name: string }) {
  return (
    <span className={wide ? 'tr-stat tr-stat--wide' : 'tr-stat'} data-stat={name}>
      <span className="tr-stat__label">{label}</span>
      <span className="tr-stat__value">{value}</span>
    </span>
  );
}
