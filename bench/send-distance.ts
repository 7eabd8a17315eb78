// 1. The send path at Gmail's distance: the engine's drain vs bare pooled nodemailer, both over
// implicit TLS to a test Gmail that answers as smtp.gmail.com does from a home connection.
import { startTestGmail } from '../test/support/test-gmail';
import { TEST_TLS } from '../test/support/test-tls';
import { performance } from 'node:perf_hooks';
import { SIZES, internals, round } from './support';
import { SEND_ACCOUNTS, bareSend, engineDrain } from './send';

/**
 * Both senders use one account (so both log in once per 100 messages: nodemailer's
 * maxMessages, the engine's pool option), implicit TLS trusting the test certificate the same
 * way (a `ca` on their own connections), and no pause between messages (the product's 2 s
 * pause is the same wall time for any sender: leaving it out leaves only what the engine
 * adds). The engine keeps its default batch size (10), batches run back to back.
 */
export async function sendDistanceMeasure(n: number) {
  const rttMs = SIZES.gmailRttMs;
  const dataMs = SIZES.gmailDataMs;
  const account = SEND_ACCOUNTS[0]!;
  // Every reply a round trip late; the reply to the data after the server's own work too.
  const gmail = await startTestGmail({
    accounts: [account],
    tls: TEST_TLS,
    latencyMs: rttMs,
    dataReplyDelayMs: dataMs - rttMs,
    keepBodies: false,
  });
  try {
    const tls = { security: 'tls' as const, ca: TEST_TLS.cert, accounts: [account], batchSize: 10 };
    // A couple of messages each first, untimed: the TLS code paths compiled for both.
    await engineDrain(gmail, 2, tls);
    await bareSend(gmail, 2, undefined, { tlsCa: TEST_TLS.cert, account });
    const before = gmail.accepted.length;
    // The time the engine spends outside Mailer.send (its own work, and any wait the bare loop
    // does not have), measured by wrapping the mailer.
    const spent = { smtpMs: 0, sends: 0 };
    const engine = await engineDrain(gmail, n, {
      ...tls,
      instrument: (e) => {
        const mailer = internals(e).ctx.mailer;
        const send = mailer.send.bind(mailer);
        mailer.send = async (...args) => {
          const t = performance.now();
          try {
            return await send(...args);
          } finally {
            spent.smtpMs += performance.now() - t;
            spent.sends++;
          }
        };
      },
    });
    const bare = await bareSend(gmail, n, undefined, { tlsCa: TEST_TLS.cert, account });
    if (gmail.accepted.length !== before + 2 * n)
      throw new Error(`send at Gmail's distance: ${gmail.accepted.length - before} accepted, expected ${2 * n}`);
    const engineMsgPerS = (n / engine.engineMs) * 1000;
    const bareMsgPerS = (n / bare.ms) * 1000;
    return {
      messages: n,
      rttMs,
      dataMs,
      engineMs: round(engine.engineMs, 1),
      engineMsPerMessage: round(engine.engineMs / n, 2),
      engineMsgPerS: round(engineMsgPerS, 2),
      engineBatches: engine.batches,
      engineLogins: engine.engineLogins,
      enginePerMessage: engine.perMessage,
      engineOutsideSmtpMsPerMessage: round((engine.engineMs - spent.smtpMs) / n, 2),
      engineInSmtpMsPerMessage: round(spent.smtpMs / n, 2),
      bareMs: round(bare.ms, 1),
      bareMsPerMessage: round(bare.ms / n, 2),
      bareMsgPerS: round(bareMsgPerS, 2),
      bareCpuMsPerMessage: bare.cpuMsPerMessage,
      ratio: round(engineMsgPerS / bareMsgPerS, 4),
    };
  } finally {
    await gmail.close();
  }
}
