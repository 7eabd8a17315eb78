// The arguments of the desktop app's own methods (served over IPC only; see methods.ts).
import { z } from 'zod';

/** What the window may change (the recorded backend is Trickle's own bookkeeping). */
export const desktopSettingsUpdateSchema = z
  .object({
    closeToTray: z.boolean().optional(),
    startAtLogin: z.boolean().optional(),
    allowWeakSecretStorage: z.boolean().optional(),
  })
  .strict();
export type DesktopSettingsUpdate = z.infer<typeof desktopSettingsUpdateSchema>;
