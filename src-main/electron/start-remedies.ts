// PURE — what the desktop's start-up dialog offers when the engine refuses to start with a
// remedy (src-main/engine/db/start-checks.ts, secrets.ts): the button's words, and what it does.

import { EngineError } from '../engine';

export interface StartRemedy {
  kind: 'restore-backup' | 'replace-lost-key';
  /** The dialog button that applies it (the other one quits). */
  button: string;
}

export function startRemedy(error: unknown): StartRemedy | undefined {
  if (!(error instanceof EngineError)) return undefined;
  const remedy = error.details?.remedy;
  if (remedy === 'restore-backup') {
    const backup = error.details?.backup as { takenAt?: string } | undefined;
    const when = backup?.takenAt ? ` of ${backup.takenAt.slice(0, 16).replace('T', ' ')} UTC` : '';
    return { kind: 'restore-backup', button: `Restore the backup${when}` };
  }
  if (remedy === 'replace-lost-key') return { kind: 'replace-lost-key', button: 'Make a new key (enter the app passwords again)' };
  return undefined;
}

/** The user chose to quit rather than apply the remedy: nothing more to show. */
export class StartDeclined extends Error {
  override readonly name = 'StartDeclined';
}
