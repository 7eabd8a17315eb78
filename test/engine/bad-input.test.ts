/**
 * Every public engine function rejects invalid input with a typed error (EngineError with a
 * stable `code`) and a message a person can act on, and changes nothing: every table of the
 * SQLite file reads the same before and after the refused call.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src-main/engine/engine';
import { EngineError, type EngineErrorCode } from '../../src-main/engine/core/errors';
import { KeyFileSecretStore } from '../../src-main/engine/core/secrets';
import { snapshotTables } from '../support/db-snapshot';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, recipientsCsv } from '../support/test-engine';

const ALICE = TEST_ACCOUNTS[0]!;
const MB = 1024 * 1024;

let setup: TestSetup;
let reader: Database.Database;
let files: string;

/** Ids of the things the cases act on, made once in beforeAll. */
const f = {
  account: 0,
  draft: 0,
  draftMessage: 0,
  queued: 0,
  paused: 0,
  completed: 0,
  cancelled: 0,
  mergeGap: 0,
  mergeGapRow3: 0,
  noBody: 0,
  stopPassed: 0,
  nobody: 0,
  lostAttachment: 0,
  empty: 0,
};

/** Ids of files kept in the attachments store, and what is refused from it. */
const p = { small: 0, half1: 0, half2: 0, gone: 999_999, big26: '' };

beforeAll(async () => {
  setup = await createTestEngine({ accounts: [ALICE] });
  const e = setup.engine;
  files = mkdtempSync(join(tmpdir(), 'trickle-bad-input-'));
  const store = (filename: string, content: Buffer) => e.attachments.store({ filename, contentBase64: content.toString('base64') });
  p.small = (await store('agenda.txt', Buffer.from('Agenda\n'))).id;
  p.half1 = (await store('part1.zip', Buffer.alloc(13 * MB))).id;
  p.half2 = (await store('part2.zip', Buffer.alloc(13 * MB))).id;
  p.big26 = Buffer.alloc(26 * MB).toString('base64');

  f.account = (await e.accounts.list())[0]!.id;
  await e.suppressions.add({ email: 'blocked@example.com', reason: 'unsubscribed' });
  await e.settings.update({ batchSize: 5, maxRetries: 4 });

  const base = { subject: 'Hello {{first_name}}', html: '<p>Dear {{first_name}}</p>' };
  // Completed first: its batch fills send_log and batches, and no later campaign is queued yet.
  f.completed = (await e.campaigns.create({ name: 'Done', ...base, csv: recipientsCsv(1, 'done.example') })).campaign.id;
  await e.campaigns.queue({ id: f.completed });
  const batch = await e.runBatchNow();
  if (batch?.sent !== 1) throw new Error('fixture: the completed campaign did not send');

  f.queued = (await e.campaigns.create({ name: 'Queued', ...base, csv: recipientsCsv(2, 'queued.example') })).campaign.id;
  await e.campaigns.queue({ id: f.queued });
  f.paused = (await e.campaigns.create({ name: 'Paused', ...base, csv: recipientsCsv(2, 'paused.example') })).campaign.id;
  await e.campaigns.queue({ id: f.paused });
  await e.campaigns.pause({ id: f.paused });
  f.cancelled = (await e.campaigns.create({ name: 'Cancelled', ...base, csv: recipientsCsv(2, 'cancelled.example') })).campaign.id;
  await e.campaigns.cancel({ id: f.cancelled });

  f.draft = (
    await e.campaigns.create({
      name: 'Draft',
      ...base,
      attachments: [p.small],
      sendAfter: '2026-12-01T09:00:00Z',
      csv: `${recipientsCsv(3, 'draft.example')}\nblocked@example.com,Blocked\nnot-an-address,Nobody`,
    })
  ).campaign.id;
  f.draftMessage = (await e.campaigns.messages({ id: f.draft })).items[0]!.id;

  // {{first_name}} is empty on spreadsheet rows 3 and 5.
  f.mergeGap = (
    await e.campaigns.create({
      name: 'Gaps',
      ...base,
      csv: 'email,first_name\nann@gap.example,Ann\nbob@gap.example,\ncy@gap.example,Cy\ndee@gap.example,   \n',
    })
  ).campaign.id;
  f.mergeGapRow3 = (await e.campaigns.messages({ id: f.mergeGap })).items.find((m) => m.row === 3)!.id;

  f.noBody = (await e.campaigns.create({ name: 'No body', subject: 'Hi', csv: recipientsCsv(1, 'nobody.example') })).campaign.id;
  f.stopPassed = (
    await e.campaigns.create({
      name: 'Too late',
      ...base,
      stopAfter: new Date(setup.clock.now() - 3600_000).toISOString(),
      csv: recipientsCsv(1, 'late.example'),
    })
  ).campaign.id;
  f.nobody = (
    await e.campaigns.create({ name: 'All skipped', ...base, csv: 'email,first_name\nblocked@example.com,B\nbroken@,X\n' })
  ).campaign.id;
  const lost = await store('minutes.pdf', Buffer.from('%PDF-1.4\n'));
  f.lostAttachment = (
    await e.campaigns.create({ name: 'Lost file', ...base, attachments: [lost.id], csv: recipientsCsv(1, 'lost.example') })
  ).campaign.id;
  // The store's copy is lost (a damaged or hand-edited data folder).
  unlinkSync(join(setup.dataDir, 'attachments', 'store', String(lost.id)));
  f.empty = (await e.campaigns.create({ name: 'Empty', ...base })).campaign.id;

  reader = new Database(setup.databaseFile, { readonly: true, fileMustExist: true });
});

afterAll(async () => {
  reader?.close();
  await setup?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});

const snapshot = () => snapshotTables(reader);

interface Case {
  name: string;
  call: (e: Engine) => Promise<unknown>;
  code: EngineErrorCode;
  /** Each must match the message: the field it names, the advice it gives. */
  says?: RegExp[];
}

