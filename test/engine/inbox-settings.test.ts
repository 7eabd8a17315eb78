import { afterEach, describe, expect, it } from 'vitest';
import { type TestSetup, createTestEngine } from '../support/test-engine';

/** Where each account's mailbox is, whether it is watched, and the mailbox settings (PRODUCT.md §5b, §6). */

let setup: TestSetup;
afterEach(async () => setup?.close());

const GMAIL = { email: 'dana@gmail.com', appPassword: 'abcd efgh ijkl mnop', verify: false };

describe('an account’s mailbox', () => {
  it('a Gmail account reads imap.gmail.com:993 with TLS, watched, not looked at yet', async () => {
    setup = await createTestEngine();
    const account = await setup.engine.accounts.add(GMAIL);
    expect(account).toMatchObject({
      imapHost: 'imap.gmail.com',
      imapPort: 993,
      imapSecurity: 'tls',
      watchInbox: true,
      sentOutsideLast24h: 0,
      inbox: { state: 'ok', detail: 'Not looked at yet.' },
    });
    expect(account.inbox.lastCheckAt).toBeUndefined();
  });

  it('another host has no mailbox until one is given; watching can be turned off and on', async () => {
    setup = await createTestEngine();
    const other = await setup.engine.accounts.add({
      email: 'me@club.example',
      appPassword: 'secret',
      host: 'mail.club.example',
      verify: false,
    });
    expect(other.imapHost).toBeUndefined();
    expect(other.inbox).toMatchObject({ state: 'off', detail: expect.stringMatching(/No IMAP server is set/) });
    await expect(setup.engine.accounts.checkInbox({ id: other.id })).rejects.toMatchObject({ code: 'conflict', message: /no IMAP server/ });
    const given = await setup.engine.accounts.update({ id: other.id, imapHost: 'imap.club.example', verify: false });
    expect(given).toMatchObject({ imapHost: 'imap.club.example', imapPort: 993, imapSecurity: 'tls', inbox: { state: 'ok' } });
    const off = await setup.engine.accounts.update({ id: other.id, watchInbox: false });
    expect(off.inbox).toMatchObject({ state: 'off', detail: expect.stringMatching(/turned off/) });
    expect((await setup.engine.accounts.update({ id: other.id, watchInbox: true })).inbox.state).toBe('ok');
  });

  it('refuses an unencrypted mailbox across a network, and a port or security with no server; nothing is saved', async () => {
    setup = await createTestEngine();
    await expect(setup.engine.accounts.add({ ...GMAIL, imapHost: 'imap.example.com', imapSecurity: 'none' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: /^imapSecurity: Unencrypted connections are only allowed to this computer/,
    });
    await expect(
      setup.engine.accounts.add({
        email: 'me@club.example',
        appPassword: 'secret',
        host: 'mail.club.example',
        imapPort: 143,
        verify: false,
      }),
    ).rejects.toMatchObject({ code: 'invalid_input', message: /^imapHost: Give the IMAP server/ });
    await expect(setup.engine.accounts.add({ ...GMAIL, imapSecurity: 'starttls' })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await setup.engine.accounts.list()).toEqual([]);
    // A loopback server may go without TLS (a test server on this computer).
    expect(await setup.engine.accounts.add({ ...GMAIL, imapHost: '127.0.0.1', imapPort: 1143, imapSecurity: 'none' })).toMatchObject({
      imapSecurity: 'none',
      imapPort: 1143,
    });
  });
});

describe('the mailbox settings', () => {
  it('look every 5 minutes and settle in-doubt messages from Sent Mail after 15 minutes, by default', async () => {
    setup = await createTestEngine();
    expect(await setup.engine.settings.get()).toMatchObject({
      inboxCheckSeconds: 300,
      settleInDoubtFromSentMail: true,
      settleInDoubtAfterMinutes: 15,
    });
    expect(
      await setup.engine.settings.update({ inboxCheckSeconds: 60, settleInDoubtAfterMinutes: 30, settleInDoubtFromSentMail: false }),
    ).toMatchObject({
      inboxCheckSeconds: 60,
      settleInDoubtAfterMinutes: 30,
      settleInDoubtFromSentMail: false,
    });
    await expect(setup.engine.settings.update({ inboxCheckSeconds: 1 })).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'inboxCheckSeconds: This must be at least 10.',
    });
    // Less than 5 minutes would re-send messages Gmail may still be filing.
    await expect(setup.engine.settings.update({ settleInDoubtAfterMinutes: 1 })).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
