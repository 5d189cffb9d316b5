import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitDecodeSteps, stepMsAt } from './decode-step-fit.js';

const prior = { interceptMs: 30, slopeMsPerSeq: 1 };

describe('fitDecodeSteps', () => {
  it('fits a line through the measured (batch, step ms) points by least squares', () => {
    // y = 20 + 2x exactly at x = 2, 6, 10
    const fit = fitDecodeSteps(
      [
        { batchSize: 2, stepMs: 24 },
        { batchSize: 6, stepMs: 32 },
        { batchSize: 10, stepMs: 40 },
      ],
      prior,
    );
    assert.deepEqual(fit, { interceptMs: 20, slopeMsPerSeq: 2, numSamples: 3 });
    assert.equal(stepMsAt(fit, 16), 52);
  });

  it('averages noisy points: x = 1, 3 with y = 10, 14 and x = 2 with y = 13 give slope 2, intercept 8.33', () => {
    const fit = fitDecodeSteps(
      [
        { batchSize: 1, stepMs: 10 },
        { batchSize: 2, stepMs: 13 },
        { batchSize: 3, stepMs: 14 },
      ],
      prior,
    );
    // mean x 2, mean y 37/3; sxy = (-1)(10-37/3) + 0 + (1)(14-37/3) = 4; sxx = 2 -> slope 2
    assert.equal(fit.slopeMsPerSeq, 2);
    assert.ok(Math.abs(fit.interceptMs - (37 / 3 - 4)) < 1e-12);
  });

  it('clamps a negative slope (noise) to a flat line at the mean', () => {
    const fit = fitDecodeSteps(
      [
        { batchSize: 1, stepMs: 30 },
        { batchSize: 4, stepMs: 24 },
      ],
      prior,
    );
    assert.deepEqual(fit, { interceptMs: 27, slopeMsPerSeq: 0, numSamples: 2 });
  });

  it("draws the prior's slope through a single point, and is the prior with none", () => {
    assert.deepEqual(fitDecodeSteps([{ batchSize: 4, stepMs: 50 }], prior), {
      interceptMs: 46,
      slopeMsPerSeq: 1,
      numSamples: 1,
    });
    assert.deepEqual(fitDecodeSteps([], prior), { interceptMs: 30, slopeMsPerSeq: 1, numSamples: 0 });
  });
});
