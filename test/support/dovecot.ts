/**
 * A real IMAP server for the tests: Dovecot from the system (Debian's `dovecot-imapd`), started
 * on a loopback port with its whole configuration, state and mail in a temporary folder, so it
 * touches nothing of the machine's own Dovecot (which it never starts or reads).
 *
 * The test Gmail gives each of its accounts a mailbox here (test-gmail.ts), shaped like Gmail's:
 * INBOX, and Sent Mail found by its special-use flag `\Sent` (RFC 6154) under "[Gmail]/Sent Mail"
 * or, for an account in another language, a localised name. Mail is put in over IMAP APPEND by a
 * master login (`<user>*master`), so what a test does to an account's own password (revoking it)
 * never stops the test Gmail from delivering.
 *
 * It is found, or installed, through the system-service rule (system-service.ts). One is started
 * per test file, never per test: it answers about a second after start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ImapFlow } from 'imapflow';
import { DOVECOT, requireSystemService } from './system-service';

/** The Sent Mail names a test account can have; all carry `\Sent`, none is created unless asked. */
export const SENT_MAILBOX_NAMES = {
  en: '[Gmail]/Sent Mail',
  de: '[Gmail]/Gesendet',
  fr: '[Gmail]/Messages envoyés',
} as const;
export type MailboxLanguage = keyof typeof SENT_MAILBOX_NAMES;

export interface Dovecot {
  host: '127.0.0.1';
  port: number;
  /** Creates a user with INBOX and its Sent Mail (by language); a decoy "Sent" without the flag for non-English ones. */
  addUser(email: string, password: string, options?: { language?: MailboxLanguage }): Promise<void>;
  /** Changes the user's own password (the master login the test Gmail uses is unaffected). */
  setPassword(email: string, password: string): Promise<void>;
  /** An IMAP session as the user, through the master login: for delivering and for looking from outside. */
  session(email: string): Promise<ImapFlow>;
  /** The user's Sent Mail path. */
  sentMailbox(email: string): string;
  /**
   * Gives the user's INBOX a new UIDVALIDITY, as a server does when it rebuilds a mailbox: its
   * UID list and indexes are removed, so Dovecot numbers the messages afresh (a client must read
   * it again from the start). Resolves once the new value is in place.
   */
  renewUidValidity(email: string): Promise<void>;
  /** Dovecot's own log, for a failing test's message. */
  log(): string;
  close(): Promise<void>;
}

const MASTER = { user: 'master', password: 'test-master-password' };

