import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineContext } from '../../src-main/engine/context';
import { type Engine, createEngine } from '../../src-main/engine/engine';
import { FakeClock } from '../support/fake-clock';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, drain, recipientsCsv } from '../support/test-engine';
import { startTestGmail } from '../support/test-gmail';

/**
 * The send journal (send-journal.ts) and WalSync when something fails mid-batch: a disk
 * flush, the database held by another program, a symlinked database file. Found by a review
 * of the journal; each test failed before its fix.
 */

let setup: TestSetup | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await setup?.close();
  setup = undefined;
});

/** Every loopback send counts as quick: the marks run ahead. */
const RUN_AHEAD = { quickSendMs: 1000 };
/** No send counts as quick: each message is marked alone. */
const NEVER_AHEAD = { quickSendMs: 0 };

function ctxOf(engine: Engine): EngineContext {
  return engine.internals.ctx;
}
function sqliteOf(engine: Engine): BetterSqlite3.Database {
  return engine.internals.sqlite;
}
const eio = () => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });

async function queuedCampaign(engine: Engine, n: number): Promise<number> {
  const { campaign } = await engine.campaigns.create({ name: 'c', subject: 'Hi {{first_name}}', text: 't', csv: recipientsCsv(n) });
  await engine.campaigns.queue({ id: campaign.id });
  return campaign.id;
}

async function emails(engine: Engine, id: number, status: string): Promise<string[]> {
  return (await engine.campaigns.messages({ id, status })).items.map((m) => m.email);
}

describe('the send journal when something fails', () => {
  // A lone start mark is committed, then its flush fails: the message never left, so the batch's
  // error path must take the mark back (else settling the batch would put it in doubt).
  it.each([
    { mode: 'no pause, marked alone (held sent outcome)', messageDelayMs: 0, failingFlush: 3 },
    { mode: 'paced (pause between messages)', messageDelayMs: 1000, failingFlush: 3 },
  ])(
    'a failed flush of a lone start mark leaves no mark on the message that never left ($mode)',
    async ({ messageDelayMs, failingFlush }) => {
      setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1), ...NEVER_AHEAD, settings: { messageDelayMs, batchSize: 5 } });
      const { engine, gmail } = setup;
      const campaignId = await queuedCampaign(engine, 5);
      const walSync = ctxOf(engine).walSync;
      const real = walSync.durable.bind(walSync);
      let calls = 0;
      walSync.durable = () => (++calls === failingFlush ? Promise.reject(eio()) : real());

      await expect(engine.runBatchNow()).rejects.toThrow(/EIO/);
      const delivered = () => gmail.accepted.map((m) => m.envelope.to[0]);
      const neverLeft = ['r1', 'r2', 'r3', 'r4', 'r5'].map((r) => `${r}@example.com`).filter((e) => !delivered().includes(e));
      expect(neverLeft.length).toBeGreaterThan(0);
      // Right after the failed batch: a message that never left must not carry a start mark.
      const marked = sqliteOf(engine)
        .prepare(`select email from messages where status = 'sending' and send_started_at is not null`)
        .all() as { email: string }[];
      for (const { email } of marked) expect(delivered(), `${email} is marked but never reached the server`).toContain(email);

      walSync.durable = real;
      await drain(engine);
      for (const email of await emails(engine, campaignId, 'in_doubt')) {
        expect(delivered(), `${email} is in doubt but never reached the server`).toContain(email);
      }
    },
  );

  // Held sent outcomes are committed with the next mark; when that flush fails they are in the
  // database as sent, and their 'message' events must still go out.
  it('every message recorded as sent gets its message event, also when a later flush fails', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1), ...NEVER_AHEAD, settings: { messageDelayMs: 0, batchSize: 5 } });
    const { engine } = setup;
    const campaignId = await queuedCampaign(engine, 5);
    const events: { messageId: number; status: string }[] = [];
    engine.events.on('message', (e) => events.push(e));
    const walSync = ctxOf(engine).walSync;
    const real = walSync.durable.bind(walSync);
    let calls = 0;
    walSync.durable = () => (++calls === 3 ? Promise.reject(eio()) : real());

    await expect(engine.runBatchNow()).rejects.toThrow(/EIO/);
    walSync.durable = real;
    const sent = (await engine.campaigns.messages({ id: campaignId, status: 'sent' })).items;
    expect(sent.length).toBeGreaterThan(0);
    for (const m of sent) {
      expect(
        events.filter((e) => e.messageId === m.id && e.status === 'sent'),
        `no 'sent' event for ${m.email}`,
      ).toHaveLength(1);
    }
  });

  // Running ahead, a database held by another program (SQLITE_BUSY) stops the batch when the next
  // marks are committed, and the error path cannot take the marks ahead back either (still busy).
  // The engine knows those messages never left: settling the cut-short batch puts them back in the
  // queue, not in doubt (as the fault matrix promises for a batch cut short).
  it('a database held mid-batch while running ahead: messages that never left do not end in doubt', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1), ...RUN_AHEAD, settings: { messageDelayMs: 0, batchSize: 8 } });
    const { engine, gmail } = setup;
    const campaignId = await queuedCampaign(engine, 8);
    sqliteOf(engine).pragma('busy_timeout = 100');
    const other = new BetterSqlite3(setup.databaseFile);
    cleanups.push(() => void other.close());
    gmail.onReceived((m) => {
      if (m.envelope.to[0] === 'r3@example.com') other.exec('begin immediate');
    });

    await expect(engine.runBatchNow()).rejects.toMatchObject({ code: 'storage_busy' });
    // The window says why nothing goes out, until a batch runs through again.
    expect((await engine.sending.status()).waitingReason).toMatch(/another program is holding its database/);
    other.exec('rollback');
    gmail.onReceived(undefined);
    await drain(engine);
    expect((await engine.sending.status()).waitingReason).toBeUndefined();

    const delivered = gmail.accepted.map((m) => m.envelope.to[0]);
    expect(new Set(delivered).size).toBe(delivered.length);
    for (const email of await emails(engine, campaignId, 'in_doubt')) {
      expect(delivered, `${email} is in doubt but never reached the server`).toContain(email);
    }
    expect(delivered).toHaveLength(8);
  });
});

