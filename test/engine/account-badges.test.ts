/**
 * What an account's badge rests on (issue #13): a stored fact that a login succeeded — an
 * account saved without a check is "Not checked" (no `verifiedAt`), not "Ready", until Verify
 * or a send proves its login — and, at its cap, when the next slot frees.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_ACCOUNTS, type TestSetup, createTestEngine, drain, recipientsCsv } from '../support/test-engine';

const [ALICE, BOB] = TEST_ACCOUNTS as [(typeof TEST_ACCOUNTS)[0], (typeof TEST_ACCOUNTS)[0]];
let setup: TestSetup;
afterEach(async () => {
  await setup?.close();
});

describe('an account’s checked login', () => {
  it('added with the check: checked at once', async () => {
    setup = await createTestEngine({ accounts: [ALICE] });
    const [a] = await setup.engine.accounts.list();
    expect(a!.verifiedAt).toBe(new Date(setup.clock.now()).toISOString());
  });

  it('saved unchecked with a wrong password: not checked — and Verify finds it out', async () => {
    setup = await createTestEngine({});
    const { engine, gmail } = setup;
    gmail.addAccount(ALICE);
    const a = await engine.accounts.add({
      email: ALICE.email,
      appPassword: 'wrongwrongwrongw',
      host: gmail.host,
      port: gmail.port,
      security: 'none',
      verify: false,
    });
    expect(a.state).toBe('ok');
    expect(a.verifiedAt).toBeUndefined();
    const checked = await engine.accounts.verify({ id: a.id });
    expect(checked.state).toBe('auth_failed');
    expect(checked.verifiedAt).toBeUndefined();
  });

  it('saved unchecked with the right password: checked by its first accepted send, or by Verify', async () => {
    setup = await createTestEngine({});
    const { engine, gmail } = setup;
    gmail.addAccount(ALICE);
    gmail.addAccount(BOB);
    const add = (acc: typeof ALICE) =>
      engine.accounts.add({
        email: acc.email,
        appPassword: acc.appPassword,
        host: gmail.host,
        port: gmail.port,
        security: 'none',
        verify: false,
      });
    const alice = await add(ALICE);
    const bob = await add(BOB);
    setup.clock.advance(5000);
    expect((await engine.accounts.verify({ id: bob.id })).verifiedAt).toBe(new Date(setup.clock.now()).toISOString());
    await engine.accounts.update({ id: bob.id, dailyCap: 1 });
    const { campaign } = await engine.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(2) });
    await engine.campaigns.queue({ id: campaign.id });
    await drain(engine);
    const after = await engine.accounts.list();
    expect(after.find((a) => a.id === alice.id)!.verifiedAt).toBeDefined();
  });

  it('a new password saved unchecked is not checked any more', async () => {
    setup = await createTestEngine({ accounts: [ALICE] });
    const { engine } = setup;
    const [a] = await engine.accounts.list();
    const updated = await engine.accounts.update({ id: a!.id, appPassword: 'zzzzyyyyxxxxwwww', verify: false });
    expect(updated.verifiedAt).toBeUndefined();
    // A change that is not about the login keeps what is known.
    const other = await engine.accounts.update({ id: a!.id, fromName: 'Alice' });
    expect(other.verifiedAt).toBe(updated.verifiedAt);
  });

  it('at its cap: nothing remaining, and when the next slot frees; in-flight sends counted apart', async () => {
    setup = await createTestEngine({ accounts: [{ ...ALICE, dailyCap: 2 }] });
    const { engine } = setup;
    const { campaign } = await engine.campaigns.create({ name: 'c', subject: 's', text: 't', csv: recipientsCsv(3) });
    await engine.campaigns.queue({ id: campaign.id });
    await drain(engine);
    const [a] = await engine.accounts.list();
    const first = Math.min(
      ...(await engine.campaigns.messages({ id: campaign.id, status: 'sent' })).items.map((m) => Date.parse(m.sentAt!)),
    );
    expect(a).toMatchObject({
      state: 'ok',
      sentLast24h: 2,
      inFlight: 0,
      remaining: 0,
      nextSlotAt: new Date(first + 24 * 3_600_000).toISOString(),
    });
  });
});
