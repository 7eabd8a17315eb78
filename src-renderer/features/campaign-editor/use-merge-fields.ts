/** Merge fields: which ones the chips offer, and putting `{{field}}` at the cursor. */
import { useMemo, useRef } from 'react';
import { flushSync } from 'react-dom';
import { normalizeFieldName } from '../../../src-shared/field-names';
import { ALWAYS_KNOWN_FIELDS, describeUnknownField, unknownMergeFields } from '../../../src-shared/merge-fields';
import type { Campaign } from '../../../src-shared/views/campaigns';
import type { CsvShape } from '../../lib/csv';
import type { Form, SetField } from './form';

type TextTarget = 'subject' | 'html' | 'text';

export type BodyMode = 'html' | 'text';

/**
 * The list's columns as merge fields: a new campaign's recipients file's (but the address
 * one), a saved one's as imported. Undefined while a new campaign has no file yet (nothing to
 * check against).
 */
export function useListColumns(
  campaign: Campaign | undefined,
  shape: CsvShape | undefined,
  emailColumn: string,
  pastedList: boolean,
): string[] | undefined {
  const isNew = campaign === undefined;
  return useMemo(() => {
    if (!isNew) return campaign.fields;
    if (shape)
      return shape.columns
        .filter((c) => c !== emailColumn)
        .map(normalizeFieldName)
        .filter(Boolean);
    return pastedList ? [] : undefined;
  }, [isNew, shape, emailColumn, campaign, pastedList]);
}

/** The chips offered: the address and the name, then the list's columns. */
export function useMergeFields(columns: string[] | undefined): string[] {
  return useMemo(() => [...new Set([...ALWAYS_KNOWN_FIELDS, ...(columns ?? [])])], [columns]);
}

/** The merge fields that are no column of the list, each with its sentence; none until there is a list. */
export function useUnknownFields(form: { subject: string; html: string; text: string }, columns: string[] | undefined): string[] {
  return useMemo(
    () =>
      columns === undefined
        ? []
        : unknownMergeFields([form.subject, form.html, form.text], columns).map((u) => describeUnknownField(u, columns)),
    [form.subject, form.html, form.text, columns],
  );
}

/** Inserts a field where the cursor was in the subject or the body last focused (the body shown, if it was the other one). */
export function useFieldInsertion(form: Form, set: SetField, bodyMode: BodyMode) {
  const refs = {
    subject: useRef<HTMLInputElement>(null),
    html: useRef<HTMLTextAreaElement>(null),
    text: useRef<HTMLTextAreaElement>(null),
  };
  const lastFocused = useRef<TextTarget>('html');

  function insertField(field: string, defaultValue?: string) {
    const target =
      lastFocused.current === 'text' && bodyMode !== 'text'
        ? 'html'
        : lastFocused.current === 'html' && bodyMode !== 'html'
          ? 'text'
          : lastFocused.current;
    const el = refs[target].current;
    const token = defaultValue ? `{{${field}|${defaultValue}}}` : `{{${field}}}`;
    const value = form[target];
    const start = el?.selectionStart ?? value.length;
    const end = el?.selectionEnd ?? value.length;
    // Rendered at once, so the cursor can be put right after the inserted field.
    flushSync(() => set(target, value.slice(0, start) + token + value.slice(end)));
    const node = refs[target].current;
    if (!node) return;
    node.focus();
    node.setSelectionRange(start + token.length, start + token.length);
  }

  return { refs, lastFocused, insertField };
}
