/**
 * Drafts save themselves: nothing is lost by navigating away, closing the window or a crash.
 * A new campaign becomes a draft at its first change (campaigns.createDraft); after that each
 * change is saved a moment after the user stops typing (campaigns.update), the recipients
 * chosen are imported into the draft (campaigns.importRecipients, replacing its list), and
 * whatever is waiting is saved at once when the editor is left (another page, or the window
 * closing: small requests outlive the page). Saves run one at a time, in order.
 *
 * Adding a list to the draft's is no save: it is done when the user asks (addRecipients), once,
 * since doing it again, or as an address is being typed, would add other people.
 *
 * A field the engine refuses (a reply-to that is not an address yet) is left out and the rest
 * saved; its error is shown beside it until the user changes it.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Campaign, ImportReport } from '../../../src-shared/views/campaigns';
import { ApiCallError } from '../../api/errors';
import { useAction } from '../../api/hooks';
import { href } from '../../lib/route';
import { autosaveArgs, draftArgs, type RecipientArgs } from './campaign-args';
import { type Form, isBlank } from './form';

/**
 * Saves still running, by draft: an editor closed by navigation keeps saving after it is gone,
 * and the page that opens the draft again waits for them (useSavesSettled), so it never shows
 * (and then saves back) what was there before the last edit.
 */
const inFlight = new Map<number, Promise<boolean>>();

/** False while a save of this campaign (made by an editor, open or left) is running. */
export function useSavesSettled(id: number): boolean {
  const [settled, setSettled] = useState(() => !inFlight.has(id));
  useEffect(() => {
    const pending = inFlight.get(id);
    if (!pending) return setSettled(true);
    let current = true;
    void pending.finally(() => current && setSettled(true));
    return () => {
      current = false;
    };
  }, [id]);
  return settled;
}

/** How long after the last keystroke a change is saved. */
const QUIET_MS = 600;

/** The form's fields the engine names in its errors; such a field is skipped until it changes. */
const FORM_FIELDS = ['name', 'subject', 'html', 'text', 'fromName', 'replyTo', 'sendAfter', 'stopAfter', 'attachments', 'rehearsal'];

export type SaveState = 'saved' | 'pending' | 'saving' | 'failed';

export interface Autosave {
  /** The draft's id once it exists. */
  id: number | undefined;
  state: SaveState;
  /** The last error: a field's (shown beside it) or the save's. */
  error: ApiCallError | null;
  /** The report of the last recipients import, and its error. */
  report: ImportReport | undefined;
  recipientsError: ApiCallError | null;
  /** The draft as the last save answered. */
  saved: Campaign | undefined;
  /** Saves made so far (the preview reloads after each). */
  saves: number;
  /** Saves what is waiting now; resolves true when everything is saved. */
  flush(): Promise<boolean>;
  /** Saves what is waiting, then adds these recipients to the draft's list; resolves true once added. */
  addRecipients(args: RecipientArgs): Promise<boolean>;
  /** Whether these are the recipients last imported (the draft's list is theirs). */
  isImported(args: RecipientArgs): boolean;
  dismissReport(): void;
}

