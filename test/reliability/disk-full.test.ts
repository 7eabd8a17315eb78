import { afterEach, describe, expect, it } from 'vitest';
import type { EngineLogger } from '../../src-main/engine/context';
import type { Engine } from '../../src-main/engine/engine';
import { mountSmallDisk, type SmallDisk, smallDiskAvailable } from '../support/small-disk';
import { createTestEngine, drain, recipientsCsv, type TestSetup, TEST_ACCOUNTS } from '../support/test-engine';

/**
 * A disk that really fills up (a small tmpfs; see small-disk.ts): SQLite meets ENOSPC as on a
 * full laptop disk, and may roll a whole transaction back by itself. Attack findings #11.6 and
 * #11.7: the answer was "internal" and the log said "cannot rollback - no transaction is active".
 */

let setup: TestSetup | undefined;
let disk: SmallDisk | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
  disk?.unmount();
  disk = undefined;
});

function recordingLogger() {
  const lines: string[] = [];
  const logger: EngineLogger = {
    info: (m, d) => lines.push(`info ${m} ${JSON.stringify(d ?? {})}`),
    warn: (m, d) => lines.push(`warn ${m} ${JSON.stringify(d ?? {})}`),
    error: (m, d) => lines.push(`error ${m} ${JSON.stringify(d ?? {})}`),
  };
  return { lines, logger };
}

async function queued(engine: Engine, n: number): Promise<number> {
  const { campaign } = await engine.campaigns.create({ name: 'Members', subject: 'Hi {{first_name}}', text: 'Hello', csv: recipientsCsv(n) });
  await engine.campaigns.queue({ id: campaign.id });
  return campaign.id;
}

/** Runs batches until one fails (the disk is full) or `max` ran; returns the failure. */
async function batchUntilFailure(engine: Engine, max = 50): Promise<unknown> {
  for (let i = 0; i < max; i++) {
    try {
      if (!(await engine.runBatchNow())) return undefined;
    } catch (error) {
      return error;
    }
  }
  return undefined;
}

describe.skipIf(!smallDiskAvailable)('a disk that fills up for real', () => {
  it('while sending: the status names the full disk, the log says it once, sending resumes by itself once there is room', async () => {
    disk = mountSmallDisk(16);
    const { lines, logger } = recordingLogger();
    setup = await createTestEngine({ under: disk.dir, logger, accounts: TEST_ACCOUNTS.slice(0, 1), settings: { batchSize: 5 } });
    const { engine, gmail } = setup;
    const campaignId = await queued(engine, 60);
    await engine.start(); // takes the owner lock, as the app does
    disk.fill();

    const failure = await batchUntilFailure(engine);
    expect(failure).toMatchObject({ code: 'storage_full', message: expect.stringMatching(/the disk is full/) });
    const status = await engine.sending.status();
    expect(status.waitingReason).toMatch(/^The disk is full: Trickle stopped sending.*Free some disk space; sending resumes by itself\.$/);
    // The scheduler's job: the first failure is reported, the same one again at the next ticks is not.
    const batchJob = () => (engine as unknown as { batchJob(): Promise<void> }).batchJob();
    await expect(batchJob()).resolves.toBeUndefined();
    await expect(batchJob()).resolves.toBeUndefined();
    expect(lines.join('\n')).not.toMatch(/cannot rollback/);

    disk.release();
    await drain(engine);
    expect((await engine.sending.status()).waitingReason).toBeUndefined();
    const delivered = gmail.accepted.map((m) => m.envelope.to[0]);
    expect(new Set(delivered).size).toBe(delivered.length);
    // Nothing lost, nothing twice: every message went out once, or waits in doubt for the user.
    const campaign = await engine.campaigns.get({ id: campaignId });
    expect(campaign.counts.sent + campaign.counts.in_doubt).toBe(60);
    for (const m of (await engine.campaigns.messages({ id: campaignId, status: 'sent', limit: 100 })).items) expect(delivered).toContain(m.email);
    expect(lines.join('\n')).toMatch(/batches run again/);
  });
});
