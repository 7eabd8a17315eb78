/** Small shared pieces: fields with their hint and error, page headers, empty states, badges. */
import { ExclamationTriangleIcon, InfoCircledIcon } from '@radix-ui/react-icons';
import { Badge, Box, Button, Callout, Flex, Heading, Spinner, Text } from '@radix-ui/themes';
import { type ComponentProps, type ReactNode, useState } from 'react';
import type { ApiError } from '../api/client';
import { Modal } from './Modal';

type BadgeColor = ComponentProps<typeof Badge>['color'];

export function PageHeader({
  title,
  description,
  actions,
  back,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  back?: ReactNode;
}) {
  return (
    <Flex className="tr-page-header" justify="between" align="start" gap="4" mb="5" wrap="wrap">
      <Box minWidth="0" className="tr-page-header__text">
        {back}
        <Heading as="h1" size="7" weight="bold" className="tr-break">
          {title}
        </Heading>
        {description && (
          <Text as="p" size="2" color="gray" mt="1">
            {description}
          </Text>
        )}
      </Box>
      {actions && (
        <Flex gap="2" align="center" wrap="wrap" className="tr-page-header__actions">
          {actions}
        </Flex>
      )}
    </Flex>
  );
}

export function Field({
  id,
  label,
  hint,
  error,
  children,
  optional,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  children: ReactNode;
  optional?: boolean;
}) {
  return (
    <div className="tr-field" data-invalid={error ? '' : undefined}>
      <Text as="label" htmlFor={id} size="2" weight="medium" className="tr-field__label">
        {label}
        {optional && (
          <Text size="1" color="gray" weight="regular">
            {' '}
            (optional)
          </Text>
        )}
      </Text>
      {children}
      {hint && !error && (
        <Text as="p" size="1" color="gray" id={`${id}-hint`} className="tr-field__hint">
          {hint}
        </Text>
      )}
      {error && (
        <Text as="p" size="1" color="red" id={`${id}-error`} className="tr-field__error" role="alert">
          <ExclamationTriangleIcon className="tr-inline-icon" /> {error}
        </Text>
      )}
    </div>
  );
}

/** aria props tying an input to its Field's hint or error. */
export function describedBy(id: string, error: string | undefined, hint = true) {
  return {
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? `${id}-error` : hint ? `${id}-hint` : undefined,
  } as const;
}

export function ErrorCallout({ error, title, onRetry }: { error: ApiError | string; title?: string; onRetry?: () => void }) {
  const message = typeof error === 'string' ? error : error.message;
  return (
    <Callout.Root color="red" role="alert" mb="3">
      <Callout.Icon>
        <ExclamationTriangleIcon />
      </Callout.Icon>
      <Callout.Text>
        {title && (
          <Text weight="bold" as="span">
            {title}{' '}
          </Text>
        )}
        {message}
        {onRetry && (
          <>
            {' '}
            <Button size="1" variant="soft" color="red" onClick={onRetry} ml="2">
              Try again
            </Button>
          </>
        )}
      </Callout.Text>
    </Callout.Root>
  );
}

export function Note({ children, color = 'gray', icon }: { children: ReactNode; color?: BadgeColor; icon?: ReactNode }) {
  return (
    <Callout.Root color={color} variant="soft" size="1">
      <Callout.Icon>{icon ?? <InfoCircledIcon />}</Callout.Icon>
      <Callout.Text>{children}</Callout.Text>
    </Callout.Root>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <Flex align="center" justify="center" gap="2" py="9" role="status">
      <Spinner />
      <Text color="gray" size="2">
        {label}
      </Text>
    </Flex>
  );
}

export function EmptyState({ icon, title, children, action }: { icon: ReactNode; title: string; children: ReactNode; action?: ReactNode }) {
  return (
    <Flex direction="column" align="center" gap="3" py="8" px="5" className="tr-empty">
      <div className="tr-empty__icon" aria-hidden="true">
        {icon}
      </div>
      <Heading as="h2" size="4" align="center">
        {title}
      </Heading>
      <Text as="div" size="2" color="gray" align="center" className="tr-empty__text">
        {children}
      </Text>
      {action && <Box mt="2">{action}</Box>}
    </Flex>
  );
}

