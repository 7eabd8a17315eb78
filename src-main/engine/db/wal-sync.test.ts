import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** fdatasync calls, answered when the test says so; everything else in node:fs is real. */
const flushes = vi.hoisted(() => ({ calls: [] as { fd: number; done: (error?: Error) => void }[], real: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fdatasync = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    if (flushes.real) return fs.fdatasync(fd, callback);
    flushes.calls.push({ fd, done: (error) => callback(error ?? null) });
  };
  return { ...fs, default: { ...fs, fdatasync }, fdatasync, openSync: vi.fn(fs.openSync), closeSync: vi.fn(fs.closeSync) };
});

const fs = await import('node:fs');
const { WalSync, unsyncedTransaction } = await import('./wal-sync');
const { openDatabase } = await import('./open-database');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trickle-walsync-'));
  flushes.calls.length = 0;
  flushes.real = false;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

describe('WalSync', () => {
  it('flushes the database’s WAL file, and resolves only when the flush is done', async () => {
    flushes.real = true;
    const opened = await openDatabase(join(dir, 'db.sqlite'));
    try {
      await opened.db.insertInto('settings').values({ key: 'k', value: '"v"' }).execute();
      await opened.walSync.durable();
      expect(fs.openSync).toHaveBeenCalledWith(join(fs.realpathSync(dir), 'db.sqlite-wal'), 'r+');
      flushes.real = false;
      const pending = opened.walSync.durable();
      expect(await settled(pending)).toBe(false);
      flushes.calls[0]!.done();
      expect(await settled(pending)).toBe(true);
    } finally {
      flushes.real = true;
      await opened.close();
    }
  });

  it('gives requests made during a flush one more flush, shared by all of them', async () => {
    const sync = new WalSync(join(dir, 'x-wal'));
    fs.writeFileSync(join(dir, 'x-wal'), '');
    const first = sync.durable();
    const [a, b, c] = [sync.durable(), sync.durable(), sync.durable()];
    expect(flushes.calls).toHaveLength(1);
    flushes.calls[0]!.done();
    await first;
    expect(await settled(a)).toBe(false); // their frames may have missed the first flush
    await vi.waitFor(() => expect(flushes.calls).toHaveLength(2));
    flushes.calls[1]!.done();
    await Promise.all([a, b, c]);
    expect(flushes.calls).toHaveLength(2);
    await sync.close();
  });

  it('treats a failed flush as final: its waiters and every later request get storage_failed, with no new flush', async () => {
    const sync = new WalSync(join(dir, 'x-wal'));
    fs.writeFileSync(join(dir, 'x-wal'), '');
    const failing = sync.durable();
    flushes.calls[0]!.done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await expect(failing).rejects.toMatchObject({ code: 'storage_failed', message: expect.stringMatching(/EIO.*restart Trickle/s) });
    // On Linux a later fdatasync may succeed although the failed pages were dropped: no retry.
    await expect(sync.durable()).rejects.toMatchObject({ code: 'storage_failed' });
    expect(flushes.calls).toHaveLength(1);
    await sync.close();
  });

  it('opens the WAL beside the file a symlinked database points to, where SQLite writes it', async () => {
    flushes.real = true;
    fs.mkdirSync(join(dir, 'real'));
    fs.mkdirSync(join(dir, 'data'));
    fs.symlinkSync(join(dir, 'real', 'db.sqlite'), join(dir, 'data', 'db.sqlite'));
    const opened = await openDatabase(join(dir, 'data', 'db.sqlite'));
    try {
      await opened.db.insertInto('settings').values({ key: 'k', value: '"v"' }).execute();
      await opened.walSync.durable();
      expect(fs.openSync).toHaveBeenCalledWith(join(fs.realpathSync(dir), 'real', 'db.sqlite-wal'), 'r+');
    } finally {
      await opened.close();
    }
  });

  it('has nothing to flush for an in-memory database', async () => {
    await new WalSync(undefined).durable();
    expect(flushes.calls).toHaveLength(0);
  });

  it('closes its descriptor only after the flush in flight, and flushes nothing once closed', async () => {
    const sync = new WalSync(join(dir, 'x-wal'));
    fs.writeFileSync(join(dir, 'x-wal'), '');
    const inFlight = sync.durable();
    const closing = sync.close();
    expect(await settled(closing)).toBe(false);
    expect(fs.closeSync).not.toHaveBeenCalledWith(flushes.calls[0]!.fd);
    flushes.calls[0]!.done();
    await Promise.all([inFlight, closing]);
    expect(fs.closeSync).toHaveBeenCalledWith(flushes.calls[0]!.fd);
    await sync.durable();
    expect(flushes.calls).toHaveLength(1);
  });
});

describe('unsyncedTransaction', () => {
  it('commits without waiting for the disk, then puts the connection back to FULL, also after a failure', async () => {
    flushes.real = true;
    const opened = await openDatabase(join(dir, 'db.sqlite'));
    try {
      const seen = await unsyncedTransaction(opened.db, async (trx) => {
        await trx.insertInto('settings').values({ key: 'a', value: '1' }).execute();
        return opened.sqlite.pragma('synchronous', { simple: true });
      });
      expect(seen).toBe(1); // NORMAL inside
      expect(opened.sqlite.pragma('synchronous', { simple: true })).toBe(2); // FULL after

      await expect(
        unsyncedTransaction(opened.db, async (trx) => {
          await trx.insertInto('settings').values({ key: 'b', value: '2' }).execute();
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(opened.sqlite.pragma('synchronous', { simple: true })).toBe(2);
      const keys = (await opened.db.selectFrom('settings').select('key').where('key', 'in', ['a', 'b']).execute()).map((r) => r.key);
      expect(keys).toEqual(['a']);
    } finally {
      await opened.close();
    }
  });
});
