import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGmail, type TestGmail } from '../support/test-gmail';
import { createTestEngine, drain, recipientsCsv, type TestSetup, TEST_ACCOUNTS } from '../support/test-engine';

/**
 * Attack finding #11.10: the host "[::1]" passed validation and then failed as "could not be
 * looked up". An IPv6 address in brackets now works end to end; a malformed one is refused.
 */

let setup: TestSetup | undefined;
let gmail: TestGmail | undefined;
afterEach(async () => {
  await setup?.close();
  await gmail?.close();
  setup = gmail = undefined;
});

const alice = TEST_ACCOUNTS[0]!;

/** Some containers have no IPv6 loopback: nothing to connect to there. */
const ipv6Loopback = await new Promise<boolean>((resolve) => {
  const server = createServer();
  server.once('error', () => resolve(false));
  server.listen(0, '::1', () => server.close(() => resolve(true)));
});

describe.skipIf(!ipv6Loopback)('an SMTP host written as an IPv6 address', () => {
  it('[::1] (this computer, unencrypted as loopback allows): the login is verified, and a campaign goes out', async () => {
    gmail = await startTestGmail({ ipv6: true, accounts: [alice] });
    setup = await createTestEngine({ gmail });
    const { engine } = setup;
    const account = await engine.accounts.add({
      email: alice.email,
      appPassword: alice.appPassword,
      host: '[::1]',
      port: gmail.port,
      security: 'none',
    });
    expect(account).toMatchObject({ host: '[::1]', state: 'ok' });
    expect(gmail.logins).toEqual([expect.objectContaining({ ok: true })]);

    const { campaign } = await engine.campaigns.create({ name: 'c', subject: 'Hi', text: 'Hello', csv: recipientsCsv(3) });
    await engine.campaigns.queue({ id: campaign.id });
    await drain(engine);
    expect(gmail.accepted.map((m) => m.envelope.to[0]).sort()).toEqual(['r1@example.com', 'r2@example.com', 'r3@example.com']);
    expect((await engine.campaigns.get({ id: campaign.id })).counts.sent).toBe(3);
  });

  it('is stored in its short form, and refused in words when it is not an address or lacks brackets', async () => {
    gmail = await startTestGmail({ ipv6: true, accounts: [alice] });
    setup = await createTestEngine({ gmail });
    const { engine } = setup;
    const added = await engine.accounts.add({
      email: alice.email,
      appPassword: alice.appPassword,
      host: '[0:0:0:0:0:0:0:1]',
      port: gmail.port,
      security: 'none',
    });
    expect(added.host).toBe('[::1]');

    const add = (host: string) =>
      engine.accounts.add({ email: 'bob@gmail.test', appPassword: 'x', host, port: 25, security: 'tls', verify: false });
    await expect(add('::1')).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'host: Write an IPv6 address in brackets, like [::1].',
    });
    await expect(add('[::g1]')).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'host: [::g1] is not an IPv6 address: write one such as [::1], or a server name such as smtp.gmail.com.',
    });
    await expect(add('[1:2:3]')).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/is not an IPv6 address/) });
    // Only loopback may go unencrypted.
    await expect(add('[2001:db8::1]').then(() => undefined)).resolves.toBeUndefined();
    await expect(
      engine.accounts.add({
        email: 'carol@gmail.test',
        appPassword: 'x',
        host: '[2001:db8::2]',
        port: 25,
        security: 'none',
        verify: false,
      }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^security: Unencrypted connections are only allowed to this computer/),
    });
  });
});