const CAMPAIGN_STATUS: Record<string, { label: string; color: BadgeColor }> = {
  draft: { label: 'Draft', color: 'gray' },
  queued: { label: 'Queued', color: 'blue' },
  sending: { label: 'Sending', color: 'green' },
  paused: { label: 'Paused', color: 'amber' },
  /** Queued or sending, but held by the caps, a start time or a retry: what the top bar says too. */
  waiting: { label: 'Waiting', color: 'orange' },
  completed: { label: 'Completed', color: 'teal' },
  cancelled: { label: 'Cancelled', color: 'gray' },
};

export function CampaignBadge({ status, waiting }: { status: string; waiting?: boolean }) {
  const shown = waiting && (status === 'queued' || status === 'sending') ? 'waiting' : status;
  const s = CAMPAIGN_STATUS[shown] ?? { label: shown, color: 'gray' as const };
  return (
    <Badge color={s.color} variant="soft" radius="full">
      {s.label}
    </Badge>
  );
}

/** Message states as the user reads them. */
export const MESSAGE_STATUS: Record<string, { label: string; color: BadgeColor; hint: string }> = {
  pending: { label: 'Not queued', color: 'gray', hint: 'In a draft: not queued yet.' },
  queued: { label: 'Queued', color: 'blue', hint: 'Waiting for its turn in a batch.' },
  sending: { label: 'Sending', color: 'green', hint: 'Being handed to Gmail right now.' },
  sent: { label: 'Sent', color: 'teal', hint: 'Gmail accepted it.' },
  retry_wait: { label: 'Retrying', color: 'amber', hint: 'A temporary refusal: it will be tried again.' },
  failed: { label: 'Failed', color: 'red', hint: 'Gmail refused it for good, or retries ran out.' },
  in_doubt: { label: 'In doubt', color: 'orange', hint: 'The connection broke mid-send: it may have arrived.' },
  skipped: { label: 'Skipped', color: 'gray', hint: 'Invalid, duplicate or on the suppression list.' },
  cancelled: { label: 'Cancelled', color: 'gray', hint: 'The campaign was cancelled before it went out.' },
  expired: { label: 'Expired', color: 'gray', hint: 'Not sent before the campaign’s stop time.' },
  bounced: { label: 'Bounced', color: 'red', hint: 'Gmail took it, then a failure notice came back: the address does not take mail.' },
  rehearsed: { label: 'Rehearsed', color: 'purple', hint: 'A rehearsal: written to its log, never sent.' },
};

export function ConfirmDialog({
  open,
  onClose,
  title,
  children,
  confirmLabel,
  color = 'red',
  onConfirm,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  color?: 'red' | 'indigo' | 'orange';
  /** Resolves with an error message to show, or nothing when done. */
  onConfirm: () => Promise<string | undefined>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const close = () => {
    setError(undefined);
    onClose();
  };
  return (
    <Modal open={open} onClose={close} title={title} width={460} closeOnBackdrop>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            const problem = await onConfirm();
            if (problem) setError(problem);
            else close();
          } finally {
            setBusy(false);
          }
        }}
      >
        <Text as="div" size="2" mb="4">
          {children}
        </Text>
        {error && <ErrorCallout error={error} />}
        <Flex gap="3" justify="end">
          <Button type="button" variant="soft" color="gray" onClick={close}>
            Keep as is
          </Button>
          <Button type="submit" color={color} loading={busy} data-autofocus>
            {confirmLabel}
          </Button>
        </Flex>
      </form>
    </Modal>
  );
}

/** A capacity/progress bar drawn with plain elements (width via CSSOM, allowed by the CSP). */
export function Meter({
  value,
  max,
  color = 'indigo',
  label,
  size = 'md',
}: {
  value: number;
  max: number;
  color?: 'indigo' | 'green' | 'amber' | 'red' | 'teal';
  label: string;
  size?: 'sm' | 'md' | 'lg';
}) {
  const pct = max > 0 ? Math.min(100, Math.max(0, (value / max) * 100)) : 0;
  return (
    <div
      className={`tr-meter tr-meter--${size} tr-meter--${color}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value}
    >
      <div className="tr-meter__fill" style={{ width: `${pct}%` }} />
    </div>
  );
}
