/**
 * Campaigns made before the attachments store listed their attachments as paths, and any path
 * was taken (issue #11). On the first start after the upgrade, the files the window had kept
 * under the data folder's `attachments/` move into the store and stay attached; anything else —
 * the key file, /proc/self/environ, a symlink, `../`, a folder symlinked out, a file that is
 * gone — is neither read nor attached, and the campaign says so; one that was queued is paused
 * rather than sent without it.
 */
import BetterSqlite3 from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations';
import { type Engine, createEngine } from '../../src-main/engine/engine';
import type { EngineLogger } from '../../src-main/engine/context';
import { FakeClock } from '../support/fake-clock';
import { type TestGmail, startTestGmail } from '../support/test-gmail';
import { drain } from '../support/test-engine';

const ALICE = { email: 'alice@gmail.test', appPassword: 'aaaabbbbccccdddd' };
const NOW = Date.UTC(2026, 10, 23, 9);

let dataDir: string | undefined;
let gmail: TestGmail | undefined;
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop().catch(() => undefined);
  await gmail?.close();
  gmail = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

/** A data folder as the version before the store left it: migrations up to 0007, paths in campaigns. */
async function olderDataFolder(
  campaigns: { name: string; status: 'draft' | 'queued' | 'completed'; paths: string[]; recipients?: string[] }[],
) {
  const sqlite = new BetterSqlite3(join(dataDir!, 'trickle.sqlite'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateTo('0007_batch_cancelled');
  if (error) throw error;
  const ids: Record<string, number> = {};
  let seq = 0;
  for (const c of campaigns) {
    const queued = c.status !== 'draft';
    const { id } = await db
      .insertInto('campaigns')
      .values({
        name: c.name,
        subject: 'Hello',
        text: 'See attached.',
        attachments: JSON.stringify(c.paths.map((path) => ({ path, filename: path.split('/').pop() }))),
        status: c.status,
        queue_seq: queued ? ++seq : null,
        queued_at: queued ? NOW : null,
        completed_at: c.status === 'completed' ? NOW : null,
        created_at: NOW,
        updated_at: NOW,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids[c.name] = id;
    for (const [i, email] of (c.recipients ?? [`${c.name.toLowerCase()}@example.com`]).entries()) {
      await db
        .insertInto('messages')
        .values({
          campaign_id: id,
          row: i + 2,
          email,
          email_norm: email,
          status: c.status === 'draft' ? 'pending' : c.status === 'completed' ? 'sent' : 'queued',
          message_id: queued ? `<${c.name}-${i}@x.trickle.invalid>` : null,
          queued_at: queued ? NOW : null,
          sent_at: c.status === 'completed' ? NOW : null,
          updated_at: NOW,
        })
        .execute();
    }
  }
  await db.destroy();
  return ids;
}

/** Opens and starts an engine: the move into the store is done once it owns the folder. */
async function open(logger?: EngineLogger): Promise<Engine> {
  const engine = await createEngine({
    dataDir: dataDir!,
    clock: new FakeClock(NOW),
    smtpTimeouts: { connectionMs: 3000, socketMs: 3000, idleMs: 60_000 },
    ...(logger ? { logger } : {}),
  });
  engines.push(engine);
  await engine.start();
  return engine;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name],
  );
}

describe('attachments of an older version, at the first start with the store', () => {
  it('files Trickle kept move into the store and stay attached; nothing else is read, attached or sent', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'trickle-legacy-'));
    const old = join(dataDir, 'attachments');
    const agenda = join(old, '0a1b2c3d4e5f', 'agenda.txt');
    const minutes = join(old, '112233445566', 'minutes.pdf');
    mkdirSync(join(old, '0a1b2c3d4e5f'), { recursive: true });
    mkdirSync(join(old, '112233445566'));
    writeFileSync(agenda, 'Agenda: 1. Welcome\n');
    writeFileSync(minutes, '%PDF-1.4 minutes\n');
    // What the attacker named, each as it was accepted before.
    const key = join(dataDir, 'secret.key');
    const KEY = '5e'.repeat(32);
    writeFileSync(key, `${KEY}\n`, { mode: 0o600 });
    mkdirSync(join(old, '998877665544'));
    const link = join(old, '998877665544', 'notes.txt');
    symlinkSync(key, link);
    symlinkSync(dataDir, join(old, 'evil'));
    const hostile = [
      key,
      '/proc/self/environ',
      link,
      join(old, 'evil', 'secret.key'),
      `${old}/0a1b2c3d4e5f/../../secret.key`,
      'relative/agenda.txt',
    ];
    const gone = join(old, 'aaaaaaaaaaaa', 'gone.pdf');

    const ids = await olderDataFolder([
      { name: 'Draft', status: 'draft', paths: [agenda] },
      { name: 'Queued', status: 'queued', paths: [agenda, minutes], recipients: ['ann@example.com', 'ben@example.com'] },
      { name: 'Stolen', status: 'queued', paths: [agenda, ...hostile], recipients: ['attacker@evil.example'] },
      { name: 'Lost', status: 'draft', paths: [gone] },
      { name: 'Done', status: 'completed', paths: ['/proc/self/environ'] },
    ]);

    const warnings: string[] = [];
    const logger: EngineLogger = {
      info() {},
      warn: (m, d) => void warnings.push(`${m} ${JSON.stringify(d)}`),
      error: (m, d) => void warnings.push(`error ${m} ${JSON.stringify(d)}`),
    };
    const engine = await open(logger);
    const get = (name: string) => engine.campaigns.get({ id: ids[name] });

    // Kept: the window's own files, now in the store, attached by id, to both campaigns that had agenda.
    const draft = await get('Draft');
    expect(draft).toMatchObject({ status: 'draft', attachments: [{ filename: 'agenda.txt', size: 19 }] });
    expect(draft.statusDetail).toBeUndefined();
    const queued = await get('Queued');
    expect(queued).toMatchObject({
      status: 'queued',
      attachments: [
        { filename: 'agenda.txt', size: 19 },
        { filename: 'minutes.pdf', size: 17 },
      ],
    });
    expect(queued.attachments[0]!.id).toBe(draft.attachments[0]!.id);
    expect(queued.statusDetail).toBeUndefined();

    // Not kept: said in the campaign's status line, each with its reason; the queued one paused.
    const stolen = await get('Stolen');
    expect(stolen.status).toBe('paused');
    expect(stolen.attachments.map((a) => a.filename)).toEqual(['agenda.txt']);
    expect(stolen.statusDetail).toMatch(/^No longer attached: /);
    for (const path of hostile) expect(stolen.statusDetail).toContain(path);
    expect(stolen.statusDetail).toMatch(/not in Trickle’s data folder/);
    expect(stolen.statusDetail).toMatch(/add the file again in the editor if it should go, then resume/);
    const lost = await get('Lost');
    expect(lost).toMatchObject({ status: 'draft', attachments: [] });
    expect(lost.statusDetail).toMatch(/“gone\.pdf” \(it could no longer be found/);
    expect(lost.statusDetail).toMatch(/then queue\.$/);
    const done = await get('Done');
    expect(done).toMatchObject({ status: 'completed', attachments: [] });
    expect(done.statusDetail).toMatch(/environ.*Messages sent again from this campaign go without it/);
    expect(warnings.filter((w) => w.startsWith('attachment not kept'))).toHaveLength(hostile.length + 2);
    expect(warnings.filter((w) => w.startsWith('error'))).toEqual([]);

    // The store holds exactly the two files given; the old copies went; nothing else was touched.
    expect(filesUnder(join(old, 'store')).sort()).toEqual([String(draft.attachments[0]!.id), String(queued.attachments[1]!.id)].sort());
    expect(readFileSync(join(old, 'store', String(queued.attachments[1]!.id)), 'utf8')).toBe('%PDF-1.4 minutes\n');
    expect(existsSync(join(old, '0a1b2c3d4e5f'))).toBe(false);
    expect(existsSync(join(old, '112233445566'))).toBe(false);
    expect(readFileSync(key, 'utf8')).toBe(`${KEY}\n`);
    expect(existsSync(link)).toBe(true);

    // Sending: the queued campaign goes with its two files; the paused one sends nothing.
    gmail = await startTestGmail({ accounts: [ALICE] });
    await engine.accounts.add({ ...ALICE, host: gmail.host, port: gmail.port, security: 'none', verify: false });
    await drain(engine);
    expect(gmail.accepted.map((m) => m.envelope.to[0])).toEqual(['ann@example.com', 'ben@example.com']);
    for (const mail of gmail.accepted) {
      expect(mail.raw).toMatch(/filename="?agenda\.txt/);
      expect(mail.raw).toMatch(/filename="?minutes\.pdf/);
    }
    const everything = gmail.accepted.map((m) => m.raw).join('\n');
    expect(everything).not.toContain(Buffer.from(KEY).toString('base64').slice(0, 40));
    expect((await get('Stolen')).counts).toMatchObject({ queued: 1, sent: 0 });

    // Once done it is done: a restart imports nothing again.
    await engine.stop();
    engines.splice(0);
    const again = await open();
    expect((await again.campaigns.get({ id: ids.Queued })).attachments).toEqual(queued.attachments);
    expect(filesUnder(join(old, 'store'))).toHaveLength(2);

    // The user adds the file again and resumes: it goes, with only what they gave.
    const readded = await again.attachments.store({ filename: 'notes.txt', contentBase64: Buffer.from('Real notes').toString('base64') });
    await again.campaigns.update({ id: ids.Stolen, attachments: [stolen.attachments[0]!.id, readded.id] });
    expect((await again.campaigns.resume({ id: ids.Stolen })).status).toBe('queued');
    await again.accounts.list();
    await drain(again);
    const last = gmail.accepted.at(-1)!;
    expect(last.envelope.to).toEqual(['attacker@evil.example']);
    expect(last.raw).toContain(Buffer.from('Real notes').toString('base64'));
    expect(last.raw).not.toContain(Buffer.from(KEY).toString('base64').slice(0, 40));
  });

  it('a campaign whose older list could not be moved yet is never sent without its files', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'trickle-legacy-'));
    const ids = await olderDataFolder([{ name: 'Queued', status: 'queued', paths: [] }]);
    const engine = await open();
    // As if the move had failed at start (a full disk): the old list is still there.
    const sqlite = new BetterSqlite3(join(dataDir, 'trickle.sqlite'));
    sqlite
      .prepare('update campaigns set attachments = ? where id = ?')
      .run(JSON.stringify([{ path: '/etc/hostname', filename: 'hostname' }]), ids.Queued);
    sqlite.close();
    gmail = await startTestGmail({ accounts: [ALICE] });
    await engine.accounts.add({ ...ALICE, host: gmail.host, port: gmail.port, security: 'none', verify: false });
    await drain(engine);
    expect(gmail.accepted).toHaveLength(0);
    const campaign = await engine.campaigns.get({ id: ids.Queued });
    expect(campaign.status).toBe('paused');
    expect(campaign.statusDetail).toMatch(/older version of Trickle.*Restart Trickle/);
  });
});
