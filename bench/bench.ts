/**
 * Trickle's benchmarks: the runner. Each measure is a file of its own (claim.ts, import.ts,
 * send.ts, quota.ts, dashboard.ts, start.ts, inbox.ts; shared pieces in support.ts and fixtures.ts);
 * this file runs them in order, prints the table and writes the results. Built by Vite into
 * bench/out/bench.js (bench/vite.config.ts) and run with Node: `npm run bench`, or
 * `npm run bench -- --smoke` (or BENCH_SMOKE=1) for tiny sizes in a few seconds.
 *
 * Every measure runs in this one process run, side by side with its baseline where the
 * issue names one, except engine start and RSS, which each run in a fresh child process of
 * this same file (`--child <dataDir>`) so a cold start and a clean heap are measured.
 * Prints a table and writes bench/results.json (test-artifacts/bench-smoke.json for the smoke run).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ONLY, type Row, SIZES, SMOKE, argv, fmt, gc, internals, ms, results, round, row, rows, wanted } from './support';
import { queuedFixture } from './fixtures';
import { claimMeasure } from './claim';
import { importMeasure } from './import';
import { sendMeasure } from './send';
import { sendDistanceMeasure } from './send-distance';
import { quotaMeasure } from './quota';
import { dashboardMeasure } from './dashboard';
import { builtWindowFiles, windowMeasure } from './window';
import { childMain, runChild } from './start';
import { inboxMeasure } from './inbox';

async function main(): Promise<void> {
  const startedAt = performance.now();
  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGB: round(totalmem() / 2 ** 30, 1),
    freeMemoryGB: round(freemem() / 2 ** 30, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  console.log(`Trickle bench${SMOKE ? ' (smoke: tiny sizes, targets are for the full sizes)' : ''}`);
  console.log(`machine: ${machine.nproc} cpus (${machine.cpu}), ${machine.memoryGB} GB, node ${machine.node}`);
  console.log(`sizes: ${JSON.stringify(SIZES)}`);
  results.machine = machine;
  results.smoke = SMOKE;
  results.sizes = SIZES;
  const L = SIZES.claimLarge;
  const S = SIZES.claimSmall;

  let indexSearch = true;
  let tempBtree = false;
  let quota: Awaited<ReturnType<typeof quotaMeasure>> | undefined;
  let t = performance.now();
  if (wanted('claim') || wanted('dashboard') || wanted('start')) {
    // Fixtures for claim, dashboard, start and RSS.
    console.log(`\n[fixtures] ${fmt(S)} and ${fmt(L)} queued rows (raw prepared inserts, one transaction)`);
    const small = await queuedFixture(S);
    const large = await queuedFixture(L);
    console.log(`  built in ${ms(performance.now() - t)}`);

    if (wanted('claim')) {
      console.log('\n[1] claim a 10-message batch (claimBatch, state reset after each)');
      const [cs, cl] = (await claimMeasure([
        [small, S],
        [large, L],
      ])) as [Awaited<ReturnType<typeof claimMeasure>>[number], Awaited<ReturnType<typeof claimMeasure>>[number]];
      // Diagnostic only (not a target): the same claim with synchronous=NORMAL, to show how much
      // of it is the commit's fsync under the engine's synchronous=FULL.
      internals(large.engine).sqlite.pragma('synchronous = NORMAL');
      const clNormal = (await claimMeasure([[large, L]]))[0]!;
      internals(large.engine).sqlite.pragma('synchronous = FULL');
      const planText = [...cl.plans.dueMessages, ...cl.plans.dueCampaigns, ...cl.plans.capacity].join(' | ');
      indexSearch = cl.plans.dueMessages.some((d) => /SEARCH .*USING (COVERING )?INDEX/.test(d));
      tempBtree = /TEMP B-TREE/.test(planText);
      const claimRatio = cl.p95 / cs.p95;
      results.claim = {
        small: { rows: S, ...cs },
        large: { rows: L, ...cl },
        largeSynchronousNormal: { rows: L, ...clNormal, plans: undefined },
        ratioP95: round(claimRatio),
        indexSearch,
        tempBtree,
      };
      row({
        measure: 'claim 10 p95',
        size: fmt(S),
        value: `${ms(cs.p95)} (p50 ${ms(cs.p50)})`,
        baseline: '',
        ratio: '',
        target: '—',
        met: null,
      });
      row({
        measure: 'claim 10 p95',
        size: fmt(L),
        value: `${ms(cl.p95)} (p50 ${ms(cl.p50)})`,
        baseline: '',
        ratio: '',
        target: '< 2 ms',
        met: cl.p95 < 2,
      });
      row({
        measure: 'claim 10 p95 (diag: sync=NORMAL)',
        size: fmt(L),
        value: `${ms(clNormal.p95)} (p50 ${ms(clNormal.p50)})`,
        baseline: '',
        ratio: '',
        target: '(diagnostic)',
        met: null,
      });
      row({
        measure: 'claim p95 ratio',
        size: `${fmt(L)} / ${fmt(S)}`,
        value: `${claimRatio.toFixed(2)}×`,
        baseline: '',
        ratio: '',
        target: '≤ 1.5×',
        met: claimRatio <= 1.5,
      });
      row({
        measure: 'claim query plan',
        size: fmt(L),
        value: `${indexSearch ? 'index search' : 'NO index search'}, ${tempBtree ? 'TEMP B-TREE' : 'no temp b-tree'}`,
        baseline: '',
        ratio: '',
        target: 'index search, no temp b-tree',
        met: indexSearch && !tempBtree,
      });
      console.log(`  plan: ${planText}`);
    }

    if (wanted('dashboard')) {
      console.log('\n[5] dashboard counts + ETA (engine.campaigns.get)');
      const dash = await dashboardMeasure(large);
      results.dashboard = { rows: L, ...dash };
      row({
        measure: 'dashboard get p95',
        size: fmt(L),
        value: `${ms(dash.get.p95)} (p50 ${ms(dash.get.p50)})`,
        baseline: '',
        ratio: `counts ${ms(dash.countMessages.p95)}, eta ${ms(dash.campaignEta.p95)}`,
        target: '< 10 ms',
        met: dash.get.p95 < 10,
      });

      row({
        measure: 'messages page 1 (diag)',
        size: fmt(L),
        value: `${ms(dash.messagesPage.p50)} p50`,
        baseline: '',
        ratio: dash.messagesPage.plan.join('; '),
        target: '(diagnostic)',
        met: null,
      });
    }

    await small.engine.stop();
    await large.engine.stop();

    if (wanted('start')) {
      console.log('\n[6,7] engine start and RSS (fresh child process per database)');
      const childSmall = runChild(small.dataDir);
      const childLarge = runChild(large.dataDir);
      results.start = { small: { rows: S, ...childSmall }, large: { rows: L, ...childLarge } };
      const rssDiff = childLarge.rssMB - childSmall.rssMB;
      results.rss = { smallMB: childSmall.rssMB, largeMB: childLarge.rssMB, diffMB: round(rssDiff, 1) };
      row({
        measure: 'engine start',
        size: fmt(L),
        value: ms(childLarge.startMs),
        baseline: '',
        ratio: `${fmt(S)}: ${ms(childSmall.startMs)}`,
        target: '< 1 s',
        met: childLarge.startMs < 1000,
      });
      row({
        measure: 'RSS queued',
        size: `${fmt(S)} vs ${fmt(L)}`,
        value: `${childSmall.rssMB} MB vs ${childLarge.rssMB} MB (Δ ${rssDiff.toFixed(1)} MB)`,
        baseline: '',
        ratio: '',
        target: 'Δ < 30 MB',
        met: rssDiff < 30,
      });
    }
    rmSync(small.dataDir, { recursive: true, force: true });
    rmSync(large.dataDir, { recursive: true, force: true });
  }

  if (wanted('import')) {
    console.log('\n[2] import + queue from CSV vs a bare prepared insert of the same rows (no trigger, no index but the primary key)');
    const imports = [];
    for (const n of SIZES.imports) {
      t = performance.now();
      const r = await importMeasure(n);
      imports.push(r);
      const ratio = r.totalMs / r.baselineMs;
      row({
        measure: 'import+queue',
        size: fmt(n),
        value: `${ms(r.totalMs)} (create ${ms(r.createMs)}, queue ${ms(r.queueMs)}); loop max ${ms(r.eventLoopMaxMs)}, p99 ${ms(r.eventLoopP99Ms)}`,
        baseline: `${ms(r.baselineMs)} (bare insert, PK only)`,
        ratio: `${ratio.toFixed(2)}× baseline (CPU time ${((r.cpuMs.create + r.cpuMs.queue) / r.cpuMs.baseline).toFixed(2)}×)`,
        target: '≤ 2× baseline, loop max ≤ 50 ms',
        met: ratio <= 2 && r.eventLoopMaxMs <= 50,
      });
      gc();
    }
    results.import = imports;
  }

  if (wanted('send')) {
    console.log("\n[3] send path on loopback (diagnostics of the engine's own cost): engine drain vs bare pooled nodemailer");
    const send = await sendMeasure(SIZES.send);
    results.send = send;
    const pm = send.perMessage;
    const cost = (cpuMs: number, durable: number) => `CPU ${cpuMs.toFixed(3)} ms/msg, ${durable} durable writes/msg`;
    row({
      measure: 'send path, loopback (diag)',
      size: fmt(send.messages),
      value: `${send.engineMsgPerS} msg/s`,
      baseline: `${send.bareMsgPerS} msg/s`,
      ratio: `${send.ratio.toFixed(2)}×; ${cost(pm.cpuMs, pm.durableWrites)} (bare loop CPU ${send.bareCpuMsPerMessage.toFixed(3)} ms/msg); ${pm.statements} SQL statements, ${pm.commits} commits/msg`,
      target: '(diagnostic)',
      met: null,
    });
    row({
      measure: 'send path, loopback (diag: bare loop + §8 minimum, one fsync per message)',
      size: fmt(send.messages),
      value: `${send.diagCeilingOneFsync.msgPerS} msg/s`,
      baseline: `${send.bareMsgPerS} msg/s`,
      ratio: `${send.diagCeilingOneFsync.ratio.toFixed(2)}×; ${cost(send.diagCeilingOneFsync.cpuMsPerMessage, send.diagCeilingOneFsync.durableWritesPerMessage)}`,
      target: '(diagnostic)',
      met: null,
    });
    row({
      measure: 'send path, loopback (diag: bare loop + §8 minimum, marks ahead)',
      size: fmt(send.messages),
      value: `${send.diagCeilingMarksAhead.msgPerS} msg/s`,
      baseline: `${send.bareMsgPerS} msg/s`,
      ratio: `${send.diagCeilingMarksAhead.ratio.toFixed(2)}×; ${cost(send.diagCeilingMarksAhead.cpuMsPerMessage, send.diagCeilingMarksAhead.durableWritesPerMessage)}`,
      target: '(diagnostic)',
      met: null,
    });
    row({
      measure: 'send path, loopback (diag: disk flushes skipped)',
      size: fmt(send.messages),
      value: `${send.diagNoDiskFlush.engineMsgPerS} msg/s`,
      baseline: `${send.bareMsgPerS} msg/s`,
      ratio: `${send.diagNoDiskFlush.ratio.toFixed(2)}×; CPU ${send.diagNoDiskFlush.perMessage.cpuMs.toFixed(3)} ms/msg`,
      target: '(diagnostic)',
      met: null,
    });
    row({
      measure: "send path, loopback (diag: smtp-server's 100 ms greeting)",
      size: fmt(send.messages),
      value: `${send.diagGreetingWait.engineMsgPerS} msg/s`,
      baseline: `${send.diagGreetingWait.bareMsgPerS} msg/s`,
      ratio: `${send.diagGreetingWait.ratio.toFixed(2)}×`,
      target: '(diagnostic)',
      met: null,
    });
    row({
      measure: 'send path (diag: replies 5 ms late)',
      size: fmt(send.diagFarServer.messages),
      value: `${send.diagFarServer.engineMsgPerS} msg/s`,
      baseline: `${send.diagFarServer.bareMsgPerS} msg/s`,
      ratio: `${send.diagFarServer.ratio.toFixed(2)}× (replies ${send.diagFarServer.replyDelayMs} ms late)`,
      target: '(diagnostic)',
      met: null,
    });
  }
  if (wanted('gmail')) {
    console.log(
      `\n[3] send path at Gmail's distance: engine drain vs bare pooled nodemailer, implicit TLS, replies ${SIZES.gmailRttMs} ms late, the data's ${SIZES.gmailDataMs} ms`,
    );
    const far = await sendDistanceMeasure(SIZES.sendGmail);
    results.sendGmailDistance = far;
    row({
      measure: "send path at Gmail's distance",
      size: `${fmt(far.messages)} (TLS, ${far.rttMs} ms RTT, data ${far.dataMs} ms)`,
      value: `${far.engineMsgPerS} msg/s (${far.engineMsPerMessage} ms/msg)`,
      baseline: `${far.bareMsgPerS} msg/s (${far.bareMsPerMessage} ms/msg)`,
      ratio: `${far.ratio.toFixed(3)}×; engine outside SMTP ${far.engineOutsideSmtpMsPerMessage} ms/msg, CPU ${far.enginePerMessage.cpuMs.toFixed(2)} ms/msg (bare ${far.bareCpuMsPerMessage.toFixed(2)}), ${far.enginePerMessage.durableWrites} durable writes/msg`,
      target: '≥ 0.98×',
      met: far.ratio >= 0.98,
    });
  }
  if (wanted('quota')) {
    console.log('\n[4] quota use over simulated days (FakeClock advanced hourly)');
    quota = await quotaMeasure(SIZES.quotaDays, SIZES.quotaCapScale);
    results.quota = quota;
    const logins = Object.values(quota.perAccount).map((a) => a.loginsPerDay);
    const loginSummary = Object.values(quota.perAccount)
      .map((a) => `${a.cap}:${Math.min(...a.loginsPerDay)}–${Math.max(...a.loginsPerDay)}`)
      .join(' ');
    void logins;
    row({
      measure: 'quota use',
      size: `${quota.days} d, caps ${quota.caps.join('/')}`,
      value: `${fmt(quota.sent)} sent = ${quota.pctOfSummedCaps}%`,
      baseline: `${fmt(quota.summedCaps)} summed caps`,
      ratio: '',
      target: '≥ 99%',
      met: quota.pctOfSummedCaps >= 99,
    });
    row({
      measure: 'cap violations (24 h)',
      size: `${quota.days} d`,
      value: String(quota.capViolations),
      baseline: '',
      ratio: '',
      target: '0',
      met: quota.capViolations === 0,
    });
    row({
      measure: 'logins/account/day',
      size: 'cap:min–max',
      value: loginSummary,
      baseline: '',
      ratio: '',
      target: 'reported',
      met: null,
    });
  }

  if (wanted('window')) {
    console.log(
      '\n[7] the window in Chromium through headless mode (each phase beside a baseline page of the same size, served the same way)',
    );
    const w = await windowMeasure();
    results.window = { ...w, files: builtWindowFiles() };
    console.log(`  browser: ${w.browser}`);
    console.log(`  first page scripts: ${w.load.app.scripts.join(', ')}`);
    const a = w.load.app;
    const b = w.load.baseline;
    row({
      measure: 'window: first page JavaScript (compressed)',
      size: `${a.scripts.length} files`,
      value: `${a.jsEncodedKB} KB (${a.jsDecodedKB} KB unpacked), CSS ${a.cssEncodedKB} KB`,
      baseline: '',
      ratio: '',
      target: '≤ 150 KB',
      met: a.jsEncodedKB <= 150,
    });
    row({
      measure: 'window: first contentful paint',
      size: `${w.loads} loads`,
      value: `${ms(a.fcpMsMedian)} median (max ${ms(a.fcpMsMax)})`,
      baseline: `${ms(b.fcpMsMedian)} (max ${ms(b.fcpMsMax)})`,
      ratio: `${(a.fcpMsMedian / b.fcpMsMedian).toFixed(2)}×`,
      target: 'reported',
      met: null,
    });
    row({
      measure: 'window: longest task while loading',
      size: `${w.loads} loads`,
      value: `${ms(a.longestTaskMsMax)} max (median ${ms(a.longestTaskMsMedian)})`,
      baseline: `${ms(b.longestTaskMsMax)} max`,
      ratio: '',
      target: '≤ 100 ms',
      met: a.longestTaskMsMax <= 100,
    });
    row({
      measure: 'window: longest task while importing',
      size: `${fmt(w.importRows)} rows`,
      value: `${ms(w.import.app.longestTaskMs)} (${w.import.app.longTasks} long tasks, ${ms(w.import.app.ms)} in all)`,
      baseline: `${ms(w.import.baseline.longestTaskMs)} (${ms(w.import.baseline.ms)})`,
      ratio: '',
      target: '≤ 100 ms',
      met: w.import.app.longestTaskMs <= 100,
    });
    row({
      measure: 'window: longest task while a campaign sends',
      size: `${fmt(w.sends)} messages`,
      value: `${ms(w.sending.app.longestTaskMs)} (${w.sending.app.longTasks} long tasks, ${ms(w.sending.app.ms)})`,
      baseline: `${ms(w.sending.baseline.longestTaskMs)} (${ms(w.sending.baseline.ms)})`,
      ratio: '',
      target: 'reported',
      met: null,
    });
  }

  if (wanted('inbox')) {
    console.log("\n[8] reading a mailbox: the engine's first look vs a bare imapflow fetch of the same headers, loopback Dovecot");
    const inbox = await inboxMeasure();
    results.inbox = inbox;
    const e = inbox.engine;
    const b = inbox.bare;
    row({
      measure: 'mailbox look',
      size: `${fmt(inbox.messages)} messages`,
      value: `${ms(e.ms)}, peak RSS ${e.peakRssMB} MB (+${e.rssGrowthMB}), loop max ${ms(e.loopMaxMs)}`,
      baseline: `${ms(b.ms)}, peak RSS ${b.peakRssMB} MB (+${b.rssGrowthMB}), loop max ${ms(b.loopMaxMs)}`,
      ratio: `${inbox.ratio.toFixed(2)}× bare (${inbox.ours * 3} of ours among them; next look ${ms(inbox.nextLook.ms)})`,
      target: 'loop ≤ 50 ms',
      met: e.loopMaxMs <= 50,
    });
  }

  results.totalSeconds = round((performance.now() - startedAt) / 1000, 1);
  results.rows = rows;
  printTable();
  // The full run's results are kept in the repository; the smoke run's go with CI's other
  // artifacts (test-artifacts/ is ignored by git).
  const file = fileURLToPath(new URL(SMOKE || ONLY ? '../../test-artifacts/bench-smoke.json' : '../results.json', import.meta.url));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${file} (${results.totalSeconds} s)`);

  // The smoke run checks that every measure ran and that correctness held; speed targets
  // are only judged at the full sizes.
  if (SMOKE) {
    const broken = [
      quota && quota.capViolations !== 0 && 'cap violations',
      quota && quota.pctOfSummedCaps < 99 && 'quota use below 99%',
      !indexSearch && 'claim query not an index search',
      tempBtree && 'temp b-tree in the claim',
    ].filter(Boolean);
    if (broken.length) {
      console.error(`smoke: FAILED: ${broken.join(', ')}`);
      process.exitCode = 1;
    } else console.log('smoke: ok');
  }
}

function printTable(): void {
  const head: (keyof Row)[] = ['measure', 'size', 'value', 'baseline', 'ratio', 'target', 'met'];
  const cells = rows.map((r) => head.map((k) => (k === 'met' ? (r.met === null ? '' : r.met ? 'met' : 'MISSED') : String(r[k]))));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n${line(head.map(String))}`);
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}

const childIndex = argv.indexOf('--child');
const run = childIndex >= 0 ? childMain(argv[childIndex + 1]!) : main();
run.catch((error) => {
  console.error(error);
  process.exit(1);
});
