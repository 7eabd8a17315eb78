/** The frame around every page: the sidebar and the sending-status strip. */
import { ActivityLogIcon, EnvelopeClosedIcon, GearIcon, PauseIcon, PersonIcon, PlayIcon } from '@radix-ui/react-icons';
import { Badge, Button, Flex, Text, Tooltip } from '@radix-ui/themes';
import type { ReactNode } from 'react';
import { useActionState, useApi, useConnection } from '../api/hooks';
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

export function StatusStrip() {
  const status = useApi('sending.status');
  const now = useNow(1000);
  const toast = useToast();
  const action = useActionState();
  const s = status.data;
  if (!s) {
    return (
      <header className="tr-strip" aria-label="Sending status">
        <Text size="2" color="gray">
          {status.error ? status.error.message : 'Loading the sending status…'}
        </Text>
      </header>
    );
  }
  const working = s.inFlight > 0 || (s.queued > 0 && !s.waitingReason);
  const state = s.paused
    ? { label: 'Paused', color: 'amber' as const }
    : s.waitingReason
      ? { label: 'Waiting', color: 'orange' as const }
      : working
        ? { label: 'Sending', color: 'green' as const }
        : { label: 'Idle', color: 'gray' as const };
  const next = s.nextBatchAt ? Date.parse(s.nextBatchAt) : undefined;
  const hasWork = s.queued + s.inFlight + s.retryWaiting > 0;

  const toggle = async () => {
    const result = await action.run(s.paused ? 'sending.resume' : 'sending.pause');
    if (result) toast(result.paused ? 'Sending paused. The message in hand finishes; nothing new starts.' : 'Sending resumed.');
    else if (action.error) toast(action.error.message, 'error');
  };

  return (
    <header className="tr-strip" aria-label="Sending status">
      <Flex align="center" gap="4" wrap="wrap" className="tr-strip__row">
        <span className={`tr-state tr-state--${state.color}`} role="status">
          <span className="tr-state__dot" aria-hidden="true" />
          {state.label}
        </span>
        <Stat label="Sent in 24 h" value={num(s.sentLast24h)} />
        <Stat label="Capacity left" value={num(s.capacityLeft)} />
        <Stat label="Queued" value={num(s.queued + s.retryWaiting + s.inFlight)} />
        {hasWork && !s.paused && next !== undefined && (
          <Stat label="Next batch" value={next > now ? countdown(next, now) : 'any moment'} />
        )}
        {hasWork && !s.paused && s.eta && <Stat label="All done" value={when(s.eta)} wide />}
        {!hasWork && !s.paused && (
          <Text size="2" color="gray" className="tr-nowrap">
            Nothing waiting to be sent
          </Text>
        )}
        <Flex ml="auto" gap="2" align="center">
          {s.dryRun && (
            <Tooltip content="Dry run is on: messages are written to dry-run.log in the data folder. Nothing is sent.">
              <Badge color="purple" variant="solid" size="2" tabIndex={0}>
                DRY RUN
              </Badge>
            </Tooltip>
          )}
          <Button size="2" variant={s.paused ? 'solid' : 'soft'} color={s.paused ? 'green' : 'gray'} loading={action.busy} onClick={toggle}>
            {s.paused ? <PlayIcon /> : <PauseIcon />}
            {s.paused ? 'Resume sending' : 'Pause sending'}
          </Button>
        </Flex>
      </Flex>
      {s.waitingReason && !s.paused && (
        <Text as="p" size="2" className="tr-strip__reason">
          {s.waitingReason}
          {s.resumesAt && !s.waitingReason.includes(clock(s.resumesAt)) ? ` Sending resumes ${when(s.resumesAt)}.` : ''}
        </Text>
      )}
      {s.paused && (
        <Text as="p" size="2" className="tr-strip__reason">
          Sending is paused for every campaign{hasWork ? ` — ${num(s.queued + s.retryWaiting)} waiting` : ''}. Resume to carry on.
        </Text>
      )}
    </header>
  );
}

function Stat({ label, value, wide }: { label: string; value: string; wide?: boolean }) {
  return (
    <span className={wide ? 'tr-stat tr-stat--wide' : 'tr-stat'}>
      <span className="tr-stat__label">{label}</span>
      <span className="tr-stat__value">{value}</span>
    </span>
  );
}

