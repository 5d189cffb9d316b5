import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError } from './service-error.js';
import { escapeSubjectToken, MAX_SUBJECT_TOKEN_LENGTH, unescapeSubjectToken } from './subject-token.js';
import { subjects } from './subjects.js';

const invalid = (err: unknown) => err instanceof ServiceError && err.code === 'invalid_request';

describe('subject tokens', () => {
  it('keeps safe characters and escapes the rest reversibly', () => {
    assert.equal(escapeSubjectToken('cmpl-abc_123', 'requestId'), 'cmpl-abc_123');
    const tricky = ['meta-llama/Llama-3.1-8B', 'a.b', 'x*y>z', 'sp ace', 'eq=ual', 'tab\t', 'é漢😀', '%'];
    for (const value of tricky) {
      const token = escapeSubjectToken(value, 'model');
      assert.match(token, /^[A-Za-z0-9_=-]+$/, `${value} -> ${token}`);
      assert.equal(unescapeSubjectToken(token, 'model'), value);
    }
    assert.equal(escapeSubjectToken('Llama-3.1', 'model'), 'Llama-3=2E1');
  });

  it('keeps distinct values distinct', () => {
    const values = ['a.b', 'a=2Eb', 'a_b', 'a-b', 'a=b'];
    const tokens = new Set(values.map((v) => escapeSubjectToken(v, 'x')));
    assert.equal(tokens.size, values.length);
  });

  it('rejects empty and over-long values with invalid_request', () => {
    assert.throws(() => escapeSubjectToken('', 'requestId'), invalid);
    assert.throws(() => escapeSubjectToken('a'.repeat(MAX_SUBJECT_TOKEN_LENGTH + 1), 'requestId'), invalid);
    assert.throws(() => escapeSubjectToken('.'.repeat(100), 'requestId'), /too long/);
  });

  it('rejects tokens that escapeSubjectToken cannot have made', () => {
    for (const bad of ['', 'a.b', 'a*', '=2', '=zz', 'a=2e', '=FF']) {
      assert.throws(() => unescapeSubjectToken(bad, 'key'), invalid, bad);
    }
  });
});

describe('subjects', () => {
  it('builds every subject from escaped tokens', () => {
    assert.equal(subjects.route('llama.7b'), 'pdserve.llama=2E7b.router.route');
    assert.equal(subjects.submit('m', 'i-1'), 'pdserve.m.instance.i-1.submit');
    assert.equal(subjects.heartbeat('m', 'i.1'), 'pdserve.m.instance.i=2E1.heartbeat');
    assert.equal(subjects.allHeartbeats('m'), 'pdserve.m.instance.*.heartbeat');
    assert.equal(subjects.kvEvents('m', 'i'), 'pdserve.m.kv.events.i');
    assert.equal(subjects.allKvEvents('m'), 'pdserve.m.kv.events.*');
    assert.equal(subjects.stream('r>1'), 'pdserve.stream.r=3E1');
    assert.equal(subjects.streamReplay('r'), 'pdserve.stream.r.replay');
    assert.equal(subjects.cancel('r*'), 'pdserve.cancel.r=2A');
    assert.equal(subjects.allCancels(), 'pdserve.cancel.*');
    assert.equal(subjects.kvXfer('host-1', 'chunk'), 'pdserve.kv.host-1.xfer.chunk');
    assert.equal(subjects.allKvXfer('host-1'), 'pdserve.kv.host-1.xfer.*');
  });

  it('never lets a value add a token or a wildcard', () => {
    for (const hostile of ['a.b.c', '*', '>', 'a b', 'x.>']) {
      const subject = subjects.stream(hostile);
      assert.equal(subject.split('.').length, 3, subject);
      assert.doesNotMatch(subject, /[*> ]/);
    }
  });

  it('rejects reserved model names, unknown transfer ops and empty ids', () => {
    for (const model of ['stream', 'cancel', 'kv']) assert.throws(() => subjects.route(model), invalid);
    assert.doesNotThrow(() => subjects.route('kv2'));
    assert.throws(() => subjects.kvXfer('a', 'explode' as never), invalid);
    assert.throws(() => subjects.submit('m', ''), invalid);
  });

  it('round-trips instance keys and builds key filters', () => {
    const key = subjects.instanceKey('org/model.v2', 'host:1/gpu0');
    assert.match(key, /^[-/_=.A-Za-z0-9]+$/, 'a valid NATS KV key');
    assert.deepEqual(subjects.parseInstanceKey(key), { model: 'org/model.v2', instanceId: 'host:1/gpu0' });
    assert.equal(subjects.instanceKeyFilter(), '>');
    assert.equal(subjects.instanceKeyFilter('m.1'), 'm=2E1.*');
    assert.throws(() => subjects.parseInstanceKey('a.b.c'), invalid);
  });
});
