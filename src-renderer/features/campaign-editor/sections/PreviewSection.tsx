/**
 * The saved campaign as one recipient gets it (headers and the message in a sandboxed frame),
 * and a test send made with that recipient's data.
 */
import { Text } from '@radix-ui/themes';
import { useEffect, useState } from 'react';
import type { Campaign } from '../../../../src-shared/views/campaigns';
import { useApi, useClient } from '../../../api/hooks';
import { describedBy, ErrorCallout, Field, Loading, Note } from '../../../components/ui';
import { Section } from '../Section';
import { TestSendSection } from './TestSendSection';

/**
 * The address of a frame showing one of Trickle's pages: in a browser it carries a one-use
 * ticket (a frame cannot send the token's header), so a new one is asked for each time.
 */
function useFrameUrl(path: string | undefined): string | undefined {
  const client = useClient();
  const [url, setUrl] = useState<{ path: string; url: string | undefined }>();
  useEffect(() => {
    if (path === undefined) return;
    let current = true;
    void client.frameUrl(path).then((u) => current && setUrl({ path, url: u }));
    return () => {
      current = false;
    };
  }, [client, path]);
  return url && url.path === path ? url.url : undefined;
}

/** A row number finds that row; anything else searches addresses and names. */
function findArgs(query: string): { row: number } | { search: string } | Record<string, never> {
  const q = query.trim();
  if (/^\d+$/.test(q)) return { row: Number(q) };
  return q ? { search: q } : {};
}

export function PreviewSection({
  campaign,
  version,
  dirty,
  readOnly = false,
}: {
  campaign: Campaign;
  version: number;
  dirty: boolean;
  /** A finished campaign: its message as it went out, without a test send. */
  readOnly?: boolean;
}) {
  const [query, setQuery] = useState('');
  const [typed, setTyped] = useState('');
  // Asked for a moment after the last key, not at every one.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(typed), 250);
    return () => clearTimeout(timer);
  }, [typed]);
  const everyone = useApi('campaigns.messages', { id: campaign.id, limit: 1 });
  const messages = useApi('campaigns.messages', { id: campaign.id, limit: 50, ...findArgs(query) }, { placeholderData: (prev) => prev });
  const people = (messages.data?.items ?? []).filter((m) => m.status !== 'skipped');
  const [selected, setSelected] = useState<number>();
  const messageId = selected !== undefined && people.some((p) => p.id === selected) ? selected : people[0]?.id;
  const preview = useApi(
    'campaigns.preview',
    { id: campaign.id, ...(messageId ? { messageId } : {}) },
    { enabled: messageId !== undefined },
  );
  // The preview page is served next to this one (headless mode, or a custom protocol); a window
  // loaded from file:// has nothing to serve it, so it shows the plain-text version instead.
  const canFrame = location.protocol !== 'file:';
  const frameSrc = useFrameUrl(
    canFrame && messageId !== undefined ? `preview?campaign=${campaign.id}&message=${messageId}&v=${version}` : undefined,
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: version is the trigger: each save makes a new one, and the preview is asked for again
  useEffect(() => {
    void preview.refetch();
  }, [version, preview.refetch]);

  return (
    <>
      <Section
        title={readOnly ? 'The message' : 'Preview'}
        aside={readOnly ? 'As each recipient got it; it can no longer be edited' : dirty ? 'Showing the last saved version' : undefined}
      >
        {everyone.isPending ? (
          <Loading label="Loading recipients…" />
        ) : everyone.data?.total === 0 ? (
          <Note>Nobody to preview: the campaign has no recipients yet.</Note>
        ) : (
          <>
            <Field
              id="p-find"
              label="Find a recipient"
              hint="An address, a name, or a row number of your file (row 1 is the header; a list added later is numbered on from the last row)."
            >
              <input
                {...describedBy('p-find', undefined)}
                className="tr-input tr-input--wide"
                type="search"
                value={typed}
                onChange={(ev) => setTyped(ev.target.value)}
                placeholder="ann@example.com, Ann or 299"
              />
            </Field>
            {people.length === 0 ? (
              <Note>{query ? `No recipient matches “${query}”.` : 'Nobody to preview: every row was skipped at import.'}</Note>
            ) : (
              <Field
                id="p-recipient"
                label="Show the message as it goes to"
                hint={
                  messages.data && messages.data.total > people.length
                    ? `${people.length} of ${messages.data.total.toLocaleString('en-US')} shown: type to find another.`
                    : undefined
                }
              >
                <select
                  {...describedBy('p-recipient', undefined)}
                  className="tr-select"
                  value={messageId}
                  onChange={(ev) => setSelected(Number(ev.target.value))}
                >
                  {people.map((m) => (
                    <option key={m.id} value={m.id}>
                      Row {m.row}: {m.name ? `${m.name} <${m.email}>` : m.email}
                    </option>
                  ))}
                </select>
              </Field>
            )}
            {preview.error ? (
              <ErrorCallout error={preview.error} title="This recipient’s message cannot be made." />
            ) : preview.data ? (
              <dl className="tr-headers">
                <dt>From</dt>
                <dd>{preview.data.from}</dd>
                <dt>To</dt>
                <dd>{preview.data.to}</dd>
                {preview.data.replyTo && (
                  <>
                    <dt>Reply-to</dt>
                    <dd>{preview.data.replyTo}</dd>
                  </>
                )}
                <dt>Subject</dt>
                <dd>
                  <strong>{preview.data.subject}</strong>
                </dd>
              </dl>
            ) : null}
            {messageId !== undefined &&
              !preview.error &&
              (canFrame ? (
                frameSrc ? (
                  <iframe
                    key={frameSrc}
                    className="tr-preview"
                    title="Message preview"
                    sandbox=""
                    referrerPolicy="no-referrer"
                    src={frameSrc}
                  />
                ) : (
                  <Loading label="Loading the preview…" />
                )
              ) : (
                <>
                  <pre className="tr-preview tr-preview--text">{preview.data?.text}</pre>
                  <Text size="1" color="gray">
                    The plain-text version is shown here; the HTML preview is available when Trickle is opened in a browser.
                  </Text>
                </>
              ))}
          </>
        )}
      </Section>

      {!readOnly && <TestSendSection campaign={campaign} messageId={messageId} />}
    </>
  );
}
