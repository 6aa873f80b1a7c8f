// The SDK's pure parts: backoff, close-code table, errors, codec. (Everything else is tested
// against a real server in the other files.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Backoff, CloseCode, ErrorCode, PonteError, closeAction, closeCodeName, decodeServerMessage, pb,
} from '../src/index.js';

describe('Backoff', () => {
  it('draws each wait from a doubling window, capped, never below retry-after', () => {
    const draws = [0.5, 0.999, 0, 0.25, 0.5, 0.5, 0.5];
    const b = new Backoff({ baseMs: 500, capMs: 30_000, random: () => draws.shift() });
    assert.deepEqual(b.next(), { delayMs: 250, windowMs: 500, attempt: 1 });
    assert.deepEqual(b.next(), { delayMs: 999, windowMs: 1000, attempt: 2 });
    assert.deepEqual(b.next(2000), { delayMs: 2000, windowMs: 2000, attempt: 3 }, 'retry-after wins');
    assert.equal(b.next().windowMs, 4000);
    b.attempt = 40;
    assert.deepEqual(b.next(), { delayMs: 15_000, windowMs: 30_000, attempt: 41 }, 'capped');
    b.reset();
    assert.equal(b.next().windowMs, 500);
  });

  it('refuses a window that makes no sense', () => {
    assert.throws(() => new Backoff({ baseMs: 0 }), RangeError);
    assert.throws(() => new Backoff({ baseMs: 1000, capMs: 10 }), RangeError);
  });
});

describe('close codes', () => {
  it('maps every code of CLOSE_CODES.md to its action', () => {
    const expected = {
      1000: 'none', 4000: 'give-up', 4001: 'give-up', 4002: 'give-up', 4003: 'give-up',
      4004: 'give-up', 4005: 'reconnect', 4006: 'reconnect', 4100: 'resume', 4101: 'resume',
      4102: 'resume', 4103: 'resume', 4104: 'resume', 4105: 'resume', 4106: 'resume',
      4200: 'give-up', 4201: 'give-up', 4202: 'give-up', 4401: 'give-up', 4403: 'give-up',
      4404: 'give-up', 1009: 'give-up',
    };
    for (const [code, action] of Object.entries(expected)) {
      assert.equal(closeAction(Number(code)), action, `close ${code}`);
    }
  });

  it('handles unknown codes by range, and lost connections as resume', () => {
    assert.equal(closeAction(4099), 'give-up');
    assert.equal(closeAction(4150), 'resume');
    assert.equal(closeAction(4250), 'give-up');
    assert.equal(closeAction(4499), 'give-up');
    assert.equal(closeAction(1006), 'resume');
    assert.equal(closeAction(1001), 'resume');
    assert.equal(closeCodeName(CloseCode.SERVER_SHUTDOWN), 'SERVER_SHUTDOWN');
    assert.equal(closeCodeName(4999), 'CLOSE_4999');
  });
});

describe('PonteError', () => {
  it('carries the stable code, its name and group', () => {
    const e = new PonteError({ code: ErrorCode.RATE_LIMITED, message: 'slow down', retryable: true, retryAfterMs: 1200, roomId: 'r' });
    assert.equal(e.code, 1500);
    assert.equal(e.codeName, 'RATE_LIMITED');
    assert.equal(e.group, 'limits');
    assert.equal(e.retryable, true);
    assert.equal(e.retryAfterMs, 1200);
    assert.equal(e.message, 'RATE_LIMITED: slow down');
    assert.ok(PonteError.is(e, 1500) && PonteError.is(e, 'RATE_LIMITED') && !PonteError.is(e, 'MUTED'));
  });

  it('names a code it does not know, as not retryable unless said', () => {
    const e = new PonteError({ code: 1799 });
    assert.equal(e.codeName, 'UNKNOWN_1799');
    assert.equal(e.group, 'whiteboard');
    assert.equal(e.retryable, false);
  });
});

describe('codec', () => {
  it('decodes a batch with 64-bit fields as numbers', () => {
    const bytes = pb.ServerMessage.encode({
      batch: { messages: [
        { event: { roomId: 'r', seq: 2 ** 40, serverTimeMs: 1767258000123, chatPosted: { text: 'a' } } },
        { requestId: 7, ack: { seq: 3, duplicate: true } },
      ] },
    }).finish();
    const msg = decodeServerMessage(bytes);
    assert.equal(msg.body, 'batch');
    const [event, ack] = msg.batch.messages;
    assert.equal(event.event.seq, 2 ** 40);
    assert.equal(event.event.serverTimeMs, 1767258000123);
    assert.equal(event.event.body, 'chatPosted');
    assert.equal(ack.requestId, 7);
    assert.deepEqual({ ...ack.ack }, { seq: 3, duplicate: true });
  });
});