describe('a disk flush that fails for real', () => {
  it('stops sending with storage_failed, says so in the sending status, and sends everything once after a restart', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1), settings: { batchSize: 4 } });
    const { engine: first, gmail } = setup;
    const campaignId = await queuedCampaign(first, 6);
    expect(await first.runBatchNow()).toMatchObject({ sent: 4 });
    // The WAL's descriptor goes bad: the next fdatasync really fails (EBADF).
    const walSync = ctxOf(first).walSync;
    const goodFd = walSync.descriptorForTests;
    walSync.descriptorForTests = 1_000_000;

    await expect(first.runBatchNow()).rejects.toMatchObject({ code: 'storage_failed' });
    const status = await first.sending.status();
    expect(status.waitingReason).toMatch(/could not make sure its records reached the disk/);
    expect(status.waitingReason).toMatch(/restart Trickle/);
    // Final until a restart: the next batch fails the same way and sends nothing.
    await expect(first.runBatchNow()).rejects.toMatchObject({ code: 'storage_failed' });
    expect(gmail.accepted).toHaveLength(4);

    walSync.descriptorForTests = goodFd;
    await first.stop();
    const second = await setup.reopen();
    await second.start();
    await drain(second);
    expect((await second.sending.status()).waitingReason).toBeUndefined();
    const delivered = gmail.accepted.map((m) => m.envelope.to[0]);
    expect(delivered).toHaveLength(6);
    expect(new Set(delivered).size).toBe(6);
    expect(await emails(second, campaignId, 'sent')).toHaveLength(6);
  });
});

describe('WalSync and a symlinked database', () => {
  // SQLite names its WAL after the database's real path (it resolves symlinks). With the database
  // file a symlink (moved to another disk, a synced folder...), WalSync must flush that WAL.
  it('sends from a database file that is a symlink', async () => {
    const root = mkdtempSync(join(tmpdir(), 'trickle-review-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    mkdirSync(join(root, 'elsewhere'));
    symlinkSync(join(root, 'elsewhere', 'trickle.sqlite'), join(dataDir, 'trickle.sqlite'));
    const gmail = await startTestGmail();
    cleanups.push(() => gmail.close());
    const account = TEST_ACCOUNTS[0]!;
    gmail.addAccount(account);
    const engine = await createEngine({
      dataDir,
      clock: new FakeClock(),
      smtpTimeouts: { connectionMs: 3000, socketMs: 3000, idleMs: 60_000 },
    });
    cleanups.push(() => engine.stop().catch(() => undefined));
    await engine.settings.update({ messageDelayMs: 0, batchSize: 3 });
    await engine.accounts.add({
      email: account.email,
      appPassword: account.appPassword,
      host: gmail.host,
      port: gmail.port,
      security: 'none',
    });
    const campaignId = await queuedCampaign(engine, 3);

    const summary = await engine.runBatchNow().catch((error: unknown) => error);
    expect(summary).toMatchObject({ claimed: 3, sent: 3 });
    expect(gmail.accepted).toHaveLength(3);
    expect(await emails(engine, campaignId, 'in_doubt')).toEqual([]);
  });
});