async function expectRefused(c: Case): Promise<void> {
  const before = snapshot();
  let outcome: { resolved: unknown } | { error: unknown };
  try {
    outcome = { resolved: await c.call(setup.engine) };
  } catch (error) {
    outcome = { error };
  }
  if ('resolved' in outcome) {
    expect.fail(`expected a refusal (${c.code}) but it resolved with ${JSON.stringify(outcome.resolved)?.slice(0, 300)}`);
  }
  const error = outcome.error;
  expect(error, String(error)).toBeInstanceOf(EngineError);
  const engineError = error as EngineError;
  expect({ code: engineError.code, message: engineError.message }).toMatchObject({ code: c.code });
  // A sentence for a person, not a stack of internals.
  expect(engineError.message.length).toBeGreaterThan(8);
  expect(engineError.message).not.toMatch(/\[object |undefined|NaN|SQLITE|TypeError|Cannot read/);
  for (const pattern of c.says ?? []) expect(engineError.message).toMatch(pattern);
  expect(snapshot()).toEqual(before);
}

function runCases(cases: Case[]): void {
  for (const c of cases) it(c.name, () => expectRefused(c));
}

const loopback = () => ({ host: setup.gmail.host, port: setup.gmail.port, security: 'none' as const });
const goodAccount = () => ({ email: 'dave@gmail.test', appPassword: 'mmmmnnnnoooopppp', ...loopback() });

describe('accounts.add', () => {
  runCases([
    { name: 'no input at all', call: (e) => e.accounts.add(undefined), code: 'invalid_input', says: [/arguments are missing/] },
    { name: 'a string instead of an object', call: (e) => e.accounts.add('dave@gmail.test'), code: 'invalid_input' },
    { name: 'an array', call: (e) => e.accounts.add([goodAccount()]), code: 'invalid_input' },
    {
      name: 'missing email',
      call: (e) => e.accounts.add({ appPassword: 'abcdefghijklmnop' }),
      code: 'invalid_input',
      says: [/^email: This is required\./],
    },
    {
      name: 'missing app password',
      call: (e) => e.accounts.add({ email: 'dave@gmail.com', verify: false }),
      code: 'invalid_input',
      says: [/appPassword/],
    },
    {
      name: 'empty app password',
      call: (e) => e.accounts.add({ ...goodAccount(), appPassword: '' }),
      code: 'invalid_input',
      says: [/appPassword/, /Enter the app password/],
    },
    {
      name: 'an unknown extra field',
      call: (e) => e.accounts.add({ ...goodAccount(), isAdmin: true }),
      code: 'invalid_input',
      says: [/isAdmin/],
    },
    {
      name: 'email as a number',
      call: (e) => e.accounts.add({ ...goodAccount(), email: 42 }),
      code: 'invalid_input',
      says: [/email/],
    },
    {
      name: 'email "a@b" (no dot in the domain)',
      call: (e) => e.accounts.add({ ...goodAccount(), email: 'a@b' }),
      code: 'invalid_input',
      says: [/^email:/, /dot/],
    },
    {
      name: 'email with a line break and a Bcc header',
      call: (e) => e.accounts.add({ ...goodAccount(), email: 'x\r\nBcc: y@z.com' }),
      code: 'invalid_input',
      says: [/^email:/, /line break|space/],
    },
    {
      name: 'email with a display name "Ann <ann@x.com>"',
      call: (e) => e.accounts.add({ ...goodAccount(), email: 'Ann <ann@x.com>' }),
      code: 'invalid_input',
      says: [/^email:/, /ann@x\.com/, /without a name/],
    },
    ...[0, 2001, 1.5, -5, '100', null].map(
      (dailyCap): Case => ({
        name: `dailyCap ${JSON.stringify(dailyCap)}`,
        call: (e) => e.accounts.add({ ...goodAccount(), dailyCap }),
        code: 'invalid_input',
        says: [/^dailyCap:/],
      }),
    ),
    {
      name: 'dailyCap 1.5 says it must be a whole number',
      call: (e) => e.accounts.add({ ...goodAccount(), dailyCap: 1.5 }),
      code: 'invalid_input',
      says: [/whole number/],
    },
    ...['abcdefghijklmno', 'abcdefghijklmnopq', 'abcd efgh ijkl mno1', 'my-normal-password', 'abcd-efgh-ijkl-mnop'].map(
      (appPassword): Case => ({
        name: `Gmail app password ${JSON.stringify(appPassword)}`,
        call: (e) => e.accounts.add({ email: 'dave@gmail.com', appPassword, verify: false }),
        code: 'invalid_input',
        says: [/^appPassword:/, /16 letters/, /apppasswords/],
      }),
    ),
    {
      name: "security 'none' to a host across the network",
      call: (e) => e.accounts.add({ ...goodAccount(), host: 'smtp.example.com', port: 25, verify: false }),
      code: 'invalid_input',
      says: [/^security:/, /TLS/],
    },
    {
      name: "security 'none' to smtp.gmail.com (the default host)",
      call: (e) => e.accounts.add({ email: 'dave@gmail.com', appPassword: 'abcdefghijklmnop', security: 'none', verify: false }),
      code: 'invalid_input',
      says: [/^security:/],
    },
    {
      name: 'an unknown security mode',
      call: (e) => e.accounts.add({ ...goodAccount(), security: 'ssl' }),
      code: 'invalid_input',
      says: [/security/],
    },
    ...[0, 65536, 25.5].map(
      (port): Case => ({
        name: `port ${port}`,
        call: (e) => e.accounts.add({ ...goodAccount(), port }),
        code: 'invalid_input',
        says: [/^port:/],
      }),
    ),
    {
      name: 'a host with a line break',
      call: (e) => e.accounts.add({ ...goodAccount(), host: 'smtp.example.com\r\nX: y', security: 'tls', verify: false }),
      code: 'invalid_input',
      says: [/^host:/],
    },
    {
      name: 'an account that is already there (different case)',
      call: (e) => e.accounts.add({ email: ALICE.email.toUpperCase(), appPassword: ALICE.appPassword, ...loopback() }),
      code: 'conflict',
      says: [/already/, /Edit it/],
    },
    {
      name: 'a password the server refuses (login verified first)',
      call: (e) => {
        setup.gmail.addAccount({ email: 'erin@gmail.test', appPassword: 'qqqqrrrrsssstttt' });
        return e.accounts.add({ email: 'erin@gmail.test', appPassword: 'wrongwrongwrongw', ...loopback() });
      },
      code: 'login_failed',
      says: [/erin@gmail\.test/, /app password/],
    },
  ]);

  it('accepts a Gmail app password pasted with spaces, and stores it without them', async () => {
    const { engine, dataDir, gmail } = await createTestEngine();
    try {
      const account = await engine.accounts.add({ email: 'dave@gmail.com', appPassword: 'abcd efgh ijkl mnop', verify: false });
      expect(account).toMatchObject({ email: 'dave@gmail.com', host: 'smtp.gmail.com', port: 465, security: 'tls' });
      // Open the stored secret the way the engine does: the spaces are gone.
      const db = new Database(join(dataDir, 'trickle.sqlite'), { readonly: true });
      const { password_secret } = db.prepare('select password_secret from accounts').get() as { password_secret: string };
      db.close();
      const store = new KeyFileSecretStore({ dataDir, envKey: process.env.TRICKLE_SECRET_KEY });
      expect(store.decrypt(password_secret)).toBe('abcdefghijklmnop');
      expect(gmail.connections).toBe(0); // verify: false really did not log in anywhere
    } finally {
      await engine.stop();
    }
  });
});

describe('accounts.update', () => {
  runCases([
    { name: 'no id', call: (e) => e.accounts.update({ dailyCap: 50 }), code: 'invalid_input', says: [/^id:/] },
    { name: 'id as a string', call: (e) => e.accounts.update({ id: '1', dailyCap: 50 }), code: 'invalid_input', says: [/^id:/] },
    { name: 'id 0', call: (e) => e.accounts.update({ id: 0 }), code: 'invalid_input', says: [/^id:/] },
    {
      name: 'an account that does not exist',
      call: (e) => e.accounts.update({ id: 999, dailyCap: 50 }),
      code: 'not_found',
      says: [/Account 999/],
    },
    ...[0, 2001, 1.5].map(
      (dailyCap): Case => ({
        name: `dailyCap ${dailyCap}`,
        call: (e) => e.accounts.update({ id: f.account, dailyCap }),
        code: 'invalid_input',
        says: [/^dailyCap:/],
      }),
    ),
    {
      name: 'the email (not editable: an unknown field)',
      call: (e) => e.accounts.update({ id: f.account, email: 'other@gmail.test' }),
      code: 'invalid_input',
      says: [/email/],
    },
    {
      name: 'an unknown extra field',
      call: (e) => e.accounts.update({ id: f.account, dailyCap: 50, password: 'x' }),
      code: 'invalid_input',
      says: [/password/],
    },
    {
      name: "a network host while security stays 'none'",
      call: (e) => e.accounts.update({ id: f.account, host: 'smtp.example.com', verify: false }),
      code: 'invalid_input',
      says: [/^security:/, /TLS/],
    },
    {
      name: 'moving to smtp.gmail.com with a password that is not 16 letters',
      call: (e) =>
        e.accounts.update({ id: f.account, host: 'smtp.gmail.com', security: 'tls', port: 465, appPassword: 'hunter2', verify: false }),
      code: 'invalid_input',
      says: [/^appPassword:/, /16 letters/],
    },
    {
      name: 'an empty new password',
      call: (e) => e.accounts.update({ id: f.account, appPassword: '' }),
      code: 'invalid_input',
      says: [/appPassword/],
    },
    {
      name: 'a new password the server refuses (the old one is kept)',
      call: (e) => e.accounts.update({ id: f.account, appPassword: 'notthepassword00' }),
      code: 'login_failed',
      says: [/alice@gmail\.test/],
    },
    {
      name: 'fromName as a number',
      call: (e) => e.accounts.update({ id: f.account, fromName: 7 }),
      code: 'invalid_input',
      says: [/^fromName:/],
    },
    {
      name: 'enabled as a string',
      call: (e) => e.accounts.update({ id: f.account, enabled: 'no' }),
      code: 'invalid_input',
      says: [/^enabled:/],
    },
  ]);
});

describe('accounts.remove and accounts.verify', () => {
  runCases([
    { name: 'remove: no input', call: (e) => e.accounts.remove(undefined), code: 'invalid_input' },
    { name: 'remove: id -1', call: (e) => e.accounts.remove({ id: -1 }), code: 'invalid_input', says: [/^id:/] },
    { name: 'remove: id 1.5', call: (e) => e.accounts.remove({ id: 1.5 }), code: 'invalid_input', says: [/^id:/] },
    { name: 'remove: extra field', call: (e) => e.accounts.remove({ id: f.account, force: true }), code: 'invalid_input', says: [/force/] },
    { name: 'remove: does not exist', call: (e) => e.accounts.remove({ id: 999 }), code: 'not_found', says: [/Account 999/] },
    { name: 'verify: id as text', call: (e) => e.accounts.verify({ id: 'alice' }), code: 'invalid_input', says: [/^id:/] },
    { name: 'verify: no id', call: (e) => e.accounts.verify({}), code: 'invalid_input', says: [/^id:/] },
    { name: 'verify: does not exist', call: (e) => e.accounts.verify({ id: 999 }), code: 'not_found', says: [/Account 999/] },
  ]);
});

describe('campaigns.create', () => {
  const ok = { name: 'Spring', subject: 'Hi {{first_name}}', html: '<p>Hi</p>', csv: recipientsCsv(2) };
  runCases([
    { name: 'no input', call: (e) => e.campaigns.create(null), code: 'invalid_input' },
    { name: 'missing name', call: (e) => e.campaigns.create({ ...ok, name: undefined }), code: 'invalid_input', says: [/^name:/] },
    {
      name: 'a blank name',
      call: (e) => e.campaigns.create({ ...ok, name: '   ' }),
      code: 'invalid_input',
      says: [/^name:/, /Give the campaign a name/],
    },
    {
      name: 'a 201-character name',
      call: (e) => e.campaigns.create({ ...ok, name: 'x'.repeat(201) }),
      code: 'invalid_input',
      says: [/^name:/],
    },
    {
      name: 'missing subject',
      call: (e) => e.campaigns.create({ ...ok, subject: undefined }),
      code: 'invalid_input',
      says: [/^subject:/],
    },
    {
      name: 'a blank subject',
      call: (e) => e.campaigns.create({ ...ok, subject: ' ' }),
      code: 'invalid_input',
      says: [/^subject:/, /Write a subject/],
    },
    { name: 'html as a number', call: (e) => e.campaigns.create({ ...ok, html: 5 }), code: 'invalid_input', says: [/^html:/] },
    {
      name: 'an unknown extra field',
      call: (e) => e.campaigns.create({ ...ok, status: 'queued' }),
      code: 'invalid_input',
      says: [/status/],
    },
    {
      name: 'both csv and a recipient list',
      call: (e) => e.campaigns.create({ ...ok, recipients: [{ email: 'a@example.com' }] }),
      code: 'invalid_input',
      says: [/recipients/, /not both/],
    },
    {
      name: 'recipients that is not a list',
      call: (e) => e.campaigns.create({ ...ok, csv: undefined, recipients: 'a@example.com' }),
      code: 'invalid_input',
      says: [/^recipients:/],
    },
    {
      name: 'a recipient with an unknown field',
      call: (e) => e.campaigns.create({ ...ok, csv: undefined, recipients: [{ email: 'a@example.com', phone: '1' }] }),
      code: 'invalid_input',
      says: [/phone/],
    },
    {
      name: 'a recipient merge value that is not text',
      call: (e) => e.campaigns.create({ ...ok, csv: undefined, recipients: [{ email: 'a@example.com', fields: { first_name: 3 } }] }),
      code: 'invalid_input',
      says: [/recipients\.0\.fields\.first_name/],
    },
    {
      name: 'a recipient list where two fields become the same merge field',
      call: (e) =>
        e.campaigns.create({
          ...ok,
          csv: undefined,
          recipients: [{ email: 'a@example.com', fields: { 'First Name': 'A', first_name: 'B' } }],
        }),
      code: 'csv_invalid',
      says: [/first_name/, /Rename/],
    },
    {
      name: 'a CSV without an email column',
      call: (e) => e.campaigns.create({ ...ok, csv: 'name,first_name\nAnn,Ann\n' }),
      code: 'csv_invalid',
      says: [/no "email" column/, /name, first_name/, /Rename the column/],
    },
    {
      name: 'a CSV whose header row is an address',
      call: (e) => e.campaigns.create({ ...ok, csv: 'ann@example.com,Ann\nbob@example.com,Bob\n' }),
      code: 'csv_invalid',
      says: [/header row/],
    },
    {
      name: 'a CSV with an unclosed quote',
      call: (e) => e.campaigns.create({ ...ok, csv: 'email,first_name\nann@example.com,"Ann\nbob@example.com,Bob\n' }),
      code: 'csv_invalid',
      says: [/quote/, /never closed/],
    },
    {
      name: 'a CSV with text after a closing quote',
      call: (e) => e.campaigns.create({ ...ok, csv: 'email,first_name\nann@example.com,"Ann"x\n' }),
      code: 'csv_invalid',
      says: [/Row 2/, /double quotes/],
    },
    {
      name: 'an empty CSV',
      call: (e) => e.campaigns.create({ ...ok, csv: ' \n\n' }),
      code: 'csv_invalid',
      says: [/empty/],
    },
    {
      name: 'a CSV with two columns that become the same merge field',
      call: (e) => e.campaigns.create({ ...ok, csv: 'email,First Name,first_name\na@example.com,A,B\n' }),
      code: 'csv_invalid',
      says: [/First Name/, /Rename/],
    },
    {
      name: 'a CSV saved as UTF-16',
      call: (e) => e.campaigns.create({ ...ok, csv: 'email\na@example.com\n'.split('').join('\0') }),
      code: 'csv_invalid',
      says: [/UTF-8/],
    },
    {
      name: 'a chosen email column that is not there',
      call: (e) => e.campaigns.create({ ...ok, emailColumn: 'Mail address' }),
      code: 'csv_invalid',
      says: [/Mail address/],
    },
    {
      name: 'a CSV over 50 MB',
      call: (e) => e.campaigns.create({ ...ok, csv: `email\n${'a@example.com\n'.repeat(Math.ceil((51 * MB) / 14))}` }),
      code: 'csv_invalid',
      says: [/MB/, /split it/],
    },
    ...['tomorrow', '2026-12-01', '2026-12-01T09:00:00', '2026-02-30T09:00:00Z', '01/12/2026 09:00'].map(
      (sendAfter): Case => ({
        name: `sendAfter ${JSON.stringify(sendAfter)}`,
        call: (e) => e.campaigns.create({ ...ok, sendAfter }),
        code: 'invalid_input',
        says: [/^sendAfter:/, /2026-12-01T09:00:00Z/],
      }),
    ),
    {
      name: 'sendAfter as a number',
      call: (e) => e.campaigns.create({ ...ok, sendAfter: Date.now() }),
      code: 'invalid_input',
      says: [/^sendAfter:/],
    },
    {
      name: 'stopAfter before sendAfter',
      call: (e) => e.campaigns.create({ ...ok, sendAfter: '2026-12-02T09:00:00Z', stopAfter: '2026-12-01T09:00:00Z' }),
      code: 'invalid_input',
      says: [/^stopAfter:/, /after the start/],
    },
    {
      name: 'stopAfter equal to sendAfter',
      call: (e) => e.campaigns.create({ ...ok, sendAfter: '2026-12-02T09:00:00Z', stopAfter: '2026-12-02T10:00:00+01:00' }),
      code: 'invalid_input',
      says: [/^stopAfter:/],
    },
    ...['a@b', 'x\r\nBcc: y@z.com', 'Ann <ann@x.com>', ''].map(
      (replyTo): Case => ({
        name: `replyTo ${JSON.stringify(replyTo)}`,
        call: (e) => e.campaigns.create({ ...ok, replyTo }),
        code: 'invalid_input',
        says: [/^replyTo:/],
      }),
    ),
    {
      name: 'an attachment id Trickle never gave',
      call: (e) => e.campaigns.create({ ...ok, attachments: [p.small, p.gone] }),
      code: 'attachment_problem',
      says: [/999999/, /not one Trickle keeps/, /Add the file again/],
    },
    ...[
      ['a relative path', 'agenda.txt'],
      ['a full path', join(tmpdir(), 'agenda.txt')],
      ['a folder', tmpdir()],
      ['an id as text', '1'],
    ].map(
      ([what, path]): Case => ({
        name: `an attachment given as ${what}`,
        call: (e) => e.campaigns.create({ ...ok, attachments: [path] }),
        code: 'invalid_input',
        says: [/^attachments\.0:/, /named by the id attachments\.store answered with, never by a path/],
      }),
    ),
    {
      name: 'an attachment id 0 or negative',
      call: (e) => e.campaigns.create({ ...ok, attachments: [0, -1] }),
      code: 'invalid_input',
      says: [/^attachments\.0:/],
    },
    {
      name: 'two 13 MB attachments (26 MB together)',
      call: (e) => e.campaigns.create({ ...ok, attachments: [p.half1, p.half2] }),
      code: 'attachment_problem',
      says: [/26(\.0)? MB/, /25 MB/],
    },
    {
      name: 'attachments that are not a list',
      call: (e) => e.campaigns.create({ ...ok, attachments: p.small }),
      code: 'invalid_input',
      says: [/^attachments:/],
    },
  ]);
});

describe('campaigns.get, messages, export', () => {
  runCases([
    { name: 'get: no id', call: (e) => e.campaigns.get({}), code: 'invalid_input', says: [/^id:/] },
    { name: 'get: id "1"', call: (e) => e.campaigns.get({ id: '1' }), code: 'invalid_input', says: [/^id:/] },
    { name: 'get: id 1.5', call: (e) => e.campaigns.get({ id: 1.5 }), code: 'invalid_input', says: [/^id:/] },
    { name: 'get: does not exist', call: (e) => e.campaigns.get({ id: 999 }), code: 'not_found', says: [/Campaign 999 does not exist/] },
    { name: 'messages: does not exist', call: (e) => e.campaigns.messages({ id: 999 }), code: 'not_found', says: [/Campaign 999/] },
    {
      name: 'messages: an unknown status',
      call: (e) => e.campaigns.messages({ id: f.draft, status: 'delivered' }),
      code: 'invalid_input',
      says: [/^status:/],
    },
    ...[0, 1001, 2.5].map(
      (limit): Case => ({
        name: `messages: limit ${limit}`,
        call: (e) => e.campaigns.messages({ id: f.draft, limit }),
        code: 'invalid_input',
        says: [/^limit:/],
      }),
    ),
    {
      name: 'messages: offset -1',
      call: (e) => e.campaigns.messages({ id: f.draft, offset: -1 }),
      code: 'invalid_input',
      says: [/^offset:/],
    },
    {
      name: 'messages: an unknown extra field',
      call: (e) => e.campaigns.messages({ id: f.draft, sort: 'email' }),
      code: 'invalid_input',
      says: [/sort/],
    },
    { name: 'export: no id', call: (e) => e.campaigns.export({}), code: 'invalid_input', says: [/^id:/] },
    { name: 'export: does not exist', call: (e) => e.campaigns.export({ id: 999 }), code: 'not_found', says: [/Campaign 999/] },
    {
      name: 'export: an unknown option',
      call: (e) => e.campaigns.export({ id: f.draft, format: 'xlsx' }),
      code: 'invalid_input',
      says: [/format/],
    },
  ]);
});

describe('campaigns.update', () => {
  runCases([
    { name: 'no id', call: (e) => e.campaigns.update({ name: 'x' }), code: 'invalid_input', says: [/^id:/] },
    {
      name: 'does not exist',
      call: (e) => e.campaigns.update({ id: 999, name: 'x' }),
      code: 'not_found',
      says: [/Campaign 999/],
    },
    {
      name: 'a queued campaign (must be paused first)',
      call: (e) => e.campaigns.update({ id: f.queued, subject: 'Changed' }),
      code: 'conflict',
      says: [/queued/, /pause it/],
    },
    {
      name: 'a completed campaign',
      call: (e) => e.campaigns.update({ id: f.completed, subject: 'Changed' }),
      code: 'conflict',
      says: [/completed/],
    },
    {
      name: 'a blank name',
      call: (e) => e.campaigns.update({ id: f.draft, name: '' }),
      code: 'invalid_input',
      says: [/^name:/],
    },
    {
      name: 'the status (an unknown field)',
      call: (e) => e.campaigns.update({ id: f.draft, status: 'completed' }),
      code: 'invalid_input',
      says: [/status/],
    },
    {
      name: 'sendAfter garbage',
      call: (e) => e.campaigns.update({ id: f.draft, sendAfter: 'next monday' }),
      code: 'invalid_input',
      says: [/^sendAfter:/],
    },
    {
      name: 'stopAfter before the stored sendAfter',
      call: (e) => e.campaigns.update({ id: f.draft, stopAfter: '2026-11-30T09:00:00Z' }),
      code: 'invalid_input',
      says: [/^stopAfter:/, /after the start/],
    },
    {
      name: 'a replyTo with a display name',
      call: (e) => e.campaigns.update({ id: f.draft, replyTo: 'Ann <ann@x.com>' }),
      code: 'invalid_input',
      says: [/^replyTo:/, /ann@x\.com/],
    },
    {
      name: 'a replyTo with a line break',
      call: (e) => e.campaigns.update({ id: f.draft, replyTo: 'x\r\nBcc: y@z.com' }),
      code: 'invalid_input',
      says: [/^replyTo:/],
    },
    {
      name: 'an attachment id Trickle never gave',
      call: (e) => e.campaigns.update({ id: f.draft, attachments: [p.gone] }),
      code: 'attachment_problem',
      says: [/not one Trickle keeps/],
    },
    {
      name: 'an attachment given as a path',
      call: (e) => e.campaigns.update({ id: f.draft, attachments: [join(setup.dataDir, 'secret.key')] }),
      code: 'invalid_input',
      says: [/^attachments\.0:/, /never by a path/],
    },
    {
      name: 'attachments over 25 MB',
      call: (e) => e.campaigns.update({ id: f.draft, attachments: [p.small, p.half1, p.half2] }),
      code: 'attachment_problem',
      says: [/26(\.0)? MB/, /25 MB/],
    },
    {
      name: 'removing the only body of a paused campaign',
      call: (e) => e.campaigns.update({ id: f.paused, html: null }),
      code: 'invalid_input',
      says: [/^html:/, /body/],
    },
  ]);
});

describe('campaigns.queue', () => {
  runCases([
    { name: 'no input', call: (e) => e.campaigns.queue(undefined), code: 'invalid_input' },
    { name: 'id as a string', call: (e) => e.campaigns.queue({ id: 'abc' }), code: 'invalid_input', says: [/^id:/] },
    { name: 'does not exist', call: (e) => e.campaigns.queue({ id: 999 }), code: 'not_found', says: [/Campaign 999/] },
    {
      name: 'queueing twice',
      call: (e) => e.campaigns.queue({ id: f.queued }),
      code: 'conflict',
      says: [/already queued/],
    },
    {
      name: 'queueing a paused campaign',
      call: (e) => e.campaigns.queue({ id: f.paused }),
      code: 'conflict',
      says: [/paused/, /resume/],
    },
    {
      name: 'queueing a completed campaign',
      call: (e) => e.campaigns.queue({ id: f.completed }),
      code: 'conflict',
      says: [/completed/],
    },
    {
      name: 'queueing a cancelled campaign',
      call: (e) => e.campaigns.queue({ id: f.cancelled }),
      code: 'conflict',
      says: [/cancelled/],
    },
    {
      name: '{{first_name}} empty for some rows: names the field and the rows',
      call: (e) => e.campaigns.queue({ id: f.mergeGap }),
      code: 'merge_missing_field',
      says: [/\{\{first_name\}\}/, /2 recipients/, /rows 3, 5\b/, /\{\{first_name\|there\}\}/],
    },
    {
      name: 'no body',
      call: (e) => e.campaigns.queue({ id: f.noBody }),
      code: 'invalid_input',
      says: [/no body/, /HTML or plain text/],
    },
    {
      name: 'the stop time has passed',
      call: (e) => e.campaigns.queue({ id: f.stopPassed }),
      code: 'invalid_input',
      says: [/stop time/, /Change or clear it/],
    },
    {
      name: 'every recipient skipped (invalid or suppressed)',
      call: (e) => e.campaigns.queue({ id: f.nobody }),
      code: 'conflict',
      says: [/nobody to send to/],
    },
    {
      name: 'no recipients at all',
      call: (e) => e.campaigns.queue({ id: f.empty }),
      code: 'conflict',
      says: [/nobody to send to|no recipients/i],
    },
    {
      name: 'an attachment removed since the campaign was made',
      call: (e) => e.campaigns.queue({ id: f.lostAttachment }),
      code: 'attachment_problem',
      says: [/minutes\.pdf/, /missing or damaged/, /add the file again/],
    },
  ]);
});

describe('attachments.store', () => {
  const content = Buffer.from('hi').toString('base64');
  runCases([
    { name: 'no input at all', call: (e) => e.attachments.store(undefined), code: 'invalid_input' },
    { name: 'no file name', call: (e) => e.attachments.store({ contentBase64: content }), code: 'invalid_input', says: [/^filename:/] },
    ...['', '.', '..', '../..', 'notes/..', '\u0000'].map(
      (filename): Case => ({
        name: `the file name ${JSON.stringify(filename)}`,
        call: (e) => e.attachments.store({ filename, contentBase64: content }),
        code: 'invalid_input',
        says: [/^filename:/, /such as agenda\.pdf/],
      }),
    ),
    {
      name: 'a path beside the content',
      call: (e) => e.attachments.store({ filename: 'x.txt', contentBase64: content, path: '/etc/passwd' }),
      code: 'invalid_input',
      says: [/Unknown argument: path/],
    },
    {
      name: 'a 26 MB file',
      call: (e) => e.attachments.store({ filename: 'video.mp4', contentBase64: p.big26 }),
      code: 'invalid_input',
      says: [/^contentBase64:/, /larger than 25 MB/],
    },
  ]);
});

describe('campaigns.pause, resume, cancel', () => {
  runCases([
    { name: 'pause: no id', call: (e) => e.campaigns.pause({}), code: 'invalid_input', says: [/^id:/] },
    { name: 'pause: does not exist', call: (e) => e.campaigns.pause({ id: 999 }), code: 'not_found' },
    {
      name: 'pause: a draft',
      call: (e) => e.campaigns.pause({ id: f.draft }),
      code: 'conflict',
      says: [/queued or sending/, /draft/],
    },
    { name: 'pause: already paused', call: (e) => e.campaigns.pause({ id: f.paused }), code: 'conflict', says: [/paused/] },
    { name: 'pause: completed', call: (e) => e.campaigns.pause({ id: f.completed }), code: 'conflict', says: [/completed/] },
    { name: 'resume: extra field', call: (e) => e.campaigns.resume({ id: f.paused, now: true }), code: 'invalid_input', says: [/now/] },
    { name: 'resume: does not exist', call: (e) => e.campaigns.resume({ id: 999 }), code: 'not_found' },
    { name: 'resume: a queued campaign', call: (e) => e.campaigns.resume({ id: f.queued }), code: 'conflict', says: [/paused/, /queued/] },
    { name: 'resume: a draft', call: (e) => e.campaigns.resume({ id: f.draft }), code: 'conflict', says: [/draft/] },
    { name: 'cancel: id 0', call: (e) => e.campaigns.cancel({ id: 0 }), code: 'invalid_input', says: [/^id:/] },
    { name: 'cancel: does not exist', call: (e) => e.campaigns.cancel({ id: 999 }), code: 'not_found' },
    { name: 'cancel: completed', call: (e) => e.campaigns.cancel({ id: f.completed }), code: 'conflict', says: [/already completed/] },
    {
      name: 'cancel: cancelled twice',
      call: (e) => e.campaigns.cancel({ id: f.cancelled }),
      code: 'conflict',
      says: [/already cancelled/],
    },
  ]);
});

describe('campaigns.retryFailed and resendInDoubt', () => {
  for (const method of ['retryFailed', 'resendInDoubt'] as const) {
    runCases([
      { name: `${method}: no id`, call: (e) => e.campaigns[method]({}), code: 'invalid_input', says: [/^id:/] },
      { name: `${method}: does not exist`, call: (e) => e.campaigns[method]({ id: 999 }), code: 'not_found', says: [/Campaign 999/] },
      {
        name: `${method}: messageIds not a list`,
        call: (e) => e.campaigns[method]({ id: f.completed, messageIds: 3 }),
        code: 'invalid_input',
        says: [/^messageIds:/],
      },
      {
        name: `${method}: a messageId of 0`,
        call: (e) => e.campaigns[method]({ id: f.completed, messageIds: [0] }),
        code: 'invalid_input',
        says: [/^messageIds\.0:/],
      },
      { name: `${method}: a draft`, call: (e) => e.campaigns[method]({ id: f.draft }), code: 'conflict', says: [/draft/] },
      {
        name: `${method}: a cancelled campaign`,
        call: (e) => e.campaigns[method]({ id: f.cancelled }),
        code: 'conflict',
        says: [/cancelled/],
      },
      {
        name: `${method}: an unknown extra field`,
        call: (e) => e.campaigns[method]({ id: f.completed, all: true }),
        code: 'invalid_input',
        says: [/all/],
      },
    ]);
  }
});

describe('campaigns.preview and testSend', () => {
  runCases([
    { name: 'preview: no id', call: (e) => e.campaigns.preview({}), code: 'invalid_input', says: [/^id:/] },
    { name: 'preview: does not exist', call: (e) => e.campaigns.preview({ id: 999 }), code: 'not_found', says: [/Campaign 999/] },
    {
      name: 'preview: a recipient that is not in the campaign',
      call: (e) => e.campaigns.preview({ id: f.queued, messageId: f.draftMessage }),
      code: 'not_found',
      says: [/Recipient \d+ is not in this campaign/],
    },
    {
      name: 'preview: a campaign without recipients',
      call: (e) => e.campaigns.preview({ id: f.empty }),
      code: 'not_found',
      says: [/no recipients/, /import/],
    },
    {
      name: 'preview: a recipient whose {{first_name}} is empty',
      call: (e) => e.campaigns.preview({ id: f.mergeGap, messageId: f.mergeGapRow3 }),
      code: 'merge_missing_field',
      says: [/Row 3/, /bob@gap\.example/, /\{\{first_name\}\}/],
    },
    {
      name: 'testSend: no address',
      call: (e) => e.campaigns.testSend({ id: f.draft }),
      code: 'invalid_input',
      says: [/^to:/],
    },
    ...['a@b', 'x\r\nBcc: y@z.com', 'Ann <ann@x.com>', '', 'me@example.com, you@example.com'].map(
      (to): Case => ({
        name: `testSend: to ${JSON.stringify(to)}`,
        call: (e) => e.campaigns.testSend({ id: f.draft, to }),
        code: 'invalid_input',
        says: [/^to:/],
      }),
    ),
    {
      name: 'testSend: does not exist',
      call: (e) => e.campaigns.testSend({ id: 999, to: 'me@example.org' }),
      code: 'not_found',
      says: [/Campaign 999/],
    },
    {
      name: 'testSend: a recipient from another campaign',
      call: (e) => e.campaigns.testSend({ id: f.queued, to: 'me@example.org', messageId: f.draftMessage }),
      code: 'not_found',
      says: [/not in this campaign/],
    },
    {
      name: 'testSend: an account that does not exist',
      call: (e) => e.campaigns.testSend({ id: f.draft, to: 'me@example.org', accountId: 999 }),
      code: 'no_account',
      says: [/account/i],
    },
    {
      name: 'testSend: a recipient whose {{first_name}} is empty',
      call: (e) => e.campaigns.testSend({ id: f.mergeGap, to: 'me@example.org', messageId: f.mergeGapRow3 }),
      code: 'merge_missing_field',
      says: [/\{\{first_name\}\}/],
    },
    {
      name: 'testSend: an unknown extra field',
      call: (e) => e.campaigns.testSend({ id: f.draft, to: 'me@example.org', cc: 'x@example.org' }),
      code: 'invalid_input',
      says: [/cc/],
    },
  ]);

  it('none of the refused test sends reached the server', () => {
    expect(setup.gmail.accepted.filter((m) => m.envelope.to.some((t) => !t.endsWith('@done.example')))).toEqual([]);
  });
});

describe('settings.update', () => {
  runCases([
    { name: 'no input', call: (e) => e.settings.update(undefined), code: 'invalid_input' },
    { name: 'a string', call: (e) => e.settings.update('fast'), code: 'invalid_input' },
    { name: 'batchSize 0', call: (e) => e.settings.update({ batchSize: 0 }), code: 'invalid_input', says: [/^batchSize:/] },
    { name: 'batchSize 101', call: (e) => e.settings.update({ batchSize: 101 }), code: 'invalid_input', says: [/^batchSize:/] },
    { name: 'batchSize "10"', call: (e) => e.settings.update({ batchSize: '10' }), code: 'invalid_input', says: [/^batchSize:/] },
    {
      name: 'batchIntervalSeconds 0',
      call: (e) => e.settings.update({ batchIntervalSeconds: 0 }),
      code: 'invalid_input',
      says: [/^batchIntervalSeconds:/],
    },
    {
      name: 'batchIntervalSeconds 1.5',
      call: (e) => e.settings.update({ batchIntervalSeconds: 1.5 }),
      code: 'invalid_input',
      says: [/^batchIntervalSeconds:/],
    },
    {
      name: 'messageDelayMs -1',
      call: (e) => e.settings.update({ messageDelayMs: -1 }),
      code: 'invalid_input',
      says: [/^messageDelayMs:/],
    },
    {
      name: 'retryIntervalSeconds 0',
      call: (e) => e.settings.update({ retryIntervalSeconds: 0 }),
      code: 'invalid_input',
      says: [/^retryIntervalSeconds:/],
    },
    { name: 'maxRetries 0', call: (e) => e.settings.update({ maxRetries: 0 }), code: 'invalid_input', says: [/^maxRetries:/] },
    { name: 'dryRun "yes"', call: (e) => e.settings.update({ dryRun: 'yes' }), code: 'invalid_input', says: [/^dryRun:/] },
    { name: 'an unknown setting', call: (e) => e.settings.update({ turbo: true }), code: 'invalid_input', says: [/turbo/] },
    {
      name: 'the internal paused flag',
      call: (e) => e.settings.update({ sendingPaused: true }),
      code: 'invalid_input',
      says: [/sendingPaused/],
    },
    {
      name: 'one good and one bad value: neither is saved',
      call: (e) => e.settings.update({ batchSize: 3, batchIntervalSeconds: 0 }),
      code: 'invalid_input',
      says: [/^batchIntervalSeconds:/],
    },
  ]);

  it('the settings the engine uses are unchanged after the refusals', async () => {
    expect(await setup.engine.settings.get()).toMatchObject({ batchSize: 5, batchIntervalSeconds: 30, maxRetries: 4 });
    expect(await setup.engine.settings.get()).not.toHaveProperty('dryRun');
  });
});

describe('suppressions and batches', () => {
  runCases([
    { name: 'add: no input', call: (e) => e.suppressions.add(undefined), code: 'invalid_input' },
    { name: 'add: no email', call: (e) => e.suppressions.add({ reason: 'manual' }), code: 'invalid_input', says: [/^email:/] },
    {
      name: 'add: a blank email',
      call: (e) => e.suppressions.add({ email: '   ' }),
      code: 'invalid_input',
      says: [/^email:/, /Enter the address/],
    },
    { name: 'add: email as a number', call: (e) => e.suppressions.add({ email: 5 }), code: 'invalid_input', says: [/^email:/] },
    {
      name: 'add: an unknown reason',
      call: (e) => e.suppressions.add({ email: 'x@example.com', reason: 'spam' }),
      code: 'invalid_input',
      says: [/^reason:/],
    },
    {
      name: 'add: a 501-character detail',
      call: (e) => e.suppressions.add({ email: 'x@example.com', detail: 'd'.repeat(501) }),
      code: 'invalid_input',
      says: [/^detail:/],
    },
    {
      name: 'add: an unknown extra field',
      call: (e) => e.suppressions.add({ email: 'x@example.com', until: '2027-01-01' }),
      code: 'invalid_input',
      says: [/until/],
    },
    { name: 'remove: no email', call: (e) => e.suppressions.remove({}), code: 'invalid_input', says: [/^email:/] },
    { name: 'remove: email as a list', call: (e) => e.suppressions.remove({ email: ['a@example.com'] }), code: 'invalid_input' },
    {
      name: 'remove: an unknown extra field',
      call: (e) => e.suppressions.remove({ email: 'blocked@example.com', all: true }),
      code: 'invalid_input',
      says: [/all/],
    },
    { name: 'list: a string', call: (e) => e.suppressions.list('all'), code: 'invalid_input' },
    { name: 'list: limit 0', call: (e) => e.suppressions.list({ limit: 0 }), code: 'invalid_input', says: [/^limit:/] },
    { name: 'list: limit 1001', call: (e) => e.suppressions.list({ limit: 1001 }), code: 'invalid_input', says: [/^limit:/] },
    { name: 'list: offset -1', call: (e) => e.suppressions.list({ offset: -1 }), code: 'invalid_input', says: [/^offset:/] },
    { name: 'list: search as a number', call: (e) => e.suppressions.list({ search: 5 }), code: 'invalid_input', says: [/^search:/] },
    { name: 'list: an unknown field', call: (e) => e.suppressions.list({ reason: 'bounced' }), code: 'invalid_input', says: [/reason/] },
    { name: 'batches.list: limit 0', call: (e) => e.batches.list({ limit: 0 }), code: 'invalid_input', says: [/^limit:/] },
    { name: 'batches.list: limit 501', call: (e) => e.batches.list({ limit: 501 }), code: 'invalid_input', says: [/^limit:/] },
    { name: 'batches.list: limit "5"', call: (e) => e.batches.list({ limit: '5' }), code: 'invalid_input', says: [/^limit:/] },
    { name: 'batches.list: a number', call: (e) => e.batches.list(5), code: 'invalid_input' },
    { name: 'batches.list: an unknown field', call: (e) => e.batches.list({ since: 1 }), code: 'invalid_input', says: [/since/] },
  ]);

  it('the suppression added in the fixture is still the only one', async () => {
    const list = await setup.engine.suppressions.list();
    expect(list.items.map((s) => s.email)).toEqual(['blocked@example.com']);
  });
});

describe('the snapshot itself', () => {
  it('notices a change, so the "changes nothing" checks above can fail', async () => {
    const before = snapshot();
    await setup.engine.suppressions.add({ email: 'guard@example.com' });
    expect(snapshot()).not.toEqual(before);
    await setup.engine.suppressions.remove({ email: 'guard@example.com' });
    expect(snapshot()).toEqual(before);
  });
});
