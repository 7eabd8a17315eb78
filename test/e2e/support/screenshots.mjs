// Screenshots of every page of the window, for a person to look at (not a test).
//
//   npm run build && node_modules/.bin/node test/e2e/support/screenshots.mjs [outDir]
//
// Starts the built headless app twice — once on a seeded data directory, once on a fresh
// one (empty states) — drives Chromium (TRICKLE_CHROMIUM, else /usr/bin/chromium) through the
// printed link, and writes PNGs to /tmp/trickle-shots/ (never into the repository). It also
// reports CSP violations, console errors and elements whose text overflows, at 1280×800 and
// 1024×700.
//
// Seeding: a local SMTP server on 127.0.0.1:2525 stands in for Gmail and refuses a few
// recipients on purpose (a bounce, a temporary refusal, a connection dropped after the data),
// so the failure and in-doubt views have something to show; then a larger campaign is queued as
// a rehearsal, so nothing else leaves this machine.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { SMTPServer } from 'smtp-server';

const ROOT = join(import.meta.dirname, '../../..');
const OUT = process.argv[2] ?? '/tmp/trickle-shots';
const SMTP_PORT = 2525;
mkdirSync(OUT, { recursive: true });

const problems = [];
const note = (line) => {
  problems.push(line);
  console.log(`  ! ${line}`);
};

// ---------------------------------------------------------------------------------------
// The app and its API

