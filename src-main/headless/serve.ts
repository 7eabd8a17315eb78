/**
 * Headless mode: `npm run serve [-- --port 4580 --host 127.0.0.1 --data-dir DIR]`.
 * One Node process owns the engine and serves the built renderer and the API.
 *
 * Two flags put right what a refused start names: `--restore-backup` puts the newest good backup
 * in place of a damaged or lost database, `--replace-lost-key` makes a new key when the one that
 * protected the stored app passwords is gone for good.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiHandlers } from '../api/handlers';
import { EngineError, consoleLogger, createEngine, restoreFromBackup, silentLogger } from '../engine';
import { loadAccessToken } from './access-token';
import { defaultDataDir } from './data-dir';
import { createHeadlessServer } from './server';

const VERSION = '0.1.0';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4580' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      'restore-backup': { type: 'boolean', default: false },
      'replace-lost-key': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('Usage: npm run serve -- [--port 4580] [--host 127.0.0.1] [--data-dir DIR] [--restore-backup] [--replace-lost-key]');
    return;
  }
  // How to run this again with a flag, for the advice printed when the start is refused.
  again = (flag) => `npm run serve -- ${values['data-dir'] !== undefined ? `--data-dir "${values['data-dir']}" ` : ''}${flag}`;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a number from 0 to 65535, not “${values.port}”.`);
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  if (values['restore-backup']) console.warn((await restoreFromBackup({ dataDir, logger: silentLogger })).message);
  const engine = await createEngine({ dataDir, logger: consoleLogger, replaceLostKey: values['replace-lost-key'] });
  const token = loadAccessToken(dataDir, process.env.TRICKLE_TOKEN);
  const staticDir = resolve(dirname(fileURLToPath(import.meta.url)), '../renderer');
  const server = createHeadlessServer({
    engine,
    handlers: createApiHandlers(engine, { version: VERSION, door: 'headless' }),
    token,
    staticDir,
    logger: consoleLogger,
  });
  const recovered = await engine.start();
  if (recovered.inDoubt > 0) {
    console.warn(`${recovered.inDoubt} message(s) were being sent when Trickle last stopped; they are marked “in doubt” for you to check.`);
  }
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, values.host, () => resolvePromise());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = values.host === '0.0.0.0' || values.host === '::' ? '127.0.0.1' : values.host;
  const urlHost = shownHost.includes(':') ? `[${shownHost}]` : shownHost;
  console.log(`Trickle is running. Data: ${join(dataDir)}`);
  console.log(`Open http://${urlHost}:${actualPort}/?token=${token}`);
  console.log('Press Ctrl-C to stop; the message being sent finishes first.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping…`);
    server.closeAllConnections?.();
    server.close();
    await engine.stop();
    console.log('Stopped. Nothing queued was lost.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

let again = (flag: string) => `npm run serve -- ${flag}`;

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(message.startsWith('Trickle could not start') ? message : `Trickle could not start: ${message}`);
  const remedy = error instanceof EngineError ? error.details?.remedy : undefined;
  if (remedy === 'restore-backup')
    console.error(`To restore the latest good backup (the damaged file is kept): ${again('--restore-backup')}`);
  if (remedy === 'replace-lost-key') console.error(`If the key is lost for good, start with a new one: ${again('--replace-lost-key')}`);
  process.exit(1);
});
