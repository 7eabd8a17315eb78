import { describe, expect, it } from 'vitest';
import type { AcceptedMessage } from '../support/test-gmail';
import { type CheckContext, checkInvariants, type MessageState, type Snapshot } from './invariants';

/**
 * The crash test is only as good as its checks: each invariant, given a state that breaks it,
 * must say so (and a sound state must pass). Synthetic states, no processes.
 */

const NOW = Date.parse('2026-11-23T12:00:00Z');
const ALICE = { id: 1, email: 'alice@gmail.test', emailNorm: 'alice@gmail.test', dailyCap: 5 };

function message(n: number, status: MessageState['status'], extra: Partial<MessageState> = {}): MessageState {
  return {
    id: n,
    campaignId: 1,
    email: `r${n}@example.com`,
    status,
    messageId: `<m${n}@t>`,
    accountId: null,
    sendStarted: false,
    batchId: null,
    settledHow: null,
    ...extra,
  };
}

function received(n: number, account = ALICE.email): AcceptedMessage {
  return {
    account,
    envelope: { from: account, to: [`r${n}@example.com`] },
    messageId: `<m${n}@t>`,
    raw: '',
    size: 0,
    headers: new Map(),
    at: NOW - 1000,
  };
}

/** r1 sent and accepted, r2 in doubt (never arrived), r3 queued; one send-log row each for r1 and r2. */
function sound(): { snapshot: Snapshot; ctx: CheckContext } {
  return {
    snapshot: {
      integrity: 'ok',
      foreignKeyProblems: 0,
      messages: [message(1, 'sent', { accountId: 1 }), message(2, 'in_doubt', { accountId: 1 }), message(3, 'queued')],
      sendLog: [
        { account: ALICE.emailNorm, messageRowId: 1, sentAt: NOW - 1000 },
        { account: ALICE.emailNorm, messageRowId: 2, sentAt: NOW - 900 },
      ],
      accounts: [ALICE],
      campaigns: [{ id: 1, status: 'sending' }],
      counters: new Map([
        ['1:sent', 1],
        ['1:in_doubt', 1],
        ['1:queued', 1],
      ]),
      lastBatch: { id: 1, finished: true },
      batches: { unfinished: 0, sent: 1 },
    },
    ctx: {
      phase: 'after kill',
      recipients: ['r1@example.com', 'r2@example.com', 'r3@example.com'],
      witness: { accepted: [received(1)], unacknowledged: [] },
      resentOnPurpose: new Map(),
      inDoubtSince: new Map(),
      settled: new Map(),
      startedAtLastKill: new Set(),
      now: NOW,
    },
  };
}

/** Counters as the triggers keep them, after a test changed the messages. */
function recount(snapshot: Snapshot): void {
  snapshot.counters = new Map();
  for (const m of snapshot.messages)
    snapshot.counters.set(`${m.campaignId}:${m.status}`, (snapshot.counters.get(`${m.campaignId}:${m.status}`) ?? 0) + 1);
}

