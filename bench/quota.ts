// 4. Quota use over simulated days.
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { HOUR, DAY } from '../src-main/engine/core/clock';
import { createEngine } from '../src-main/engine/engine';
import { FakeClock } from '../test/support/fake-clock';
import { startTestGmail } from '../test/support/test-gmail';
import { internals, round, tempDir } from './support';
import { csvOf } from './fixtures';

export async function quotaMeasure(days: number, capScale: number) {
  const caps = [100, 180, 260, 340, 420, 500].map((c) => Math.max(1, Math.round(c * capScale)));
  const capSum = caps.reduce((a, b) => a + b, 0);
  const summedCaps = capSum * days;
  const backlog = Math.ceil(summedCaps * 1.25);
  const gmail = await startTestGmail();
  const dataDir = tempDir('quota');
  const clock = new FakeClock();
  const engine = await createEngine({ dataDir, clock, smtpTimeouts: { connectionMs: 5000, socketMs: 5000, idleMs: 60_000 } });
  await engine.settings.update({ batchSize: 100, messageDelayMs: 0, batchIntervalSeconds: 60 });
  const emails: string[] = [];
  for (const [i, cap] of caps.entries()) {
    const account = { email: `sender${i + 1}@gmail.test`, appPassword: `pppp${i}qqqqrrrrssss`.slice(0, 16) };
    gmail.addAccount(account);
    emails.push(account.email);
    await engine.accounts.add({ ...account, host: gmail.host, port: gmail.port, security: 'none', dailyCap: cap });
  }
  const created = await engine.campaigns.create({ name: 'backlog', subject: 'Hello', text: 'Hi {{first_name}}', csv: csvOf(backlog) });
  await engine.campaigns.queue({ id: created.campaign.id });

  const start = clock.now();
  const loginsPerDay: Record<string, number[]> = Object.fromEntries(emails.map((e) => [e, []]));
  const t0 = performance.now();
  for (let day = 0; day < days; day++) {
    const before = new Map(emails.map((e) => [e, gmail.logins.filter((l) => l.account === e).length]));
    for (let hour = 0; hour < 24; hour++) {
      while (await engine.runBatchNow()) {
        /* drain what the caps allow this hour */
      }
      clock.advance(HOUR);
    }
    for (const e of emails) loginsPerDay[e]!.push(gmail.logins.filter((l) => l.account === e).length - before.get(e)!);
  }
  const wallMs = performance.now() - t0;

  // Cap violations, from the stored send times: for every send, the sends by the same
  // account in the 24 hours up to and including it must not exceed the cap.
  const { sqlite } = internals(engine);
  const sent = sqlite
    .prepare(
      `select a.email as email, a.daily_cap as cap, m.sent_at as at from messages m join accounts a on a.id = m.account_id
       where m.status = 'sent' and m.sent_at < ? order by a.email, m.sent_at`,
    )
    .all(start + days * DAY) as { email: string; cap: number; at: number }[];
  const byAccount = new Map<string, { cap: number; times: number[] }>();
  for (const s of sent) {
    const entry = byAccount.get(s.email) ?? { cap: s.cap, times: [] };
    entry.times.push(s.at);
    byAccount.set(s.email, entry);
  }
  let violations = 0;
  let maxInWindowOverCap = 0;
  const perAccount: Record<string, { cap: number; sent: number; maxIn24h: number; loginsPerDay: number[] }> = {};
  for (const [i, e] of emails.entries()) {
    const entry = byAccount.get(e) ?? { cap: caps[i]!, times: [] };
    let lo = 0;
    let maxIn = 0;
    for (let hi = 0; hi < entry.times.length; hi++) {
      while (entry.times[lo]! <= entry.times[hi]! - DAY) lo++;
      const inWindow = hi - lo + 1;
      maxIn = Math.max(maxIn, inWindow);
      if (inWindow > entry.cap) violations++;
    }
    maxInWindowOverCap = Math.max(maxInWindowOverCap, maxIn - entry.cap);
    perAccount[e] = { cap: entry.cap, sent: entry.times.length, maxIn24h: maxIn, loginsPerDay: loginsPerDay[e]! };
  }
  const serverAccepted = gmail.accepted.length;
  await engine.stop();
  await gmail.close();
  rmSync(dataDir, { recursive: true, force: true });
  return {
    days,
    caps,
    summedCaps,
    backlog,
    sent: sent.length,
    serverAccepted,
    pctOfSummedCaps: round((sent.length / summedCaps) * 100, 2),
    capViolations: violations,
    maxOverCapIn24h: maxInWindowOverCap,
    perAccount,
    wallMs: round(wallMs, 0),
  };
}