export function useAutosave(initial: Campaign | undefined, form: Form, recipients: { args: RecipientArgs | undefined }): Autosave {
  const action = useAction();
  const [id, setId] = useState<number | undefined>(initial?.id);
  const [state, setState] = useState<SaveState>('saved');
  const [error, setError] = useState<ApiCallError | null>(null);
  const [report, setReport] = useState<ImportReport>();
  const [recipientsError, setRecipientsError] = useState<ApiCallError | null>(null);
  const [saved, setSavedCampaign] = useState<Campaign | undefined>(initial);
  const [saves, setSaves] = useState(0);
  const setSaved = useCallback((c: Campaign) => {
    setSavedCampaign(c);
    setSaves((n) => n + 1);
  }, []);

  // What the saves work from, read when they run (not when they were scheduled).
  const latest = useRef({ form, recipients: recipients.args });
  latest.current = { form, recipients: recipients.args };
  const ids = useRef(initial?.id);
  const savedForm = useRef(JSON.stringify(form));
  /** The recipients last imported (their arguments, as JSON); none yet. */
  const savedRecipients = useRef<string | undefined>(undefined);
  /** Fields the engine refused, with the value it refused: skipped until they change. */
  const refused = useRef(new Map<string, string>());
  const chain = useRef<Promise<boolean>>(Promise.resolve(true));
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const mounted = useRef(true);

  const saveOnce = useCallback(async (): Promise<boolean> => {
    const { form: f, recipients: r } = latest.current;
    const formKey = JSON.stringify(f);
    const recipientsKey = JSON.stringify(r);
    const formChanged = formKey !== savedForm.current;
    const recipientsChanged = r !== undefined && recipientsKey !== savedRecipients.current;
    if (!formChanged && !recipientsChanged) return true;
    if (ids.current === undefined && isBlank(f) && !recipientsChanged) return true;
    const show = <T>(set: (v: T) => void, v: T) => mounted.current && set(v);
    show(setState, 'saving');
    let ok = true;

    if (ids.current === undefined) {
      const created = await action('campaigns.createDraft', draftArgs(f));
      if (!created.ok) {
        show(setError, new ApiCallError(created.error));
        show(setState, 'failed');
        return false;
      }
      ids.current = created.value.id;
      show(setId, created.value.id);
      show(setSaved, created.value);
      savedForm.current = formKey;
      // The address names the draft from now on, without leaving this page (no re-render).
      if (mounted.current && location.hash === '#/campaigns/new')
        history.replaceState(null, '', href({ page: 'campaign-edit', id: created.value.id }));
    } else if (formChanged) {
      for (const [field, value] of refused.current)
        if (JSON.stringify((f as unknown as Record<string, unknown>)[field]) !== value) refused.current.delete(field);
      let fieldError: ApiCallError | null = null;
      for (let attempt = 0; attempt < FORM_FIELDS.length; attempt++) {
        const envelope = await action('campaigns.update', autosaveArgs(ids.current, f, [...refused.current.keys()]));
        if (envelope.ok) {
          show(setSaved, envelope.value);
          break;
        }
        const e = new ApiCallError(envelope.error);
        if (e.field && FORM_FIELDS.includes(e.field) && !refused.current.has(e.field)) {
          // Save the rest; this field waits for the user's next change.
          refused.current.set(e.field, JSON.stringify((f as unknown as Record<string, unknown>)[e.field]));
          fieldError = e;
          continue;
        }
        show(setError, e);
        ok = false;
        break;
      }
      if (ok) {
        savedForm.current = formKey;
        show(setError, fieldError);
      }
    }

    if (ok && r !== undefined && recipientsKey !== savedRecipients.current && ids.current !== undefined) {
      const imported = await action('campaigns.importRecipients', { id: ids.current, ...r, mode: 'replace' });
      savedRecipients.current = recipientsKey;
      if (imported.ok) {
        show(setReport, imported.value.report);
        show(setSaved, imported.value.campaign);
        show(setRecipientsError, null);
      } else {
        show(setRecipientsError, new ApiCallError(imported.error));
        ok = false;
      }
    }
    const now = latest.current;
    const settled =
      JSON.stringify(now.form) === savedForm.current &&
      (now.recipients === undefined || JSON.stringify(now.recipients) === savedRecipients.current);
    show(setState, !ok ? 'failed' : settled || !mounted.current ? 'saved' : 'pending');
    return ok;
  }, [action, setSaved]);

  /** Adds a list to the draft's: the report is about the rows added. */
  const addOnce = useCallback(
    async (r: RecipientArgs): Promise<boolean> => {
      const show = <T>(set: (v: T) => void, v: T) => mounted.current && set(v);
      if (ids.current === undefined) return false;
      show(setState, 'saving');
      const added = await action('campaigns.importRecipients', { id: ids.current, ...r, mode: 'add' });
      // The list is no longer the one last imported: the same file chosen again replaces it.
      if (added.ok) savedRecipients.current = undefined;
      show(setRecipientsError, added.ok ? null : new ApiCallError(added.error));
      if (added.ok) {
        show(setReport, added.value.report);
        show(setSaved, added.value.campaign);
      }
      const typedMeanwhile = JSON.stringify(latest.current.form) !== savedForm.current;
      show(setState, !added.ok ? 'failed' : typedMeanwhile && mounted.current ? 'pending' : 'saved');
      return added.ok;
    },
    [action, setSaved],
  );

  /** Runs `work` after the saves before it; the page that opens the draft again waits for it. */
  const enqueue = useCallback((work: () => Promise<boolean>): Promise<boolean> => {
    clearTimeout(timer.current);
    const run = chain.current.then(work, work);
    chain.current = run;
    const track = () => {
      const id = ids.current;
      if (id === undefined) return;
      inFlight.set(id, run);
      void run.finally(() => inFlight.get(id) === run && inFlight.delete(id));
    };
    track();
    // A new draft has its id only once created: tracked from then on too.
    if (ids.current === undefined) void run.then(track, track);
    return run;
  }, []);

  const flush = useCallback((): Promise<boolean> => enqueue(saveOnce), [enqueue, saveOnce]);
  const addRecipients = useCallback(
    (r: RecipientArgs): Promise<boolean> => enqueue(async () => (await saveOnce()) && addOnce(r)),
    [enqueue, saveOnce, addOnce],
  );

  // A change: saved once the user pauses. (Keyed by the values, not the objects: a re-render
  // with the same form schedules nothing.)
  const formKey = JSON.stringify(form);
  const recipientsKey = JSON.stringify(recipients.args);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the keys stand for form and recipients; flush is stable.
  useEffect(() => {
    if (formKey === savedForm.current && (recipients.args === undefined || recipientsKey === savedRecipients.current)) return;
    if (ids.current === undefined && isBlank(form) && recipients.args === undefined) return;
    setState((s) => (s === 'saving' ? s : 'pending'));
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void flush(), QUIET_MS);
  }, [formKey, recipientsKey]);

  // Leaving the page (another page of the app, the window closing): what waits is saved now.
  useEffect(() => {
    mounted.current = true;
    const onLeave = () => void flush();
    window.addEventListener('pagehide', onLeave);
    window.addEventListener('beforeunload', onLeave);
    return () => {
      window.removeEventListener('pagehide', onLeave);
      window.removeEventListener('beforeunload', onLeave);
      mounted.current = false;
      void flush();
    };
  }, [flush]);

  return {
    id,
    state,
    error,
    report,
    recipientsError,
    saved,
    saves,
    flush,
    addRecipients,
    isImported: (args) => JSON.stringify(args) === savedRecipients.current,
    dismissReport: () => setReport(undefined),
  };
}
