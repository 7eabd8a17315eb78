/**
 * `invoke`, the one gate both doors go through: it wraps every answer in the envelope,
 * passes the engine's own errors on in words, hides the internals of an unexpected failure,
 * and refuses invalid arguments (checked by the operation itself) without changing anything.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { snapshotTables } from '../../test/support/db-snapshot';
import { EngineError } from '../engine/core/errors';
import { type TestSetup, createTestEngine } from '../../test/support/test-engine';
import { API_METHOD_NAMES, type ApiMethodName } from './contract';
import { type ApiHandlers, createApiHandlers, invoke } from './handlers';

let setup: TestSetup;
let handlers: ApiHandlers;
beforeEach(async () => {
  setup = await createTestEngine();
  handlers = createApiHandlers(setup.engine, { version: '9.9.9', door: 'desktop' });
});
afterEach(async () => setup?.close());

/** The same table with every handler spied on, so a test can see which ones ran. */
function spiedHandlers(): ApiHandlers {
  const spied = { ...handlers } as Record<ApiMethodName, (args: unknown) => Promise<unknown>>;
  for (const name of API_METHOD_NAMES) spied[name] = vi.fn(handlers[name] as (args: unknown) => Promise<unknown>);
  return spied as unknown as ApiHandlers;
}

describe('invoke', () => {
  it('wraps a result as { ok: true, value }', async () => {
    expect(await invoke(handlers, 'app.info', undefined)).toEqual({
      ok: true,
      value: { version: '9.9.9', door: 'desktop', dataDir: setup.dataDir },
    });
    expect(await invoke(handlers, 'accounts.list', undefined)).toEqual({ ok: true, value: [] });
    // A JSON `null` body means "no arguments", as an empty body does.
    expect(await invoke(handlers, 'campaigns.list', null)).toEqual({ ok: true, value: [] });
    const created = await invoke(handlers, 'campaigns.create', { name: 'News', subject: 'Hi', text: 'Hello', csv: 'email\na@example.com' });
    expect(created).toMatchObject({ ok: true, value: { campaign: { name: 'News', status: 'draft' }, report: { imported: 1 } } });
  });

  it('passes an EngineError on as { ok: false, error: { code, message, field } }', async () => {
    const missing = await invoke(handlers, 'campaigns.get', { id: 424242 });
    expect(missing).toEqual({
      ok: false,
      error: { code: 'not_found', message: expect.stringMatching(/424242 does not exist/) },
    });
    expect(missing.ok === false && 'field' in missing.error).toBe(false);

    // Thrown by the engine with a field: the field reaches the caller, the other details do not.
    const custom = {
      ...handlers,
      'accounts.remove': async () => {
        throw new EngineError('conflict', 'That account is sending a message right now. Try again in a moment.', {
          field: 'id',
          response: '250 2.0.0 internal detail',
        });
      },
    } as ApiHandlers;
    expect(await invoke(custom, 'accounts.remove', { id: 1 })).toEqual({
      ok: false,
      error: { code: 'conflict', message: 'That account is sending a message right now. Try again in a moment.', field: 'id' },
    });
  });

  it('reports invalid arguments as invalid_input naming the field, in words', async () => {
    const result = await invoke(handlers, 'accounts.add', { email: 'not-an-address', appPassword: 'x' });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'email' } });
    expect(result.ok === false && result.error.message).toMatch(/^email: /);

    const missing = await invoke(handlers, 'accounts.add', { email: 'someone@gmail.com' });
    expect(missing).toEqual({
      ok: false,
      error: { code: 'invalid_input', field: 'appPassword', message: 'appPassword: This is required.' },
    });
    // Nothing was stored, and no login was even attempted.
    expect(await setup.engine.accounts.list()).toEqual([]);
    expect(setup.gmail.logins).toEqual([]);
  });

  it('turns an unexpected error into code "internal" without leaking its text, and tells the logger', async () => {
    const onUnexpected = vi.fn();
    const broken = {
      ...handlers,
      'campaigns.list': async () => {
        throw new Error('SQLITE_CORRUPT: database disk image is malformed at /home/ann/.config/Trickle/trickle.sqlite');
      },
    } as ApiHandlers;
    const result = await invoke(broken, 'campaigns.list', undefined, onUnexpected);
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
    const text = JSON.stringify(result);
    expect(text).not.toMatch(/SQLITE|malformed|\/home\/ann|trickle\.sqlite/);
    expect(result.ok === false && result.error.message).toMatch(/Try again/);
    expect(onUnexpected).toHaveBeenCalledTimes(1);
    expect(onUnexpected.mock.calls[0]![1]).toBe('campaigns.list');
    expect(String(onUnexpected.mock.calls[0]![0])).toMatch(/SQLITE_CORRUPT/);

    // Not even a thrown string or object leaks.
    const weird = { ...handlers, 'settings.get': async () => Promise.reject({ password: 'hunter2hunter2' }) } as unknown as ApiHandlers;
    const weirdResult = await invoke(weird, 'settings.get', undefined);
    expect(weirdResult).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(weirdResult)).not.toContain('hunter2');
  });

  it('rejects invalid arguments before a side-effecting method changes anything: sending.pause { unexpected: 1 } pauses nothing', async () => {
    const result = await invoke(handlers, 'sending.pause', { unexpected: 1 });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect((await setup.engine.sending.status()).paused).toBe(false);

    // The same call without the stray argument does pause: the refusal above was the validation.
    expect(await invoke(handlers, 'sending.pause', undefined)).toMatchObject({ ok: true, value: { paused: true } });
    expect((await setup.engine.sending.status()).paused).toBe(true);
  });

  // Arguments are checked once, by the operation itself (methods.ts): what the user sees is the
  // refusal and a database left exactly as it was, whichever method was called.
  it('validates every method: an unknown argument is refused and changes nothing', async () => {
    const reader = new Database(join(setup.dataDir, 'trickle.sqlite'), { readonly: true });
    try {
      const before = snapshotTables(reader);
      for (const name of API_METHOD_NAMES) {
        const result = await invoke(handlers, name, { unexpectedArgument: 1 });
        expect(result, name).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      }
      // Arguments that are not an object at all are refused the same way.
      for (const args of ['accounts', 42, [1, 2], true]) {
        expect(await invoke(handlers, 'campaigns.queue', args)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      }
      expect(snapshotTables(reader)).toEqual(before);
      expect(setup.gmail.logins).toEqual([]);
      expect(setup.gmail.accepted).toEqual([]);
    } finally {
      reader.close();
    }
  });

  it('answers unknown_method for a name not in the contract, including names inherited from Object', async () => {
    const spied = spiedHandlers();
    for (const name of ['accounts.delete', 'constructor', '__proto__', 'toString', 'hasOwnProperty', '']) {
      const result = await invoke(spied, name, {});
      expect(result, name).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    }
    expect((await invoke(spied, 'accounts.delete', {})).ok === false).toBe(true);
    for (const name of API_METHOD_NAMES) expect(spied[name]).not.toHaveBeenCalled();
  });
});