async function startApp(port, dataDir) {
  const child = spawn(process.execPath, [join(ROOT, 'out/headless/serve.js'), '--port', String(port), '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no link in 15 s:\n${output}`)), 15_000);
    const check = () => {
      if (/Open http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', () => reject(new Error(`exited:\n${output}`)));
  });
  const token = readFileSync(join(dataDir, 'headless-token'), 'utf8').trim();
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    token,
    link: `${origin}/?token=${token}`,
    async call(method, args = {}) {
      const response = await fetch(`${origin}/api/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(args),
      });
      const body = await response.json();
      if (!body.ok) throw new Error(`${method}: ${body.error.message}`);
      return body.value;
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGINT');
      });
    },
  };
}

/** A stand-in for Gmail that accepts everything except a few scripted recipients. */
function startSmtp() {
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      // Gmail's answer to a wrong app password, for addresses starting with "bad".
      if (auth.username.startsWith('bad')) {
        const err = new Error(
          '5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials',
        );
        err.responseCode = 535;
        return cb(err);
      }
      cb(null, { user: auth.username });
    },
    onRcptTo(address, _session, cb) {
      const to = address.address;
      if (to.startsWith('bounce')) {
        const err = new Error('5.1.1 The email account that you tried to reach does not exist.');
        err.responseCode = 550;
        return cb(err);
      }
      if (to.startsWith('busy')) {
        const err = new Error(
          '4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.',
        );
        err.responseCode = 450;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const to = session.envelope.rcptTo.map((r) => r.address).join(',');
      stream.on('data', () => {});
      stream.on('end', () => {
        // Read the whole message, then hang up without an answer: the sender cannot know.
        if (to.startsWith('flaky')) {
          const connection = [...server.connections].find((c) => c.session === session);
          return connection?._socket?.destroy();
        }
        cb(null, 'OK queued');
      });
    },
  });
  return new Promise((resolve) => server.listen(SMTP_PORT, '127.0.0.1', () => resolve(server)));
}

const NEWSLETTER = `<div style="font-family:Georgia,serif;max-width:560px;margin:0 auto;color:#222">
<h1 style="color:#2b4c7e;font-size:26px;margin:0 0 12px">Spring at Riverside</h1>
<p>Dear {{first_name|friend}},</p>
<p>The courts reopen on <strong>Saturday 4 April</strong>. Junior coaching starts the week after, and the clubhouse has a new coat of paint.</p>
<ul><li>Open day: 4 April, 10:00–16:00</li><li>Membership renewals are due by 30 April</li><li>Volunteers wanted for the summer tournament</li></ul>
<p style="background:#eef3fb;padding:12px;border-radius:6px">Your membership: <strong>{{membership}}</strong></p>
<p>See you on court,<br>The Riverside committee</p></div>`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const FIRST = ['Ann', 'Bob', 'Carla', 'Dev', 'Eve', 'Farid', 'Gina', 'Hugo', 'Iris', 'Jon', 'Kemal', 'Lena', 'Marta', 'Nils', 'Olu', 'Pia'];

function csvOf(count, opts = {}) {
  const rows = ['email,first_name,last_name,membership'];
  for (let i = 1; i <= count; i++) {
    const first = FIRST[i % FIRST.length];
    rows.push(`${first.toLowerCase()}.${i}@example.org,${first},Member${i},${i % 3 ? 'adult' : 'junior'}`);
    if (i === 3) rows.push('not-an-address,Zed,Broken,adult');
    if (i === 5) rows.push(`${FIRST[2].toLowerCase()}.2@EXAMPLE.org,${FIRST[2]},Again,adult`);
    if (opts.faults && i === 7) rows.push('bounce.nobody@example.org,Nobody,Gone,adult');
    if (opts.faults && i === 8) rows.push('flaky.fay@example.org,Fay,Flaky,adult');
    if (opts.faults && i === 9) rows.push('busy.ben@example.org,Ben,Busy,adult');
  }
  return `${rows.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------
// The browser

const SIZES = [
  { name: '1280', width: 1280, height: 800 },
  { name: '1024', width: 1024, height: 700 },
];

async function newPage(browser, app, size) {
  const context = await browser.newContext({
    viewport: { width: size.width, height: size.height },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  const page = await context.newPage();
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(
        `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} ${e.sourceFile ?? ''}:${e.lineNumber ?? ''}`,
      ),
    );
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) note(`[${size.name}] console ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => note(`[${size.name}] page error: ${err.message}`));
  if (app) await page.goto(app.link);
  return { context, page };
}

async function settle(page) {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.waitForTimeout(500);
}

/** Elements whose content is wider than their box (text cut off or spilling out). */
async function checkOverflow(page, label) {
  const found = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('.tr-app *')) {
      const style = getComputedStyle(el);
      if (style.display === 'none' || el.closest('svg') || el.tagName === 'TEXTAREA' || el.tagName === 'INPUT' || el.tagName === 'SELECT')
        continue;
      if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && style.overflowX !== 'auto' && style.overflowX !== 'scroll') {
        if (style.textOverflow === 'ellipsis') continue;
        out.push(
          `${el.tagName.toLowerCase()}.${String(el.className).split(' ').slice(0, 2).join('.')} "${(el.textContent ?? '').trim().slice(0, 50)}" ${el.scrollWidth}>${el.clientWidth}`,
        );
      }
    }
    const content = document.querySelector('.tr-content');
    if (content && content.scrollWidth > content.clientWidth + 1)
      out.push(`.tr-content scrolls sideways (${content.scrollWidth}>${content.clientWidth})`);
    return out.slice(0, 8);
  });
  for (const f of found) note(`[${label}] overflow: ${f}`);
}

async function shot(page, name, { tall = false } = {}) {
  await settle(page);
  const size = page.viewportSize();
  await checkOverflow(page, `${name}@${size.width}`);
  await page.screenshot({ path: join(OUT, `${name}-${size.width}.png`) });
  if (tall) {
    // The content scrolls inside the window; show all of it on a tall viewport.
    const height = await page.evaluate(() => {
      const c = document.querySelector('.tr-content');
      return c ? c.scrollHeight + (document.querySelector('.tr-strip')?.offsetHeight ?? 0) + 4 : 800;
    });
    await page.setViewportSize({ width: size.width, height: Math.min(Math.max(height, size.height), 4000) });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(OUT, `${name}-${size.width}-full.png`) });
    await page.setViewportSize(size);
  }
  console.log(`  ${name}-${size.width}.png`);
}

async function go(page, hash) {
  await page.evaluate((h) => (location.hash = h), hash);
  await settle(page);
}

// ---------------------------------------------------------------------------------------

async function main() {
  const smtp = await startSmtp();
  const seeded = mkdtempSync(join(tmpdir(), 'trickle-shots-'));
  const fresh = mkdtempSync(join(tmpdir(), 'trickle-fresh-'));
  const csvFile = join(seeded, 'members.csv');
  writeFileSync(csvFile, csvOf(24));
  const browser = await chromium.launch({
    // A system Chromium, or TRICKLE_CHROMIUM (e.g. the one the browser tests unpacked: /tmp/trickle-chromium-*/chromium).
    executablePath: process.env.TRICKLE_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  let app;
  let empty;
  try {
    app = await startApp(4610, seeded);
    empty = await startApp(4611, fresh);
    console.log('seeding…');
    await app.call('settings.update', { batchIntervalSeconds: 2, messageDelayMs: 0, retryIntervalSeconds: 3600 });
    const local = { host: '127.0.0.1', port: SMTP_PORT, security: 'none', verify: false };
    await app.call('accounts.add', {
      email: 'club.secretary@gmail.com',
      appPassword: 'abcd efgh ijkl mnop',
      fromName: 'Riverside Tennis Club',
      dailyCap: 500,
      ...local,
    });
    await app.call('accounts.add', {
      email: 'riverside.news@gmail.com',
      appPassword: 'abcd efgh ijkl mnop',
      fromName: 'Riverside News',
      dailyCap: 100,
      ...local,
    });
    const off = await app.call('accounts.add', {
      email: 'old.treasurer@gmail.com',
      appPassword: 'x',
      fromName: '',
      dailyCap: 100,
      ...local,
    });
    await app.call('accounts.update', { id: off.id, enabled: false });
    // An account whose app password Gmail stopped accepting.
    const bad = await app.call('accounts.add', {
      email: 'bad.password@gmail.com',
      appPassword: 'abcd efgh ijkl mnop',
      fromName: 'Shop',
      dailyCap: 500,
      ...local,
    });
    await app.call('accounts.verify', { id: bad.id });

    // A small campaign with scripted faults, really "sent" to the local server.
    const a = await app.call('campaigns.create', {
      name: 'March fixtures',
      subject: 'Fixtures for March, {{first_name}}',
      html: '<p>Hello {{first_name}},</p><p>The March fixtures are out.</p>',
      csv: csvOf(12, { faults: true }),
    });
    await app.call('campaigns.queue', { id: a.campaign.id });
    for (let i = 0; i < 30; i++) {
      const c = await app.call('campaigns.get', { id: a.campaign.id });
      if (c.counts.queued + c.counts.sending === 0) break;
      await sleep(500);
    }

    // The main campaign, a rehearsal: written to its log, nothing sent.
    const b = await app.call('campaigns.create', {
      rehearsal: true,
      name: 'Spring newsletter 2026',
      subject: 'Spring news from Riverside, {{first_name|friend}}',
      html: NEWSLETTER,
      fromName: 'Riverside Tennis Club',
      replyTo: 'secretary@riverside-tennis.example',
      csv: csvOf(420),
    });
    console.log('  import report:', JSON.stringify({ ...b.report, invalid: b.report.invalid.length }));
    const queued = await app.call('campaigns.queue', { id: b.campaign.id });
    console.log(`  ${queued.message}`);
    await sleep(5000);

    // A draft, for the editor.
    await app.call('campaigns.create', {
      name: 'Summer BBQ invitation',
      subject: 'You are invited, {{first_name}}!',
      html: '<h2>Summer BBQ</h2><p>Dear {{first_name}}, join us on 21 June.</p>',
      csv: csvOf(30),
    });
    await app.call('suppressions.add', { email: 'left.the.club@example.org', reason: 'unsubscribed' });

    const campaigns = await app.call('campaigns.list');
    const main = campaigns.find((c) => c.name.startsWith('Spring'));
    const faulty = campaigns.find((c) => c.name.startsWith('March'));
    const draft = campaigns.find((c) => c.name.startsWith('Summer'));

    for (const size of SIZES) {
      console.log(`pages at ${size.width}×${size.height}`);
      const { context, page } = await newPage(browser, app, size);
      await settle(page);
      const tall = size.name === '1280';
      await go(page, '#/progress');
      await shot(page, 'progress', { tall });
      await go(page, `#/campaigns/${main.id}`);
      await shot(page, 'campaign-progress', { tall });
      await go(page, `#/campaigns/${faulty.id}`);
      await shot(page, 'campaign-failures', { tall });
      await go(page, '#/campaigns');
      await shot(page, 'campaigns', { tall });
      await go(page, `#/campaigns/${draft.id}/edit`);
      await shot(page, 'editor-draft', { tall });
      await go(page, '#/accounts');
      await shot(page, 'accounts', { tall });
      await go(page, '#/settings');
      await shot(page, 'settings', { tall });

      if (size.name === '1280') {
        // Sending paused for everything.
        await app.call('sending.pause');
        await go(page, '#/progress');
        await shot(page, 'paused');
        await app.call('sending.resume');

        // Queueing a draft whose subject uses a field some recipients lack.
        const broken = await app.call('campaigns.create', {
          name: 'Committee notice',
          subject: 'Notice for {{nickname}}',
          text: 'Hello {{first_name}}, the committee meets on Monday.',
          recipients: [
            { email: 'ann@example.org', fields: { nickname: 'Annie' } },
            { email: 'bo@example.org' },
            { email: 'cy@example.org' },
          ],
        });
        await go(page, `#/campaigns/${broken.campaign.id}/edit`);
        await page.getByRole('button', { name: 'Queue…' }).click();
        await page
          .getByRole('dialog')
          .getByRole('button', { name: /^Queue/ })
          .click();
        await page.waitForTimeout(800);
        await page.evaluate(() => document.querySelector('.tr-content').scrollTo(0, 1e6));
        await shot(page, 'queue-merge-error');

        // Settings: a value the engine refuses, shown next to its field.
        await go(page, '#/settings');
        await page.getByLabel('Emails per batch').fill('500');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.waitForTimeout(600);
        await shot(page, 'settings-error');

        // A test send from the draft.
        await go(page, `#/campaigns/${draft.id}/edit`);
        await page.getByLabel('Send a copy to').fill('me@example.org');
        await page.getByRole('button', { name: 'Send test' }).click();
        await page.waitForTimeout(800);
        await page.evaluate(() => document.querySelector('.tr-content').scrollBy(0, 260));
        await shot(page, 'test-send');

        // The account dialog: Gmail refuses the login.
        await go(page, '#/accounts');
        await page.getByRole('button', { name: 'Add account' }).first().click();
        await page.getByLabel('Gmail address').fill('bad.login@gmail.com');
        await page.getByLabel('App password', { exact: true }).fill('abcd efgh ijkl mnop');
        await page.getByRole('button', { name: /Advanced/ }).click();
        await page.getByLabel('SMTP server').fill('127.0.0.1');
        await page.getByLabel('Port').fill('2525');
        await page.getByLabel('Security').selectOption('none');
        await page.getByRole('button', { name: 'Check and add' }).click();
        await page.waitForTimeout(1000);
        await shot(page, 'account-login-failed');
        await page.keyboard.press('Escape');

        // The account dialog, filled in, then with the server's field error.
        await go(page, '#/accounts');
        await page.getByRole('button', { name: 'Add account' }).first().click();
        await page.waitForTimeout(300);
        await shot(page, 'account-dialog');
        await page.getByLabel('Gmail address').fill('club.secretary@@gmail');
        await page.getByLabel('App password', { exact: true }).fill('abcd efgh ijkl mnop');
        await page.getByLabel('App password', { exact: true }).press('Enter');
        await page.waitForTimeout(600);
        await shot(page, 'account-dialog-error');
        await page.keyboard.press('Escape');

        // The editor: a new campaign from the CSV file, then the import report.
        await go(page, '#/campaigns/new');
        await shot(page, 'editor-new-empty');
        await page.setInputFiles('#c-csv', csvFile);
        await page.waitForTimeout(300);
        await page.getByLabel('Campaign name').fill('Autumn open day');
        await page.getByLabel('Subject').fill('Open day on Saturday, ');
        await page.getByRole('button', { name: '{{first_name}}' }).click();
        await page.getByLabel('Message body').fill('<p>Dear {{first_name|friend}},</p>\n<p>Come and play on Saturday.</p>');
        await shot(page, 'editor-new-filled', { tall: true });
        await page.getByRole('button', { name: 'Save draft' }).click();
        await page.waitForTimeout(1200);
        await shot(page, 'editor-after-create', { tall: true });
        // Queue it, through the confirmation.
        await page.getByRole('button', { name: /^Queue .* emails$/ }).click();
        await page.waitForTimeout(400);
        await shot(page, 'queue-confirm');
        await page
          .getByRole('dialog')
          .getByRole('button', { name: /^Queue/ })
          .click();
        await page.waitForTimeout(1200);
        await shot(page, 'after-queue');
      }
      await context.close();
    }

    // Empty states and the sign-in screen, on the fresh data directory.
    for (const size of SIZES) {
      console.log(`empty states at ${size.width}×${size.height}`);
      const { context, page } = await newPage(browser, empty, size);
      await settle(page);
      await go(page, '#/progress');
      await shot(page, 'empty-progress');
      await go(page, '#/campaigns');
      await shot(page, 'empty-campaigns');
      await go(page, '#/accounts');
      await shot(page, 'empty-accounts');
      await go(page, '#/settings');
      await shot(page, 'empty-settings');
      await context.close();
    }
    {
      const { context, page } = await newPage(browser, null, SIZES[0]);
      await page.goto(`${empty.origin}/#/progress`);
      await shot(page, 'unauthorized');
      await context.close();
    }
  } finally {
    await browser.close();
    await app?.stop();
    await empty?.stop();
    smtp.close();
    rmSync(seeded, { recursive: true, force: true });
    rmSync(fresh, { recursive: true, force: true });
  }
  // A 401 on the sign-in screen is the point of that screen, not a problem.
  const real = problems.filter((p) => !/401 \(Unauthorized\)/.test(p));
  console.log(real.length ? `\n${real.length} problem(s) found (see above).` : '\nNo CSP violations, console errors or overflowing text.');
  console.log(`Screenshots in ${OUT}`);
  process.exitCode = real.length ? 1 : 0;
}

await main();
