import { afterEach, describe, expect, it } from 'vitest';
import { createTestEngine, drain, recipientsCsv, type TestSetup, TEST_ACCOUNTS } from '../support/test-engine';

/**
 * Attack finding #11.10: a 54 MB message (a 50 MB merge value) was handed to the server with no
 * size check. (A 50 MB merge value is now refused at import: import-limits.test.ts.) Gmail takes
 * 25 MB per message, body, merge fields and attachments together: over that, a campaign is not
 * queued, and a message is never handed over.
 */

let setup: TestSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

const KB = 1024;
const MB = 1024 * 1024;

/** A file of `bytes` given to Trickle's attachments store; its id, to attach. */
async function attachment(engine: TestSetup['engine'], bytes: number): Promise<number> {
  const stored = await engine.attachments.store({ filename: 'report.pdf', contentBase64: Buffer.alloc(bytes).toString('base64') });
  return stored.id;
}

describe('the size of a message', () => {
  it('a body and attachments over 25 MB together: the campaign is not queued, and the sentence says why', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1) });
    const { engine } = setup;
    const file = await attachment(engine, 21 * MB);
    const { campaign } = await engine.campaigns.create({
      name: 'c',
      subject: 'Report',
      text: 'x'.repeat(4_500_000),
      csv: recipientsCsv(3),
      attachments: [file],
    });
    await expect(engine.campaigns.queue({ id: campaign.id })).rejects.toMatchObject({
      code: 'message_too_big',
      message:
        'The message would be 25.3 MB; Gmail accepts 25 MB per message, body, merge fields and attachments together. Shorten the body or the longest merge values, or share the attachments by link, then try again.',
    });
    expect((await engine.campaigns.get({ id: campaign.id })).counts).toMatchObject({ pending: 3, queued: 0 });
  });

  it("a merge value that tips one recipient's message over: refused, naming that recipient", async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1) });
    const { engine } = setup;
    const file = await attachment(engine, 25 * MB - 40 * KB);
    const csv = ['email,note', 'ann@example.com,short', `bob@example.com,${'n'.repeat(60 * KB)}`, 'cy@example.com,also short'].join('\n');
    const { campaign } = await engine.campaigns.create({ name: 'c', subject: 'Hi', text: 'Note: {{note}}', csv, attachments: [file] });
    await expect(engine.campaigns.queue({ id: campaign.id })).rejects.toMatchObject({
      code: 'message_too_big',
      message: expect.stringMatching(/^The message for row 3 \(bob@example\.com\) would be 25\.0 MB; Gmail accepts 25 MB per message/),
      details: { row: 3 },
    });
  });

  it('a message that grew over 25 MB after queueing is failed with the reason, never handed to the server', async () => {
    setup = await createTestEngine({ accounts: TEST_ACCOUNTS.slice(0, 1) });
    const { engine, gmail } = setup;
    const file = await attachment(engine, 24 * MB);
    const { campaign } = await engine.campaigns.create({
      name: 'c',
      subject: 'Hi',
      text: 'x'.repeat(900 * KB),
      csv: recipientsCsv(2),
      attachments: [file],
    });
    await engine.campaigns.queue({ id: campaign.id });
    // The body grows after queueing, past what queueing measured (attachments cannot: a stored
    // file that changes pauses the campaign): the send path's own measure must catch it.
    engine.internals.sqlite.prepare('update campaigns set text = ? where id = ?').run('x'.repeat(1_900 * KB), campaign.id);

    const connectionsBefore = gmail.connections;
    await drain(engine);
    expect(gmail.accepted).toHaveLength(0);
    expect(gmail.connections).toBe(connectionsBefore); // not even a connection
    const failed = (await engine.campaigns.messages({ id: campaign.id, status: 'failed' })).items;
    expect(failed).toHaveLength(2);
    expect(failed[0]!.lastError).toEqual({
      code: 'SIZE',
      response: '',
      explanation:
        'This message would be 25.9 MB; Gmail accepts 25 MB per message, so it was not sent. Make the message smaller (a shorter body or merge value, smaller attachments), then retry it.',
    });
  });
});
