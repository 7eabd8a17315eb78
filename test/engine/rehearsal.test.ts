/**
 * Rehearsal is a campaign's own (issue #13): its messages are rendered and written to its log,
 * end `rehearsed`, never `sent`, take no capacity and no turn in the rotation, and no real
 * campaign is touched by it — not even one waiting for capacity next to it, which the old
 * app-wide dry run turned into "sent" without sending.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, drain, recipientsCsv } from '../support/test-engine';

const [ALICE, BOB] = TEST_ACCOUNTS as [(typeof TEST_ACCOUNTS)[0], (typeof TEST_ACCOUNTS)[0]];

let setup: TestSetup;
afterEach(async () => {
  await setup?.close();
});

function rotationStamps(file: string): { id: number; last_picked_at: number }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('select id, last_picked_at from accounts order by id').all() as { id: number; last_picked_at: number }[];
  } finally {
    db.close();
  }
}

async function create(name: string, count: number, rehearsal: boolean, domain = 'example.com') {
  const { campaign } = await setup.engine.campaigns.create({
    name,
    subject: 'Hello {{first_name}}',
    html: '<p>Dear {{first_name}}</p>',
    csv: recipientsCsv(count, domain),
    ...(rehearsal ? { rehearsal: true } : {}),
  });
  return campaign.id;
}

describe('a rehearsal', () => {
  it('writes every message to its own log, sends nothing, and ends "rehearsed", not "sent"', async () => {
    setup = await createTestEngine({ accounts: [ALICE] });
    const { engine, gmail } = setup;
    const connections = gmail.connections;
    const id = await create('Rehearsal', 3, true);
    await engine.campaigns.queue({ id });
    await drain(engine);

    expect(gmail.accepted).toHaveLength(0);
    expect(gmail.connections).toBe(connections);
    const campaign = await engine.campaigns.get({ id });
    expect(campaign).toMatchObject({ status: 'completed', rehearsal: true });
    expect(campaign.counts).toMatchObject({ rehearsed: 3, sent: 0 });
    const { items } = await engine.campaigns.messages({ id });
    expect(items.map((m) => m.status)).toEqual(['rehearsed', 'rehearsed', 'rehearsed']);
    expect((await engine.accounts.list())[0]).toMatchObject({ sentLast24h: 0, remaining: 100 });
    expect((await engine.sending.status()).sentLast24h).toBe(0);
    expect((await engine.history.sendsPerHour()).reduce((sum, h) => sum + h.sent, 0)).toBe(0);

    expect(campaign.rehearsalLog).toBeDefined();
    expect(existsSync(campaign.rehearsalLog!)).toBe(true);
    // The log holds the recipients' messages: readable by the user only.
    if (process.platform !== 'win32') expect(statSync(campaign.rehearsalLog!).mode & 0o777).toBe(0o600);
    const log = readFileSync(campaign.rehearsalLog!, 'utf8');
    for (const [i, m] of items.entries()) {
      expect(log).toContain(`Subject: Hello Reader${i + 1}`);
      expect(log).toContain(`To: r${i + 1}@example.com`);
      expect(log).toContain(`Message-ID: ${m.messageId}`);
    }
    expect(log).toContain('Dear Reader2');
    expect(log).toMatch(/List-Unsubscribe:\s+<mailto:alice\+unsub-[^@>]+@gmail\.test\?subject=unsubscribe>/);

    // Its export says so: in the file's name and on every row.
    const exported = await engine.campaigns.export({ id });
    expect(exported.filename).toBe('Rehearsal rehearsal results.csv');
    const rows = parse(exported.csv, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.status)).toEqual(['rehearsed', 'rehearsed', 'rehearsed']);
    expect(rows.every((r) => r.sent_at_utc === '')).toBe(true);
  });

  it('leaves a real campaign of 6 alone: the smallest form of the issue (paused, queue both, resume)', async () => {
    setup = await createTestEngine({ accounts: [ALICE] });
    const { engine, gmail } = setup;
    await engine.sending.pause();
    const real = await create('Real', 6, false, 'real.example');
    await engine.campaigns.queue({ id: real });
    const rehearsal = await create('Rehearsal', 15, true, 'rehearsal.example');
    await engine.campaigns.queue({ id: rehearsal });
    await engine.sending.resume();
    await drain(engine);

    expect(gmail.accepted.map((m) => m.envelope.to[0]).sort()).toEqual(
      Array.from({ length: 6 }, (_, i) => `r${i + 1}@real.example`).sort(),
    );
    expect((await engine.campaigns.get({ id: real })).counts).toMatchObject({ sent: 6, rehearsed: 0 });
    expect((await engine.campaigns.get({ id: rehearsal })).counts).toMatchObject({ sent: 0, rehearsed: 15 });
    expect((await engine.sending.status()).sentLast24h).toBe(6);
  });

  it('goes on next to a real campaign waiting at the cap, and leaves its counts, export, cap and rotation unchanged', async () => {
    setup = await createTestEngine({
      accounts: [
        { ...ALICE, dailyCap: 6 },
        { ...BOB, dailyCap: 4 },
      ],
    });
    const { engine, gmail } = setup;
    const real = await create('Real', 16, false, 'real.example');
    await engine.campaigns.queue({ id: real });
    await drain(engine);
    // 10 of 16 went out; the other 6 wait for the caps.
    const before = {
      campaign: await engine.campaigns.get({ id: real }),
      export: (await engine.campaigns.export({ id: real })).csv,
      accounts: await engine.accounts.list(),
      status: await engine.sending.status(),
      rotation: rotationStamps(setup.databaseFile),
      accepted: gmail.accepted.length,
    };
    expect(before.campaign.counts).toMatchObject({ sent: 10, queued: 6 });
    expect(before.status.capacityLeft).toBe(0);
    expect(before.status.waitingReason).toMatch(/daily cap/);

    const rehearsal = await create('Rehearsal', 15, true, 'rehearsal.example');
    await engine.campaigns.queue({ id: rehearsal });
    await drain(engine);

    expect((await engine.campaigns.get({ id: rehearsal })).counts).toMatchObject({ rehearsed: 15, sent: 0, queued: 0 });
    expect((await engine.campaigns.get({ id: rehearsal })).status).toBe('completed');
    const after = await engine.campaigns.get({ id: real });
    expect(after.counts).toEqual(before.campaign.counts);
    expect(after.status).toBe(before.campaign.status);
    expect((await engine.campaigns.export({ id: real })).csv).toBe(before.export);
    expect(await engine.accounts.list()).toEqual(before.accounts);
    expect((await engine.sending.status()).sentLast24h).toBe(before.status.sentLast24h);
    expect((await engine.sending.status()).capacityLeft).toBe(0);
    expect(rotationStamps(setup.databaseFile)).toEqual(before.rotation);
    expect(gmail.accepted).toHaveLength(before.accepted);

    // A day later the real campaign's last 6 really go out.
    setup.clock.advance(24 * 3_600_000 + 1000);
    await drain(engine);
    expect((await engine.campaigns.get({ id: real })).counts).toMatchObject({ sent: 16, queued: 0 });
    expect(gmail.accepted).toHaveLength(16);
  });

  it('is written with each enabled account in turn, and goes even with no account at all', async () => {
    setup = await createTestEngine({});
    const { engine } = setup;
    const id = await create('Before any account', 2, true);
    await engine.campaigns.queue({ id });
    await drain(engine);
    expect((await engine.campaigns.get({ id })).counts.rehearsed).toBe(2);
    const log = readFileSync((await engine.campaigns.get({ id })).rehearsalLog!, 'utf8');
    expect(log).toContain('From: you@gmail.com');
  });

  it('can be copied into a real draft with the same content and recipients, which then really sends', async () => {
    setup = await createTestEngine({ accounts: [ALICE] });
    const { engine, gmail } = setup;
    await engine.suppressions.add({ email: 'r2@example.com' });
    const { campaign } = await engine.campaigns.create({
      name: 'Newsletter',
      subject: 'Hello {{first_name}}',
      html: '<p>Dear {{first_name}}</p>',
      csv: 'email,first_name\nr1@example.com,Ann\nr2@example.com,Ben\nnot-an-address,X\nr1@example.com,Dup\nr3@example.com,Cat',
      rehearsal: true,
    });
    await engine.campaigns.queue({ id: campaign.id });
    await drain(engine);
    // Ben unsubscribes from the list... and is allowed again before the real send.
    await engine.suppressions.remove({ email: 'r2@example.com' });
    await engine.suppressions.add({ email: 'r3@example.com' });

    const copy = await engine.campaigns.copy({ id: campaign.id, rehearsal: false });
    expect(copy.campaign).toMatchObject({ name: 'Newsletter (copy)', status: 'draft', rehearsal: false, subject: 'Hello {{first_name}}' });
    expect(copy.campaign.rehearsalLog).toBeUndefined();
    expect(copy.report).toEqual({
      imported: 2,
      duplicates: 1,
      invalid: [{ row: 4, value: 'not-an-address', reason: expect.stringMatching(/@/) }],
      suppressed: 1,
    });
    await engine.campaigns.queue({ id: copy.campaign.id });
    await drain(engine);
    expect(gmail.accepted.map((m) => m.envelope.to[0]).sort()).toEqual(['r1@example.com', 'r2@example.com']);
    expect((await engine.campaigns.get({ id: copy.campaign.id })).counts).toMatchObject({ sent: 2, skipped: 3 });
    // The rehearsal itself is as it was.
    expect((await engine.campaigns.get({ id: campaign.id })).counts).toMatchObject({ rehearsed: 2, sent: 0 });
  });

  it('is decided on the draft: a queued campaign cannot turn into a rehearsal, nor the reverse', async () => {
    setup = await createTestEngine({ accounts: [ALICE] });
    const { engine } = setup;
    await engine.sending.pause();
    const id = await create('Real', 2, false);
    expect((await engine.campaigns.update({ id, rehearsal: true })).rehearsal).toBe(true);
    expect((await engine.campaigns.update({ id, rehearsal: false })).rehearsal).toBe(false);
    await engine.campaigns.queue({ id });
    await engine.campaigns.pause({ id });
    await expect(engine.campaigns.update({ id, rehearsal: true })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^rehearsal: Only a draft/),
    });
    expect((await engine.campaigns.get({ id })).rehearsal).toBe(false);
  });

  it('replaces the app-wide switch: settings.update({ dryRun }) is refused in words, and changes nothing', async () => {
    setup = await createTestEngine({ accounts: [ALICE] });
    const { engine } = setup;
    await expect(engine.settings.update({ dryRun: true, batchSize: 3 })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^dryRun: There is no app-wide dry run any more: rehearse a campaign instead/),
    });
    expect(await engine.settings.get()).not.toHaveProperty('dryRun');
    expect((await engine.settings.get()).batchSize).toBe(10);
  });
});
