/** Merge fields: which ones the chips offer, and putting `{{field}}` at the cursor. */
import { useMemo, useRef } from 'react';
import { flushSync } from 'react-dom';
import { normalizeFieldName } from '../../../src-shared/field-names';
import type { Campaign } from '../../../src-shared/views/campaigns';
import type { CsvShape } from '../../lib/csv';
import type { Form, SetField } from './form';

type TextTarget = 'subject' | 'html' | 'text';

export type BodyMode = 'html' | 'text';

/** A new campaign offers its recipients file's columns (but the address one); a saved one the fields it imported. */
export function useMergeFields(campaign: Campaign | undefined, shape: CsvShape | undefined, emailColumn: string): string[] {
  const isNew = campaign === undefined;
  return useMemo(() => {
    const names = isNew
      ? (shape?.columns ?? []).filter((c) => c !== emailColumn).map(normalizeFieldName)
      : campaign.fields;
    return [...new Set(['email', 'name', ...names.filter(Boolean)])];
  }, [isNew, shape, emailColumn, campaign]);
}

/** Inserts a field where the cursor was in the subject or the body last focused (the body shown, if it was the other one). */
export function useFieldInsertion(form: Form, set: SetField, bodyMode: BodyMode) {
  const refs = {
    subject: useRef<HTMLInputElement>(null),
    html: useRef<HTMLTextAreaElement>(null),
    text: useRef<HTMLTextAreaElement>(null),
  };
  const lastFocused = useRef<TextTarget>('html');

  function insertField(field: string) {
    const target = lastFocused.current === 'text' && bodyMode !== 'text' ? 'html' : lastFocused.current === 'html' && bodyMode !== 'html' ? 'text' : lastFocused.current;
    const el = refs[target].current;
    const token = `{{${field}}}`;
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
