import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DOVECOT, type MachineFacts, type SystemService, findOnMachine, requireSystemService } from './system-service';

/**
 * The rule for system services, each branch on this machine: the facts (root, Debian) are
 * injected; the lookup, the lock and the apt-get process are real. apt-get itself is a stand-in
 * script (a test must not install packages on the machine): it records how it was called and,
 * on install, puts the service's file where the rule looks for it.
 */

let dir: string;
let service: SystemService;
let lines: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trickle-system-service-'));
  service = { ...DOVECOT, look: [join(dir, 'sbin', 'dovecot')] };
  lines = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in apt-get; `listsMissing` makes install fail until `update` has run, as on a fresh machine. */
function aptStandIn(options: { listsMissing?: boolean; broken?: boolean } = {}): string {
  const script = join(dir, 'apt-get');
  writeFileSync(
    script,
    `#!/bin/sh
echo "$* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> "${dir}/apt-calls"
${options.broken ? 'echo "E: Could not get lock /var/lib/dpkg/lock-frontend" >&2; exit 100' : ''}
[ "$1" = "-o" ] && shift 2 # DPkg::Lock::Timeout
case "$1" in
  update) touch "${dir}/lists" ;;
  install)
    ${options.listsMissing ? `[ -f "${dir}/lists" ] || { echo "E: Unable to locate package $4" >&2; exit 100; }` : ''}
    mkdir -p "${dir}/sbin" && touch "${dir}/sbin/dovecot" ;;
esac
`,
  );
  chmodSync(script, 0o755);
  return script;
}

function facts(overrides: Partial<MachineFacts>): MachineFacts {
  return {
    isRoot: true,
    isDebian: true,
    find: (look) => findOnMachine(look),
    aptGet: join(dir, 'apt-get'),
    log: (line) => lines.push(line),
    lockPath: join(dir, 'apt.lock'),
    ...overrides,
  };
}

const aptCalls = () => (existsSync(join(dir, 'apt-calls')) ? readFileSync(join(dir, 'apt-calls'), 'utf8').trim().split('\n') : []);

describe('a system service a test needs', () => {
  it('is used where it is, by absolute path or by name on PATH, and nothing is installed', async () => {
    aptStandIn();
    await expect(requireSystemService({ ...service, look: [join(dir, 'nowhere'), process.execPath] }, facts({}))).resolves.toBe(
      process.execPath,
    );
    const sh = await requireSystemService({ ...service, look: ['sh'] }, facts({}));
    expect(sh).toMatch(/\/sh$/);
    expect(aptCalls()).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('missing on Debian without root: fails with the exact command to run, installs nothing', async () => {
    aptStandIn();
    await expect(requireSystemService(service, facts({ isRoot: false }))).rejects.toThrow(
      `Dovecot (IMAP server) is needed by this test and is not installed (looked for ${service.look[0]}). Run: sudo apt-get install -y dovecot-imapd — then run the tests again.`,
    );
    expect(aptCalls()).toEqual([]);
  });

  it('missing on a machine that is not Debian: fails with how to get it there and on Debian, installs nothing', async () => {
    aptStandIn();
    const error = await requireSystemService(service, facts({ isDebian: false })).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('on macOS: brew install dovecot');
    expect((error as Error).message).toContain('sudo apt-get install -y dovecot-imapd');
    expect(aptCalls()).toEqual([]);
  });

  it('missing on Debian as root: installs it with apt-get, says so, and returns where it now is', async () => {
    aptStandIn();
    await expect(requireSystemService(service, facts({}))).resolves.toBe(service.look[0]);
    expect(aptCalls()).toEqual(['-o DPkg::Lock::Timeout=300 install -y -q dovecot-imapd DEBIAN_FRONTEND=noninteractive']);
    expect(lines[0]).toBe(
      'Dovecot (IMAP server) is missing: installing it with "apt-get install -y dovecot-imapd" (Debian, running as root)…',
    );
    expect(lines[1]).toBe(`Dovecot (IMAP server): installed dovecot-imapd, found at ${service.look[0]}.`);
  });

  it('on a fresh machine without package lists: runs apt-get update, then installs', async () => {
    aptStandIn({ listsMissing: true });
    await expect(requireSystemService(service, facts({}))).resolves.toBe(service.look[0]);
    expect(aptCalls().map((c) => c.split(' ')[2])).toEqual(['install', 'update', 'install']);
  });

  it('two tests needing it at once: one installs, the other waits and uses it', async () => {
    aptStandIn();
    const both = await Promise.all([requireSystemService(service, facts({})), requireSystemService(service, facts({}))]);
    expect(both).toEqual([service.look[0], service.look[0]]);
    expect(aptCalls()).toHaveLength(1);
    expect(existsSync(join(dir, 'apt.lock'))).toBe(false);
  });

  it('when apt-get fails: the error names the command and shows its output', async () => {
    aptStandIn({ broken: true });
    await expect(requireSystemService(service, facts({}))).rejects.toThrow(
      /apt-get install -y dovecot-imapd" failed \(exit code 100\)[\s\S]*Could not get lock/,
    );
    expect(existsSync(join(dir, 'apt.lock'))).toBe(false);
  });
});
