/**
 * Review of issue #11's merge (rev11): Trickle's own folders inside the data folder (backups,
 * attachments) reached through a symbolic link, as a user who keeps the backups on another disk
 * has them. Whatever Trickle writes through the link is as private as it is without one: the
 * rules of core/data-folder.ts apply to the link's target, as they do to the key file's.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backUpDatabase } from '../../src-main/engine/db/backups';
import { createEngine, type Engine } from '../../src-main/engine/engine';
import { FakeClock } from '../support/fake-clock';
import { recipientsCsv } from '../support/test-engine';

const posix = process.platform !== 'win32';
const root = process.getuid?.() === 0;
const NOBODY = 65534;

const dirs: string[] = [];
const engines: Engine[] = [];
let umask: number;
beforeEach(() => {
  umask = process.umask(0o022);
});
afterEach(async () => {
  process.umask(umask);
  for (const engine of engines.splice(0)) await engine.stop().catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-linked-'));
  dirs.push(dir);
  return dir;
}

async function open(dataDir: string): Promise<Engine> {
  const engine = await createEngine({ dataDir, clock: new FakeClock(), backups: false });
  engines.push(engine);
  return engine;
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe.runIf(posix)('Trickle’s own folders behind a symbolic link', () => {
  it('a backup being written into a linked folder is never readable by others, and the folder is made private', async () => {
    const dataDir = folder();
    const elsewhere = join(folder(), 'trickle-backups');
    mkdirSync(elsewhere, { mode: 0o755 });
    chmodSync(elsewhere, 0o755);
    symlinkSync(elsewhere, join(dataDir, 'backups'));
    const engine = await open(dataDir);
    // Big enough for several steps of the copy (1 MB each).
    await engine.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(30_000) });
    expect(mode(elsewhere)).toBe(0o700);

    // Looked at between the copy's steps: the partial copy, in the folder the link leads to.
    const seen: number[] = [];
    await backUpDatabase(engine.internals.sqlite, dataDir, Date.now(), () => {
      for (const name of readdirSync(elsewhere)) seen.push(mode(join(elsewhere, name)));
      return false;
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((m) => m & 0o077)).toEqual([]);
  });

  it.runIf(root)(
    'a linked backups or attachments folder that belongs to another user is refused, as the folder itself would be',
    async () => {
      for (const name of ['backups', 'attachments']) {
        const dataDir = folder();
        const theirs = join(folder(), 'theirs');
        mkdirSync(theirs, { mode: 0o777 });
        chownSync(theirs, NOBODY, NOBODY);
        symlinkSync(theirs, join(dataDir, name));
        await expect(open(dataDir)).rejects.toMatchObject({
          code: 'unsafe_data_folder',
          message: expect.stringContaining(`it belongs to another user (uid ${NOBODY})`),
        });
      }
    },
  );
});
