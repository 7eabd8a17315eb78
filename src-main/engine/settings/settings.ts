import { z } from 'zod';
import type { Db } from '../db/schema';
import { EngineError } from '../core/errors';
import { parseInput } from '../core/validation';
import type { Settings } from '../../../src-shared/views/settings';

/** The scheduler's knobs. Small intervals are allowed (tests, rehearsals); the UI warns under 30 s. */
export const settingsSchema = z.object({
  batchSize: z.int().min(1).max(100),
  batchIntervalSeconds: z
    .int()
    .min(1)
    .max(24 * 60 * 60),
  messageDelayMs: z
    .int()
    .min(0)
    .max(10 * 60 * 1000),
  retryIntervalSeconds: z
    .int()
    .min(1)
    .max(24 * 60 * 60),
  maxRetries: z.int().min(1).max(20),
  inboxCheckSeconds: z
    .int()
    .min(10)
    .max(24 * 60 * 60),
  settleInDoubtFromSentMail: z.boolean(),
  // Long enough for Gmail to have filed the copy of a message it took.
  settleInDoubtAfterMinutes: z
    .int()
    .min(5)
    .max(7 * 24 * 60),
}) satisfies z.ZodType<Settings>;
export type { Settings };

export const settingsUpdateSchema = settingsSchema.partial().strict();
export type SettingsUpdate = z.infer<typeof settingsUpdateSchema>;

export const DEFAULT_SETTINGS: Settings = {
  batchSize: 10,
  batchIntervalSeconds: 30,
  messageDelayMs: 2000,
  retryIntervalSeconds: 300,
  maxRetries: 3,
  inboxCheckSeconds: 300,
  settleInDoubtFromSentMail: true,
  settleInDoubtAfterMinutes: 15,
};

/** Engine state that is not a user setting but must survive a restart. */
const PAUSED_KEY = 'sendingPaused';

export async function readSettings(db: Db): Promise<Settings> {
  const rows = await db.selectFrom('settings').selectAll().execute();
  const stored: Record<string, unknown> = {};
  for (const row of rows) stored[row.key] = JSON.parse(row.value);
  // A stored value that no longer validates (an older version's range) falls back to the default.
  const merged: Settings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
    const parsed = settingsSchema.shape[key].safeParse(stored[key]);
    if (parsed.success) (merged as unknown as Record<string, unknown>)[key] = parsed.data;
  }
  return merged;
}

export async function updateSettings(db: Db, input: unknown): Promise<Settings> {
  if (typeof input === 'object' && input !== null && Object.hasOwn(input, 'dryRun')) {
    // The old app-wide switch (it turned real campaigns' messages into "sent"): said in words.
    throw new EngineError(
      'invalid_input',
      'dryRun: There is no app-wide dry run any more: rehearse a campaign instead (create it with `rehearsal: true`, or copy one as a rehearsal). Nothing was changed.',
      { field: 'dryRun' },
    );
  }
  const update = parseInput(settingsUpdateSchema, input);
  await db.transaction().execute(async (trx) => {
    for (const [key, value] of Object.entries(update)) {
      if (value === undefined) continue;
      await writeSetting(trx, key, value);
    }
  });
  return readSettings(db);
}

export async function readPaused(db: Db): Promise<boolean> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', PAUSED_KEY).executeTakeFirst();
  return row ? JSON.parse(row.value) === true : false;
}

export async function writePaused(db: Db, paused: boolean): Promise<void> {
  await writeSetting(db, PAUSED_KEY, paused);
}

async function writeSetting(db: Db, key: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value);
  await db
    .insertInto('settings')
    .values({ key, value: json })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json }))
    .execute();
}
