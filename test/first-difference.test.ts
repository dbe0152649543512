// The helper the thread tests compare whole training outcomes with: it must find every kind of
// difference they can have, or those tests would pass whatever the threads computed.
import { describe, expect, it } from 'vitest';
import { firstDifference } from './support/first-difference.js';

describe('firstDifference', () => {
  const outcome = () => ({ weights: [Float32Array.of(1, 2, 3)], losses: [0.5, 0.25], evaluation: { loss: 1, count: 3 } });

  it('finds nothing between equal results', () => {
    expect(firstDifference(outcome(), outcome())).toBeUndefined();
    expect(firstDifference([NaN], [NaN])).toBeUndefined();
  });

  it('names the first entry that differs, and both values', () => {
    const changed = outcome();
    changed.weights[0][2] = 4;
    expect(firstDifference(changed, outcome())).toBe('result.weights[0][2]: 4 against 3');
    const loss = outcome();
    loss.evaluation.loss = 2;
    expect(firstDifference(loss, outcome())).toBe('result.evaluation.loss: 2 against 1');
    expect(firstDifference([0], [-0])).toBe('result[0]: 0 against -0');
  });

  it('tells lengths, kinds of array and missing keys apart', () => {
    expect(firstDifference(Float32Array.of(1), Float32Array.of(1, 2))).toBe('result: 1 entries against 2');
    expect(firstDifference(Float32Array.of(1), Float64Array.of(1))).toBe('result: a Float32Array against a Float64Array');
    expect(firstDifference({ a: 1 }, { a: 1, b: 2 })).toBe('result.b: undefined against 2');
  });
});
