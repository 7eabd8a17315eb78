import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dovecot, startDovecot } from './dovecot';

/** The test IMAP server is Gmail-shaped: a password per user, Sent Mail found by its flag. */

let dovecot: Dovecot;
beforeAll(async () => {
  dovecot = await startDovecot();
}, 600_000);
afterAll(() => dovecot?.close());

async function login(user: string, pass: string): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: dovecot.host,
    port: dovecot.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass },
    logger: false,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

describe('the test IMAP server (Dovecot)', () => {
  it('logs a user in with their password and refuses a wrong one', async () => {
    await dovecot.addUser('ann@gmail.test', 'annpassword12345');
    const client = await login('ann@gmail.test', 'annpassword12345');
    await client.logout();
    await expect(login('ann@gmail.test', 'wrong')).rejects.toThrow();
    await dovecot.setPassword('ann@gmail.test', 'newpassword');
    await expect(login('ann@gmail.test', 'annpassword12345')).rejects.toThrow();
    (await login('ann@gmail.test', 'newpassword')).close();
  });

  it('has Sent Mail under a localised name, marked \\Sent, beside a decoy "Sent" without the flag', async () => {
    await dovecot.addUser('bert@gmail.test', 'bertpassword1234', { language: 'de' });
    const client = await login('bert@gmail.test', 'bertpassword1234');
    const list = await client.list();
    client.close();
    const flagged = list.filter((m) => m.flags.has('\\Sent')).map((m) => m.path);
    expect(flagged).toEqual(['[Gmail]/Gesendet']);
    expect(list.map((m) => m.path)).toContain('Sent');
    expect(dovecot.sentMailbox('bert@gmail.test')).toBe('[Gmail]/Gesendet');
  });
});
