import { afterEach, describe, expect, it } from 'vitest';
import { createTestEngine, drain, type TestSetup, TEST_ACCOUNTS } from '../support/test-engine';

/**
 * Attack finding #11.10: a merge value of NULs only passed the queue's check for empty fields
 * (SQLite's trim() cannot take a NUL off), so its message failed at send time instead.
 */

let setup: TestSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

describe("the queue's check for empty merge fields", () => {
  it('counts a value of NULs (alone or with invisible characters) as empty, and nothing that shows', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1) });
    const { engine, gmail } = setup;
    const recipients = [
      { email: 'ann@example.com', fields: { first_name: 'Ann' } },
      { email: 'nul@example.com', fields: { first_name: '\0' } },
      { email: 'nuls@example.com', fields: { first_name: '\0\0 \0' } },
      { email: 'zwsp@example.com', fields: { first_name: '\u200b\0\u00a0' } },
      { email: 'typed@example.com', fields: { first_name: '\\u0000' } }, // the six characters, as typed
      { email: 'mixed@example.com', fields: { first_name: 'B\0b' } },
    ];
    const { campaign } = await engine.campaigns.create({ name: 'c', subject: 'Hi {{first_name}}', text: 'Hello', recipients });
    await expect(engine.campaigns.queue({ id: campaign.id })).rejects.toMatchObject({
      code: 'merge_missing_field',
      message: '{{first_name}} is empty for 3 recipients (rows 2, 3, 4). Fill them in, or give a default such as {{first_name|there}}.',
    });
    expect((await engine.campaigns.get({ id: campaign.id })).status).toBe('draft');

    // With a default, they are all queued, and those three get it.
    await engine.campaigns.update({ id: campaign.id, subject: 'Hi {{first_name|there}}' });
    expect((await engine.campaigns.queue({ id: campaign.id })).queued).toBe(6);
    await drain(engine);
    const subjects = new Map(gmail.accepted.map((m) => [m.envelope.to[0], m.headers.get('subject')]));
    for (const email of ['nul@example.com', 'nuls@example.com', 'zwsp@example.com']) expect(subjects.get(email)).toBe('Hi there');
    expect(subjects.get('typed@example.com')).toBe('Hi \\u0000');
    expect(subjects.get('ann@example.com')).toBe('Hi Ann');
  });
});
