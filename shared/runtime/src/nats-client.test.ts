import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  cancelCodec,
  type RouteDecision,
  type RouteRequest,
  routeDecisionCodec,
  routeRequestCodec,
  ServiceError,
  subjects,
} from '@pdserve/protocol';
import { type NatsServerHandle, startNatsServer } from '@pdserve/testing';
import { CancelBus } from './cancel-bus.js';
import { NatsClient } from './nats-client.js';
import { silentLogger } from './runtime-logger.js';
import { TestLogger } from './test-logger.js';

const routeRequest: RouteRequest = {
  requestId: 'r1',
  model: 'm',
  numPromptTokens: 32,
  blockHashes: ['a', 'b'],
  maxTokens: 16,
  arrivalTimeMs: 1,
};

function decisionFor(r: RouteRequest, decodeInstanceId: string): RouteDecision {
  const base = { requestId: r.requestId, numCachedTokens: 16, predictedTtftMs: 10, predictedTpotMs: 5 };
  return { ...base, mode: 'colocated', decodeInstanceId };
}

const code =
  (c: string, pattern = /./) =>
  (e: unknown) =>
    e instanceof ServiceError && e.code === c && pattern.test(e.message);

describe('NatsClient', () => {
  let server: NatsServerHandle;
  let a: NatsClient;
  let b: NatsClient;
  const logger = new TestLogger();

  before(async () => {
    server = await startNatsServer();
    a = await NatsClient.connect({ servers: server.url, name: 'a', logger });
    b = await NatsClient.connect({ servers: server.url, name: 'b', logger: silentLogger });
  });
  after(async () => {
    await a.close();
    await b.close();
    await server.stop();
  });

  it('publishes and subscribes typed messages with headers', async () => {
    const subject = subjects.cancel('r-pub');
    const got = new Promise<[unknown, Record<string, string>]>((resolve) => {
      a.subscribe(subject, cancelCodec, (message, meta) => resolve([message, meta.headers]));
    });
    await a.flush();
    b.publish(
      subject,
      cancelCodec,
      { requestId: 'r-pub', reason: 'test' },
      { headers: { traceparent: 'tp-1' } },
    );
    const [message, headers] = await got;
    assert.deepEqual(message, { requestId: 'r-pub', reason: 'test' });
    assert.equal(headers.traceparent, 'tp-1');
  });

  it('skips a message of the wrong type, logs it, and keeps the subscription', async () => {
    const subject = subjects.cancel('r-mixed');
    const got: string[] = [];
    const second = new Promise<void>((resolve) => {
      a.subscribe(subject, cancelCodec, (m) => {
        got.push(m.requestId);
        if (got.length === 1) resolve();
      });
    });
    await a.flush();
    b.publish(subject, routeRequestCodec, routeRequest);
    b.publish(subject, cancelCodec, { requestId: 'ok' });
    await second;
    assert.deepEqual(got, ['ok']);
    assert.ok(logger.lines.some((l) => /not a Cancel/.test(l)));
  });

  it('serves requests in a queue group and returns typed replies', async () => {
    const subject = subjects.route('m');
    const servedBy: string[] = [];
    for (const name of ['router-1', 'router-2']) {
      a.serve(
        subject,
        routeRequestCodec,
        routeDecisionCodec,
        (r) => {
          servedBy.push(name);
          return decisionFor(r, `d-${name}`);
        },
        { queue: 'router' },
      );
    }
    await a.flush();
    for (let i = 0; i < 6; i++) {
      const reply = await b.request(subject, routeRequestCodec, routeRequest, routeDecisionCodec);
      assert.equal(reply.requestId, 'r1');
      assert.match(reply.decodeInstanceId, /^d-router-/);
    }
    assert.equal(servedBy.length, 6, 'each request served once');
  });

  it('carries a thrown ServiceError back to the requester', async () => {
    const subject = subjects.route('m-overloaded');
    a.serve(subject, routeRequestCodec, routeDecisionCodec, () => {
      throw new ServiceError('overloaded', 'no option meets the SLO', { retryAfterS: 2 });
    });
    await a.flush();
    const err = await b.request(subject, routeRequestCodec, routeRequest, routeDecisionCodec).catch((e) => e);
    assert.ok(err instanceof ServiceError);
    assert.equal(err.code, 'overloaded');
    assert.equal(err.retryAfterS, 2);
  });

  it('turns other failures into ServiceErrors: handler bugs, mismatched messages, no responder, timeout', async () => {
    const buggy = subjects.route('m-buggy');
    a.serve(buggy, routeRequestCodec, routeDecisionCodec, () => {
      throw new TypeError('oops');
    });
    const silent = subjects.route('m-silent');
    a.subscribe(silent, routeRequestCodec, () => {}); // receives but never replies
    await a.flush();
    const req = (subject: string, timeoutMs?: number) =>
      b.request(subject, routeRequestCodec, routeRequest, routeDecisionCodec, { timeoutMs });
    await assert.rejects(req(buggy), code('internal', /oops/));
    const wrongType = b.request(buggy, cancelCodec, { requestId: 'x' }, routeDecisionCodec);
    await assert.rejects(wrongType, code('internal', /expected a RouteRequest message, got Cancel/));
    await assert.rejects(req(subjects.route('nobody')), code('unavailable', /no service listens/));
    await assert.rejects(req(silent, 100), code('timeout'));
  });

  it('publishes and receives cancellations', async () => {
    const bus = new CancelBus(a);
    const seen = new Promise<string>((resolve) => bus.listen((c) => resolve(`${c.requestId}:${c.reason}`)));
    const { signal, ready, dispose } = bus.signal('r-cancel');
    await ready;
    await a.flush();
    new CancelBus(b).cancel('r-cancel', 'client disconnected');
    const aborted = signal.aborted
      ? Promise.resolve()
      : new Promise((r) => signal.addEventListener('abort', r));
    assert.equal(await seen, 'r-cancel:client disconnected');
    await aborted;
    assert.ok(code('aborted', /client disconnected/)(signal.reason));
    dispose();
  });

  it('gives up the first connection after connectTimeoutMs', async () => {
    const dead = 'nats://127.0.0.1:1';
    const attempt = NatsClient.connect({
      servers: dead,
      name: 'x',
      connectTimeoutMs: 200,
      logger: silentLogger,
    });
    await assert.rejects(attempt, code('unavailable', /cannot connect/));
  });
});
