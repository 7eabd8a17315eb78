import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { withFileLock } from './file-lock';

/**
 * The one rule for a program or library from the system that a test needs (an IMAP server, a
 * library the bundled browser links to):
 *
 * - present → use it;
 * - missing, on Debian, as root → install it with apt-get, saying so in the test output;
 * - otherwise → fail with the exact command to run.
 *
 * Never skip: a test that needs a missing service fails and says how to get it.
 */
export interface SystemService {
  /** What a person calls it, e.g. "Dovecot (IMAP server)". */
  name: string;
  /** Where to look: absolute paths, or command names searched on PATH. The first found is used. */
  look: string[];
  /** The Debian package that provides it. */
  debianPackage: string;
  /** How to get it elsewhere, for the error on a machine that is not Debian. */
  elsewhere?: string;
}

/** The facts the rule decides on, injectable so that each branch can be tested on any machine. */
export interface MachineFacts {
  isRoot: boolean;
  isDebian: boolean;
  /** Finds a program or file; undefined when it is missing. */
  find(look: string[]): string | undefined;
  /** The apt-get to run (a path or a name on PATH). */
  aptGet: string;
  /** Where "installing …" lines go: the test output. */
  log(line: string): void;
  /** The lock file that serialises installs across test processes. */
  lockPath: string;
}

export function realMachine(): MachineFacts {
  return {
    isRoot: process.getuid?.() === 0,
    isDebian: existsSync('/etc/debian_version'),
    find: findOnMachine,
    aptGet: 'apt-get',
    log: (line) => console.log(line),
    lockPath: join(tmpdir(), 'trickle-test-apt.lock'),
  };
}

/** Dovecot, the IMAP server the inbox tests will talk to. */
export const DOVECOT: SystemService = {
  name: 'Dovecot (IMAP server)',
  look: ['/usr/sbin/dovecot', 'dovecot'],
  debianPackage: 'dovecot-imapd',
  elsewhere: 'on macOS: brew install dovecot',
};

/**
 * Makes sure the service is there, installing it when the rule allows, and returns where it
 * was found. Throws, with the command to run, when it is missing and cannot be installed here.
 */
export async function requireSystemService(service: SystemService, facts: MachineFacts = realMachine()): Promise<string> {
  const found = facts.find(service.look);
  if (found) return found;

  const command = `apt-get install -y ${service.debianPackage}`;
  if (!facts.isDebian) {
    throw new Error(
      `${service.name} is needed by this test and is not installed (looked for ${service.look.join(', ')}). ` +
        `Install it${service.elsewhere ? ` (${service.elsewhere}; on Debian or Ubuntu: sudo ${command})` : ` — on Debian or Ubuntu: sudo ${command}`}, then run the tests again.`,
    );
  }
  if (!facts.isRoot) {
    throw new Error(
      `${service.name} is needed by this test and is not installed (looked for ${service.look.join(', ')}). ` +
        `Run: sudo ${command} — then run the tests again. (As root, the tests install it themselves.)`,
    );
  }

  // Two test files may need the same service at once: one installs, the other waits and finds it.
  return withFileLock(facts.lockPath, async () => {
    const foundMeanwhile = facts.find(service.look);
    if (foundMeanwhile) return foundMeanwhile;
    facts.log(`${service.name} is missing: installing it with "${command}" (Debian, running as root)…`);
    await aptInstall(facts.aptGet, service.debianPackage);
    const installed = facts.find(service.look);
    if (!installed) {
      throw new Error(
        `"${command}" succeeded but ${service.name} is still not found (looked for ${service.look.join(', ')}). ` +
          'The package may have moved it; tell the maintainers.',
      );
    }
    facts.log(`${service.name}: installed ${service.debianPackage}, found at ${installed}.`);
    return installed;
  });
}

/** apt-get install, with `apt-get update` first when the package lists lack it (a fresh machine). */
async function aptInstall(aptGet: string, pkg: string): Promise<void> {
  // Wait for dpkg's lock rather than fail while another apt-get (another run, the system) holds it.
  const waitForLock = ['-o', 'DPkg::Lock::Timeout=300'];
  const install = () => run(aptGet, [...waitForLock, 'install', '-y', '-q', pkg]);
  let result = await install();
  if (result.status !== 0) {
    const update = await run(aptGet, [...waitForLock, 'update', '-q']);
    if (update.status !== 0) throw aptFailed(`${aptGet} install -y ${pkg}`, result, `${aptGet} update`, update);
    result = await install();
  }
  if (result.status !== 0) throw aptFailed(`${aptGet} install -y ${pkg}`, result);
}

interface Run {
  status: number | null;
  output: string;
  error?: Error;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => resolve({ status: null, output, error }));
    child.once('close', (status) => resolve({ status, output }));
  });
}

function aptFailed(command: string, result: Run, updateCommand?: string, update?: Run): Error {
  const told = (r: Run) => {
    const why = r.error ? r.error.message : `exit code ${r.status}`;
    return `failed (${why}). Its last lines:\n${r.output.trim().split('\n').slice(-15).join('\n')}`;
  };
  const then = update ? `\n"${updateCommand}", tried next, ${told(update)}` : '';
  return new Error(`"${command}" ${told(result)}${then}\nFix what apt-get says, or install the package by hand, then run the tests again.`);
}

/** The first of `look` that exists: an absolute path as is, a bare name on PATH. */
export function findOnMachine(look: string[], path = process.env.PATH ?? ''): string | undefined {
  for (const candidate of look) {
    if (isAbsolute(candidate)) {
      if (existsSync(candidate)) return candidate;
      continue;
    }
    for (const dir of path.split(delimiter).filter(Boolean)) {
      const full = join(dir, candidate);
      try {
        accessSync(full, constants.X_OK);
        return full;
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}