describe('the crash test invariants', () => {
  it('pass on a sound state, after a kill and at the end', () => {
    const { snapshot, ctx } = sound();
    expect(checkInvariants(snapshot, ctx)).toEqual([]);
    snapshot.accounts = [{ ...ALICE, dailyCap: 2 }]; // no capacity left, so r3 may wait
    expect(checkInvariants(snapshot, { ...ctx, phase: 'final' })).toEqual([]);
  });

  it('catch a dashboard counter that disagrees with the messages', () => {
    const { snapshot, ctx } = sound();
    snapshot.counters.set('1:queued', 2);
    snapshot.counters.delete('1:sent');
    expect(checkInvariants(snapshot, ctx)).toEqual([
      'after kill: the counter for campaign:status 1:sent says 0, the messages 1',
      'after kill: the counter for campaign:status 1:queued says 2, the messages 1',
    ]);
  });

  it('catch a message delivered twice, unless the user resent it', () => {
    const { snapshot, ctx } = sound();
    ctx.witness = { accepted: [received(1), received(1)], unacknowledged: [] };
    expect(checkInvariants(snapshot, ctx)).toEqual(['after kill: r1@example.com was delivered 2 times (0 resends asked for)']);
    expect(checkInvariants(snapshot, { ...ctx, resentOnPurpose: new Map([['<m1@t>', 1]]) })).toEqual([]);
  });

  it('catch an in-doubt message sent again without the user', () => {
    const { snapshot, ctx } = sound();
    expect(checkInvariants(snapshot, ctx)).toEqual([]); // r2 first seen in doubt, never delivered
    ctx.witness = { accepted: [received(1), received(2)], unacknowledged: [] };
    expect(checkInvariants(snapshot, ctx)).toContain('after kill: r2@example.com was in doubt and was sent again without the user asking');
  });

  it('catch a committed status that changed', () => {
    const { snapshot, ctx } = sound();
    expect(checkInvariants(snapshot, ctx)).toEqual([]);
    snapshot.messages[0] = message(1, 'queued');
    expect(checkInvariants(snapshot, ctx)).toContain('after kill: r1@example.com was sent and is now queued');
  });

  it('catch an interrupted send that the restart did not put in doubt', () => {
    const { snapshot, ctx } = sound();
    ctx.startedAtLastKill = new Set(['<m3@t>']);
    expect(checkInvariants(snapshot, ctx)).toEqual([
      'after kill: r3@example.com was being sent when the process died, but after the restart it is queued, not in doubt',
    ]);
  });

  it('catch a lost message, a sent one the server never had, and one the server had that would go again', () => {
    const lost = sound();
    lost.snapshot.messages.pop();
    expect(checkInvariants(lost.snapshot, lost.ctx)[0]).toMatch(/2 messages .* for 3 recipients/);

    const phantom = sound();
    phantom.ctx.witness = { accepted: [], unacknowledged: [received(1)] };
    expect(checkInvariants(phantom.snapshot, phantom.ctx)).toEqual(['after kill: r1@example.com is sent but the server never accepted it']);

    const again = sound();
    again.ctx.witness = { accepted: [received(1)], unacknowledged: [received(3)] };
    expect(checkInvariants(again.snapshot, again.ctx)).toEqual(['after kill: r3@example.com reached the server but is queued']);
  });

  it('let Sent Mail settle an in-doubt message: sent if the server had it whole, queued again (and sent once) if it never did', () => {
    const { snapshot, ctx } = sound();
    ctx.witness = { accepted: [received(1)], unacknowledged: [received(2)] };
    expect(checkInvariants(snapshot, ctx)).toEqual([]); // r2 in doubt; the server had it, unacknowledged
    snapshot.messages[1] = message(2, 'sent', { accountId: 1, settledHow: 'sent_mail_found' });
    recount(snapshot);
    expect(checkInvariants(snapshot, ctx)).toEqual([]);
    // …and the batch that put it in doubt does not count it as sent.
    snapshot.accounts = [{ ...ALICE, dailyCap: 2 }];
    expect(checkInvariants(snapshot, { ...ctx, phase: 'final', witness: { ...ctx.witness, mailboxLooked: true } })).toEqual([]);

    const never = sound();
    expect(checkInvariants(never.snapshot, never.ctx)).toEqual([]); // r2 in doubt, never delivered
    never.snapshot.messages[1] = message(2, 'sent', { accountId: 1, settledHow: 'sent_mail_missing' });
    recount(never.snapshot);
    never.ctx.witness = { accepted: [received(1), received(2)], unacknowledged: [] };
    expect(checkInvariants(never.snapshot, never.ctx)).toEqual([]);
  });

  it('catch a message Sent Mail "confirmed" that the server never had, and one "missing" from it that the server had', () => {
    const phantom = sound();
    phantom.snapshot.messages[1] = message(2, 'sent', { accountId: 1, settledHow: 'sent_mail_found' });
    recount(phantom.snapshot);
    expect(checkInvariants(phantom.snapshot, phantom.ctx)).toEqual(['after kill: r2@example.com is sent but the server never accepted it']);

    const had = sound();
    had.ctx.witness = { accepted: [received(1)], unacknowledged: [received(2)] };
    expect(checkInvariants(had.snapshot, had.ctx)).toEqual([]);
    had.snapshot.messages[1] = message(2, 'queued', { settledHow: 'sent_mail_missing' });
    recount(had.snapshot);
    expect(checkInvariants(had.snapshot, had.ctx)).toContain(
      'after kill: r2@example.com was queued again as missing from Sent Mail, but the server had it',
    );
  });

  it('after the look at the mailboxes, catch a message left in doubt although its copy is in Sent Mail', () => {
    const { snapshot, ctx } = sound();
    snapshot.accounts = [{ ...ALICE, dailyCap: 2 }];
    ctx.witness = { accepted: [received(1)], unacknowledged: [received(2)] };
    expect(checkInvariants(snapshot, { ...ctx, phase: 'final' })).toEqual([]); // no look: it may wait for the user
    expect(checkInvariants(snapshot, { ...ctx, phase: 'final', witness: { ...ctx.witness, mailboxLooked: true } })).toEqual([
      'final: r2@example.com is still in doubt although its copy is in Sent Mail',
    ]);
  });

  it('catch an account over its cap, by the server and by the send log', () => {
    const { snapshot, ctx } = sound();
    snapshot.accounts = [{ ...ALICE, dailyCap: 1 }];
    expect(checkInvariants(snapshot, ctx)).toEqual(['after kill: alice@gmail.test has 2 sends in its 24 h log, cap 1']);
    ctx.witness = { accepted: [received(1)], unacknowledged: [received(2)] };
    expect(checkInvariants(snapshot, ctx)).toContain('after kill: alice@gmail.test delivered 2 messages in 24 h, cap 1');
  });

  it('at the end, catch a broken file, messages left waiting or in flight, and a campaign stuck sending', () => {
    const { snapshot, ctx } = sound();
    snapshot.integrity = '*** in database main *** Page 5 is never used';
    snapshot.messages[2] = message(3, 'sending', { sendStarted: true });
    recount(snapshot);
    expect(checkInvariants(snapshot, { ...ctx, phase: 'final' })).toEqual([
      'final: integrity_check says *** in database main *** Page 5 is never used',
      'final: 1 messages left in sending',
    ]);

    const waiting = sound();
    expect(checkInvariants(waiting.snapshot, { ...waiting.ctx, phase: 'final' })).toEqual([
      'final: 1 messages still wait although 3 sends of capacity are left',
    ]);

    const stuck = sound();
    stuck.snapshot.messages[2] = message(3, 'failed');
    recount(stuck.snapshot);
    expect(checkInvariants(stuck.snapshot, { ...stuck.ctx, phase: 'final' })).toEqual([
      "final: campaign 1 is 'sending' with nothing left to send",
    ]);
  });
});