export async function startDovecot(): Promise<Dovecot> {
  const binary = await requireSystemService(DOVECOT);
  const root = mkdtempSync(join(tmpdir(), 'trickle-dovecot-'));
  // Dovecot's mail processes run as its own user and must reach the mail folder inside.
  chmodSync(root, 0o755);
  const mail = join(root, 'mail');
  mkdirSync(mail);
  const asRoot = process.getuid?.() === 0;
  const mailUser = asRoot ? 'dovecot' : userInfo().username;
  if (asRoot) {
    const ids = systemIds('dovecot');
    chownSync(mail, ids.uid, ids.gid);
  }
  writeFileSync(join(root, 'users'), '');
  writeFileSync(join(root, 'check-password'), checkPasswordScript(join(root, 'users')), { mode: 0o755 });
  writeFileSync(join(root, 'masters'), `${MASTER.user}:{PLAIN}${MASTER.password}\n`);
  const port = await freePort();
  const config = join(root, 'dovecot.conf');
  writeFileSync(config, configText({ root, port, mailUser, asRoot }));

  const child = spawn(binary, ['-F', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const server = new DovecotServer(root, port, child, () => output);
  try {
    await server.ready();
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}

function configText(o: { root: string; port: number; mailUser: string; asRoot: boolean }): string {
  const sent = Object.values(SENT_MAILBOX_NAMES)
    .map((name) => `  mailbox "${name}" {\n    special_use = \\Sent\n    auto = no\n  }`)
    .join('\n');
  const me = userInfo().username;
  return `# Written by test/support/dovecot.ts for one test file; removed when it ends.
base_dir = ${o.root}/run
state_dir = ${o.root}/state
log_path = ${o.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_master_user_separator = *
default_login_user = ${o.asRoot ? 'dovenull' : me}
default_internal_user = ${o.asRoot ? 'dovecot' : me}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_uid = ${o.mailUser}
mail_gid = ${o.mailUser}
mail_privileged_group =
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${o.root}/masters
  master = yes
}
# The users' own passwords: looked up in the list at every login (a passwd-file is re-read at
# most once a second, so a user added or a password changed a moment ago would be missed).
passdb {
  driver = checkpassword
  args = ${o.root}/check-password
}
userdb {
  driver = static
  args = home=${o.root}/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
${sent}
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${o.port}
  }
  inet_listener imaps {
    port = 0
  }
}
# No growing delay after failed logins from 127.0.0.1: tests refuse logins on purpose.
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service stats {
  inet_listener http {
    port = 0
  }
}
`;
}

/**
 * Dovecot's checkpassword protocol: the login name and password arrive on fd 3, NUL-terminated;
 * a match runs the reply program given as arguments, anything else exits 1 (refused).
 */
function checkPasswordScript(users: string): string {
  return `#!/bin/bash
IFS= read -r -d '' user <&3 || exit 1
IFS= read -r -d '' pass <&3 || true
user="\${user,,}"
while IFS=: read -r name password _; do
  if [ "$name" = "$user" ] && [ "$password" = "$pass" ]; then
    export USER="$name"
    exec "$@"
  fi
done < "${users}"
exit 1
`;
}

class DovecotServer implements Dovecot {
  readonly host = '127.0.0.1';
  private readonly users = new Map<string, { password: string; sent: string }>();
  private readonly sessions = new Set<ImapFlow>();
  private exited: Promise<void>;

  constructor(
    private readonly root: string,
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly output: () => string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Dovecot answers about a second after start: wait for its greeting, or say why it died. */
  async ready(): Promise<void> {
    const deadline = Date.now() + 15_000;
    let died = false;
    void this.exited.then(() => (died = true));
    while (Date.now() < deadline) {
      if (died) throw new Error(`Dovecot exited at start: ${this.output()}\n${this.log()}`);
      if (await greets(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`Dovecot did not answer on 127.0.0.1:${this.port} within 15 s: ${this.output()}\n${this.log()}`);
  }

  async addUser(email: string, password: string, options: { language?: MailboxLanguage } = {}): Promise<void> {
    const language = options.language ?? 'en';
    this.users.set(email.toLowerCase(), { password, sent: SENT_MAILBOX_NAMES[language] });
    this.writeUsers();
    const session = await this.session(email);
    try {
      await session.mailboxCreate(SENT_MAILBOX_NAMES[language]);
      // A mailbox called "Sent" that is not Sent Mail: a reader that goes by names finds the wrong one.
      if (language !== 'en') await session.mailboxCreate('Sent');
    } finally {
      await closeSession(session);
      this.sessions.delete(session);
    }
  }

  async setPassword(email: string, password: string): Promise<void> {
    const user = this.users.get(email.toLowerCase());
    if (!user) throw new Error(`Dovecot: no user ${email}`);
    user.password = password;
    this.writeUsers();
  }

  async renewUidValidity(email: string): Promise<void> {
    const maildir = join(this.root, 'mail', email.toLowerCase(), 'Maildir');
    const validity = async () => {
      const session = await this.session(email);
      try {
        const status = await session.status('INBOX', { uidValidity: true });
        return status ? String(status.uidValidity) : '';
      } finally {
        await closeSession(session);
        this.sessions.delete(session);
      }
    };
    const before = await validity();
    for (let tries = 0; tries < 3; tries++) {
      for (const file of readdirSync(maildir)) {
        if (file === 'dovecot-uidlist' || file.startsWith('dovecot.index')) rmSync(join(maildir, file), { force: true });
      }
      if ((await validity()) !== before) return;
      // UIDVALIDITY is the time in whole seconds: within the same second it comes out the same.
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    throw new Error(`Dovecot: the UIDVALIDITY of ${email}'s INBOX did not change`);
  }

  sentMailbox(email: string): string {
    const user = this.users.get(email.toLowerCase());
    if (!user) throw new Error(`Dovecot: no user ${email}`);
    return user.sent;
  }

  async session(email: string): Promise<ImapFlow> {
    const client = new ImapFlow({
      host: this.host,
      port: this.port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: `${email.toLowerCase()}*${MASTER.user}`, pass: MASTER.password },
      logger: false,
      disableAutoIdle: true,
    });
    client.on('error', () => {});
    await client.connect();
    this.sessions.add(client);
    return client;
  }

  log(): string {
    try {
      return readFileSync(join(this.root, 'dovecot.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async close(): Promise<void> {
    for (const session of this.sessions) await closeSession(session);
    this.sessions.clear();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(killer);
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  private writeUsers(): void {
    // Read by check-password at each login: `address:password` per line (test passwords have no ':').
    const lines = [...this.users].map(([email, u]) => `${email}:${u.password}`);
    const file = join(this.root, 'users');
    writeFileSync(`${file}.new`, `${lines.join('\n')}\n`);
    renameSync(`${file}.new`, file);
  }
}

async function closeSession(session: ImapFlow): Promise<void> {
  try {
    if (session.usable) await session.logout();
  } catch {
    // already gone
  }
  session.close();
}

/** A port that was free a moment ago: Dovecot needs a number in its configuration. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk: Buffer) => done(chunk.toString().startsWith('* OK')));
  });
}

function systemIds(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
  return { uid, gid };
}
