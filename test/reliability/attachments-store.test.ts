/**
 * Issue #11, items 2 and 9, over headless mode's real HTTP door: attachments are only the files
 * the user gave Trickle. `attachments.store` keeps a copy in the data folder's store, named by
 * id; campaigns name attachments by those ids, never by a path — so no path the token holder
 * types (the key file, the database's write-ahead log, /proc/self/environ with TRICKLE_TOKEN in
 * it, /proc/self/pagemap which reports size 0, a symlink out of the store, `../` in any form) is
 * attached, mailed by a test send, or even probed for existence or size.
 *
 * On 616f3bb `campaigns.create` took paths and `campaigns.testSend` mailed them anywhere; a
 * file name of `.` or `..` ended in `internal` (EISDIR).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_ACCOUNTS, drain } from '../support/test-engine';
import { type TestServer, startTestServer } from '../support/test-server';

const ALICE = TEST_ACCOUNTS[0]!;

let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

async function start(): Promise<TestServer> {
  srv = await startTestServer({ accounts: [ALICE] });
  return srv;
}

async function value(s: TestServer, name: string, args: unknown): Promise<any> {
  const res = await s.call(name, args);
  if (!res.body.ok) expect.fail(`${name} was refused: ${res.text}`);
  return res.body.value;
}

/** Every way the attacker named a file outside the store (all of them exist but one). */
function attackPaths(s: TestServer): Record<string, string> {
  const data = s.setup.dataDir;
  // A symlink planted where the old store kept its copies, pointing out of it at the key.
  const planted = join(data, 'attachments', '0123456789ab');
  mkdirSync(planted, { recursive: true });
  const link = join(planted, 'agenda.txt');
  if (!existsSync(link)) symlinkSync(join(data, 'secret.key'), link);
  return {
    'the key file': join(data, 'secret.key'),
    'the write-ahead log': join(data, 'trickle.sqlite-wal'),
    'the database': join(data, 'trickle.sqlite'),
    'the access token file': join(data, 'headless-token'),
    'the environment (TRICKLE_TOKEN)': '/proc/self/environ',
    'pagemap (size 0, passes a size check)': '/proc/self/pagemap',
    'a symlink out of the store': link,
    '../ after the store': `${data}/attachments/../secret.key`,
    '../ twice': `${data}/attachments/0123456789ab/../../secret.key`,
    'a relative ../': '../secret.key',
    'encoded ../': `${data}/attachments/%2e%2e/secret.key`,
    'a file URL': `file://${data}/secret.key`,
  };
}

