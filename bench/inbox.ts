// 8. Reading a mailbox: the engine's first look at an inbox of many messages (PRODUCT.md §5b)
// beside a bare imapflow fetch of the same headers (envelope and fields) from the same Dovecot, in the same run.
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ImapFlow } from 'imapflow';
import { createEngine } from '../src-main/engine/engine';
import { INBOX_TRIAGE_QUERY } from '../src-main/engine/inbox/read-mail';
import { type Dovecot, startDovecot } from '../test/support/dovecot';
import { FakeClock } from '../test/support/fake-clock';
import { startTestGmail } from '../test/support/test-gmail';
import { SIZES, gc, round, tempDir, watchEventLoop } from './support';

const ACCOUNT = { email: 'reader@gmail.test', appPassword: 'rrrrssssttttuuuu' };

/** Peak resident memory while `work` runs, sampled every 5 ms, above what it was before. */
async function measured<T>(work: () => Promise<T>) {
  gc();
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const loop = watchEventLoop();
  const t = performance.now();
  const value = await work();
  const elapsedMs = performance.now() - t;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  return {
    value,
    ms: round(elapsedMs, 1),
    peakRssMB: round(peak / 2 ** 20, 1),
    rssGrowthMB: round((peak - before) / 2 ** 20, 1),
    loop: await loop(),
  };
}

/**
 * An inbox of `total` messages as a real one looks: mostly other people's mail, with among it
 * failure notices, replies and auto-replies to a campaign the account sent (1 % each), and its
 * Sent Mail holding that campaign. Put in over IMAP APPEND, so Dovecot's indexes are as a
 * client would find them.
 */
async function fill(dovecot: Dovecot, total: number, clock: FakeClock) {
  const gmail = await startTestGmail({ mailbox: dovecot, accounts: [ACCOUNT] });
  gmail.setClock(() => clock.now());
  const dataDir = tempDir('inbox');
  const engine = await createEngine({ dataDir, clock, imapTimeouts: { connectionMs: 10_000, greetingMs: 10_000, socketMs: 60_000 } });
  await gmail.mailboxIdle();
  const account = await engine.accounts.add({
    ...ACCOUNT,
    host: gmail.host,
    port: gmail.port,
    security: 'none',
    dailyCap: 2000,
    imapHost: dovecot.host,
    imapPort: dovecot.port,
    imapSecurity: 'none',
  });
  await engine.settings.update({ batchSize: 100, messageDelayMs: 0 });
  const ours = Math.max(10, Math.round(total / 100));
  for (let i = 0; i < ours; i++) gmail.bounce({ rcpt: `gone${i}@example.org`, times: 1 });
  const recipients = [
    ...Array.from({ length: ours }, (_, i) => `gone${i}@example.org`),
    ...Array.from({ length: 2 * ours }, (_, i) => `reader${i}@example.org`),
  ];
  const { campaign } = await engine.campaigns.create({
    name: 'bench',
    subject: 'News',
    text: 'Hello',
    csv: ['email', ...recipients].join('\n'),
  });
  await engine.campaigns.queue({ id: campaign.id });
  while (await engine.runBatchNow());
  const sent = gmail.acceptedBy(ACCOUNT.email).filter((m) => m.envelope.to[0]!.startsWith('reader'));
  for (const [i, m] of sent.entries()) await gmail.answer(m, i % 2 === 0 ? 'reply' : 'out-of-office');
  const session = await dovecot.session(ACCOUNT.email);
  const others = total - 3 * ours;
  for (let i = 0; i < others; i++) {
    const raw = [
      `From: Sender ${i} <sender${i % 300}@example.net>`,
      `To: ${ACCOUNT.email}`,
      `Subject: Message ${i} about something else`,
      `Date: ${new Date(clock.now()).toUTCString()}`,
      `Message-ID: <other${i}@example.net>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `${'Not for Trickle. '.repeat(40)}\r\n`.repeat(6),
    ].join('\r\n');
    await session.append('INBOX', raw, [], new Date(clock.now()));
  }
  await session.logout();
  await gmail.mailboxIdle();
  return { gmail, engine, dataDir, accountId: account.id, ours };
}

export async function inboxMeasure(total = SIZES.inboxMessages) {
  const dovecot = await startDovecot();
  const clock = new FakeClock();
  try {
    let t = performance.now();
    const { gmail, engine, dataDir, accountId, ours } = await fill(dovecot, total, clock);
    const fillMs = performance.now() - t;
    const box = await dovecot.session(ACCOUNT.email);
    const status = await box.status('INBOX', { messages: true });
    await box.logout();
    const messages = status ? (status.messages ?? 0) : 0;

    // The bare fetch first (a cold Dovecot cache would favour whichever came second).
    const bare = await measured(async () => {
      const client = new ImapFlow({
        host: dovecot.host,
        port: dovecot.port,
        secure: false,
        doSTARTTLS: false,
        auth: { user: ACCOUNT.email, pass: ACCOUNT.appPassword },
        logger: false,
        disableAutoIdle: true,
      });
      client.on('error', () => {});
      await client.connect();
      await client.mailboxOpen('INBOX', { readOnly: true });
      let fetched = 0;
      // The same items the engine's first pass fetches of each message (envelope and a few fields).
      for await (const m of client.fetch('1:*', INBOX_TRIAGE_QUERY)) if (m.envelope) fetched++;
      await client.logout();
      return fetched;
    });
    gc();
    const look = await measured(() => engine.accounts.checkInbox({ id: accountId }));
    const again = await measured(() => engine.accounts.checkInbox({ id: accountId }));
    await engine.stop();
    await gmail.close();
    rmSync(dataDir, { recursive: true, force: true });
    t = performance.now() - t;
    if (look.value.bounces !== ours) throw new Error(`inbox bench: the look found ${look.value.bounces} bounces, ${ours} expected`);
    return {
      messages,
      ours,
      fillMs: round(fillMs, 0),
      engine: { ms: look.ms, peakRssMB: look.peakRssMB, rssGrowthMB: look.rssGrowthMB, loopMaxMs: look.loop.maxMs, found: look.value },
      bare: { ms: bare.ms, peakRssMB: bare.peakRssMB, rssGrowthMB: bare.rssGrowthMB, loopMaxMs: bare.loop.maxMs, fetched: bare.value },
      nextLook: { ms: again.ms, loopMaxMs: again.loop.maxMs },
      ratio: round(look.ms / bare.ms, 2),
    };
  } finally {
    await dovecot.close();
  }
}
