import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isServiceErrorCode, SERVICE_ERROR_CODES, ServiceError } from './service-error.js';

describe('ServiceError', () => {
  it('round-trips through its wire form without cause or stack', () => {
    const err = new ServiceError('overloaded', 'busy', {
      retryAfterS: 3,
      param: 'model',
      cause: new Error('x'),
    });
    const wire = err.toWire();
    assert.deepEqual(wire, { code: 'overloaded', message: 'busy', param: 'model', retryAfterS: 3 });
    const back = ServiceError.fromWire(wire);
    assert.equal(back.code, 'overloaded');
    assert.equal(back.retryAfterS, 3);
    assert.equal(back.cause, undefined);
  });

  it('wraps foreign errors and passes ServiceErrors through', () => {
    const own = new ServiceError('timeout', 't');
    assert.equal(ServiceError.from(own), own);
    const cause = new TypeError('boom');
    const wrapped = ServiceError.from(cause, 'unavailable');
    assert.equal(wrapped.code, 'unavailable');
    assert.equal(wrapped.message, 'boom');
    assert.equal(wrapped.cause, cause);
    assert.equal(ServiceError.from('plain').code, 'internal');
  });

  it('knows its codes', () => {
    assert.equal(SERVICE_ERROR_CODES.length, 12);
    for (const code of SERVICE_ERROR_CODES) assert.ok(isServiceErrorCode(code));
    for (const bad of ['teapot', 'toString', 3, undefined]) assert.equal(isServiceErrorCode(bad), false);
  });
});
