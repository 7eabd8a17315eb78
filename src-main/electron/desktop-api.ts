// PURE (no `electron` import) — the desktop door's own methods, answered in the main process
// before the shared handler table: the two desktop-only settings (close to tray, start at
// login), the user's consent to weaker password storage, and how passwords are protected.
//
//   desktop.settings.get    {}                                              → DesktopSettingsView
//   desktop.settings.update { closeToTray?, startAtLogin?, allowWeakSecretStorage? } → DesktopSettingsView
//
// They exist over IPC only (headless mode has no tray, login item or safeStorage); the window
// knows it is in the desktop app from `app.info` → `door: 'desktop'`. Arguments are validated
// with zod and answers wrapped in the same envelope as every API method.

import { z } from 'zod';
import type { Envelope } from '../api/contract';
import { type ApiHandlers, errorEnvelope, invoke } from '../api/handlers';
import { EngineError } from '../engine/core/errors';
import { parseInput } from '../engine/core/validation';
import { type DesktopSettings, type DesktopSettingsFile, desktopSettingsUpdateSchema } from './desktop-settings';
import type { SecretStorageStatus } from './secret-storage';

export const desktopArgs = {
  'desktop.settings.get': z.object({}).strict().optional(),
  'desktop.settings.update': desktopSettingsUpdateSchema,
} as const;

export type DesktopMethodName = keyof typeof desktopArgs;
export type DesktopArgs<N extends DesktopMethodName> = z.input<(typeof desktopArgs)[N]>;

export interface DesktopSettingsView {
  closeToTray: boolean;
  startAtLogin: boolean;
  allowWeakSecretStorage: boolean;
  /** How account passwords are protected on this computer, and whether new ones can be saved. */
  secretStorage: SecretStorageStatus;
}

export type DesktopResult<N extends DesktopMethodName> = N extends DesktopMethodName ? DesktopSettingsView : never;

export interface DesktopHandlerDeps {
  settings: DesktopSettingsFile;
  secretStatus: () => SecretStorageStatus;
  /** Registers or removes the login item; throws if the system refused. */
  applyStartAtLogin: (enabled: boolean) => void;
  /** Told after each change (the tray and window read `closeToTray` live from the file). */
  onChange?: (settings: DesktopSettings) => void;
}

export function createDesktopHandlers(deps: DesktopHandlerDeps) {
  const view = (): DesktopSettingsView => {
    const { closeToTray, startAtLogin, allowWeakSecretStorage } = deps.settings.get();
    return { closeToTray, startAtLogin, allowWeakSecretStorage, secretStorage: deps.secretStatus() };
  };
  return {
    'desktop.settings.get': async (): Promise<DesktopSettingsView> => view(),
    'desktop.settings.update': async (input: unknown): Promise<DesktopSettingsView> => {
      const patch = parseInput(desktopSettingsUpdateSchema, input);
      if (patch.startAtLogin !== undefined && patch.startAtLogin !== deps.settings.get().startAtLogin) {
        try {
          deps.applyStartAtLogin(patch.startAtLogin);
        } catch (error) {
          throw new EngineError(
            'conflict',
            `The system did not accept the change to “start at login” (${error instanceof Error ? error.message : String(error)}). Nothing was changed.`,
          );
        }
      }
      const changed = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<DesktopSettings>;
      const saved = deps.settings.update(changed);
      deps.onChange?.(saved);
      return view();
    },
  } satisfies Record<DesktopMethodName, (args: unknown) => Promise<unknown>>;
}

export type DesktopHandlers = ReturnType<typeof createDesktopHandlers>;

export function isDesktopMethod(name: string): name is DesktopMethodName {
  return Object.hasOwn(desktopArgs, name);
}

/**
 * The desktop door's dispatcher: `desktop.*` methods here, every other name through the
 * shared handler table's `invoke` (which validates the arguments against the contract).
 */
export async function invokeDesktop(
  desktop: DesktopHandlers,
  handlers: ApiHandlers,
  name: string,
  args: unknown,
  onUnexpected: (error: unknown, method: string) => void = () => {},
): Promise<Envelope<unknown>> {
  if (!isDesktopMethod(name)) return invoke(handlers, name, args, onUnexpected);
  try {
    parseInput(desktopArgs[name], args ?? undefined);
    const handler = desktop[name] as (args: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(args) };
  } catch (error) {
    return errorEnvelope(error, name, onUnexpected);
  }
}