describe('no path is an attachment (item 2)', () => {
  it('campaigns.create and campaigns.update refuse every path; a test send mails nothing of them', async () => {
    const s = await start();
    const key = readFileSync(join(s.setup.dataDir, 'secret.key'));
    const paths = attackPaths(s);
    const draft = (await value(s, 'campaigns.create', { name: 'Draft', subject: 'Hi', text: 'Hello', csv: 'email\nann@example.com' }))
      .campaign;

    for (const [what, path] of Object.entries(paths)) {
      const created = await s.call('campaigns.create', {
        name: 'Steal',
        subject: 'Hi',
        text: 'Hi',
        csv: 'email\nann@example.com',
        attachments: [path],
      });
      expect(created.body.ok, `create with ${what}`).toBe(false);
      expect(created.body.error.code, what).toBe('invalid_input');
      expect(created.body.error.field, what).toBe('attachments.0');
      const updated = await s.call('campaigns.update', { id: draft.id, attachments: [path] });
      expect(updated.body.ok, `update with ${what}`).toBe(false);
      expect(updated.body.error.code, what).toBe('invalid_input');
    }
    expect((await value(s, 'campaigns.list', {})).map((c: { name: string }) => c.name)).toEqual(['Draft']);
    expect((await value(s, 'campaigns.get', { id: draft.id })).attachments).toEqual([]);

    // The attack: a test send to the attacker's address. It carries no file at all.
    await value(s, 'campaigns.testSend', { id: draft.id, to: 'attacker@evil.example' });
    expect(s.setup.gmail.accepted).toHaveLength(1);
    const raw = s.setup.gmail.accepted[0]!.raw;
    expect(raw).not.toMatch(/Content-Disposition: attachment/i);
    for (const secret of [
      key.toString('base64'),
      key.toString('base64').slice(0, 40),
      Buffer.from(s.token).toString('base64').slice(0, 24),
      s.token,
    ]) {
      expect(raw).not.toContain(secret);
    }
  });

  it('no answer tells whether a path exists or how big it is', async () => {
    const s = await start();
    const data = s.setup.dataDir;
    const draft = (await value(s, 'campaigns.create', { name: 'Draft', subject: 'Hi', text: 'Hello', csv: 'email\nann@example.com' }))
      .campaign;
    const pairs: [string, string][] = [
      [join(data, 'secret.key'), join(data, 'no-such.key')],
      ['/proc/self/environ', '/proc/self/no-such-file'],
      ['/proc/self/pagemap', '/proc/self/no-such-map'],
      [join(data, 'trickle.sqlite-wal'), join(data, 'trickle.sqlite-nope')],
    ];
    for (const [exists, missing] of pairs) {
      for (const method of ['campaigns.create', 'campaigns.update'] as const) {
        const args = (path: string) =>
          method === 'campaigns.create'
            ? { name: 'Probe', subject: 'Hi', text: 'Hi', csv: 'email\nann@example.com', attachments: [path] }
            : { id: draft.id, attachments: [path] };
        const a = await s.call(method, args(exists));
        const b = await s.call(method, args(missing));
        // The same refusal, word for word, naming neither path.
        expect(a.body, `${method} ${exists}`).toEqual(b.body);
        expect(a.text).not.toContain(exists);
        expect(a.text).not.toMatch(/\d+(\.\d+)? ?(MB|KB|bytes)/);
      }
    }

    // What a campaign shows of its attachments: the name and size of what was given, no path.
    const given = await value(s, 'attachments.store', { filename: 'agenda.txt', contentBase64: Buffer.from('Agenda').toString('base64') });
    expect(given).toEqual({ id: expect.any(Number), filename: 'agenda.txt', size: 6 });
    const campaign = await value(s, 'campaigns.update', { id: draft.id, attachments: [given.id] });
    expect(campaign.attachments).toEqual([{ id: given.id, filename: 'agenda.txt', size: 6 }]);
    for (const answer of [JSON.stringify(campaign), JSON.stringify(await value(s, 'campaigns.list', {})), JSON.stringify(given)]) {
      expect(answer).not.toContain(data);
      expect(answer).not.toMatch(/"path"/);
    }
  });

  it('what the user gave is what goes out: stored by id, attached by id, sent with its content', async () => {
    const s = await start();
    const content = Buffer.from('%PDF-1.4 minutes of the meeting\n');
    const file = await value(s, 'attachments.store', { filename: 'minutes.pdf', contentBase64: content.toString('base64') });
    // Kept in the data folder's store, named by its id.
    const store = join(s.setup.dataDir, 'attachments', 'store');
    expect(readdirSync(store)).toEqual([String(file.id)]);
    expect(readFileSync(join(store, String(file.id)))).toEqual(content);

    const { campaign } = await value(s, 'campaigns.create', {
      name: 'Minutes',
      subject: 'Minutes',
      text: 'Attached.',
      csv: 'email\nann@example.com\nben@example.com',
      attachments: [file.id],
    });
    await value(s, 'campaigns.testSend', { id: campaign.id, to: 'me@example.org' });
    await value(s, 'campaigns.queue', { id: campaign.id });
    await drain(s.setup.engine);
    expect(s.setup.gmail.accepted.map((m) => m.envelope.to[0])).toEqual(['me@example.org', 'ann@example.com', 'ben@example.com']);
    for (const mail of s.setup.gmail.accepted) {
      expect(mail.raw).toMatch(/filename="?minutes\.pdf/);
      expect(mail.raw.replace(/\r?\n/g, '')).toContain(content.toString('base64'));
    }

    // An id that was never given is refused in words, and changes nothing.
    const unknown = await s.call('campaigns.create', {
      name: 'X',
      subject: 'Hi',
      text: 'Hi',
      csv: 'email\nann@example.com',
      attachments: [file.id + 1000],
    });
    expect(unknown.body).toMatchObject({
      ok: false,
      error: { code: 'attachment_problem', message: expect.stringMatching(/not one Trickle keeps.*add the file again/i) },
    });
    expect((await value(s, 'campaigns.list', {})).length).toBe(1);
  });

  it('a file in the store replaced by a symlink out of it, or removed, is never sent: the campaign pauses and says why', async () => {
    const s = await start();
    const key = readFileSync(join(s.setup.dataDir, 'secret.key'));
    const file = await value(s, 'attachments.store', { filename: 'agenda.txt', contentBase64: Buffer.from('Agenda').toString('base64') });
    const { campaign } = await value(s, 'campaigns.create', {
      name: 'Agenda',
      subject: 'Agenda',
      text: 'Attached.',
      csv: 'email\nann@example.com\nben@example.com',
      attachments: [file.id],
    });
    await value(s, 'campaigns.queue', { id: campaign.id });
    const stored = join(s.setup.dataDir, 'attachments', 'store', String(file.id));
    unlinkSync(stored);
    symlinkSync(join(s.setup.dataDir, 'secret.key'), stored);

    const test = await s.call('campaigns.testSend', { id: campaign.id, to: 'attacker@evil.example' });
    expect(test.body).toMatchObject({ ok: false, error: { code: 'attachment_problem' } });
    expect(await s.setup.engine.runBatchNow()).toMatchObject({ sent: 0 });
    expect(s.setup.gmail.accepted).toHaveLength(0);
    const paused = await value(s, 'campaigns.get', { id: campaign.id });
    expect(paused.status).toBe('paused');
    expect(paused.statusDetail).toMatch(/agenda\.txt.*missing or damaged.*add the file again/i);
    expect(paused.attachments).toEqual([{ id: file.id, filename: 'agenda.txt', size: 6, missing: true }]);
    expect(paused.counts).toMatchObject({ queued: 2, sent: 0 });
    expect((await s.call('campaigns.resume', { id: campaign.id })).body).toMatchObject({
      ok: false,
      error: { code: 'attachment_problem' },
    });

    // Gone altogether: the same.
    unlinkSync(stored);
    expect((await s.call('campaigns.resume', { id: campaign.id })).body).toMatchObject({
      ok: false,
      error: { code: 'attachment_problem' },
    });

    // The user adds the file again (a new id) and resumes: now it goes, with the file they gave.
    const again = await value(s, 'attachments.store', { filename: 'agenda.txt', contentBase64: Buffer.from('Agenda').toString('base64') });
    await value(s, 'campaigns.update', { id: campaign.id, attachments: [again.id] });
    await value(s, 'campaigns.resume', { id: campaign.id });
    await drain(s.setup.engine);
    expect(s.setup.gmail.accepted.map((m) => m.envelope.to[0])).toEqual(['ann@example.com', 'ben@example.com']);
    for (const mail of s.setup.gmail.accepted) {
      expect(mail.raw).toContain(Buffer.from('Agenda').toString('base64'));
      expect(mail.raw).not.toContain(key.toString('base64').slice(0, 40));
    }
  });
});

describe('attachments.store file names (item 9)', () => {
  it('`.`, `..` and names with nothing left are refused in words (not `internal`), and nothing is stored', async () => {
    const s = await start();
    const content = Buffer.from('hi').toString('base64');
    for (const filename of ['.', '..', '...', ' .. ', '/', '../..', 'a/..', '..\\..', '\u0000', '\r\n']) {
      const res = await s.call('attachments.store', { filename, contentBase64: content });
      expect(res.status, JSON.stringify(filename)).toBe(200);
      expect(res.body, JSON.stringify(filename)).toMatchObject({
        ok: false,
        error: { code: 'invalid_input', field: 'filename', message: expect.stringMatching(/file name.*such as agenda\.pdf/i) },
      });
    }
    expect(s.logs.filter((l) => l.startsWith('error'))).toEqual([]);
    const store = join(s.setup.dataDir, 'attachments', 'store');
    expect(existsSync(store) ? readdirSync(store) : []).toEqual([]);

    // A name with a path in it keeps its last part only, and writes nowhere but the store.
    const before = readFileSync(join(s.setup.dataDir, 'secret.key'));
    const named = await value(s, 'attachments.store', { filename: '../../secret.key', contentBase64: content });
    expect(named).toEqual({ id: expect.any(Number), filename: 'secret.key', size: 2 });
    expect(readFileSync(join(s.setup.dataDir, 'secret.key'))).toEqual(before);
    expect(readdirSync(store)).toEqual([String(named.id)]);
  });
});
