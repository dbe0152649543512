import { beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime.js';
import { maxRelativeError, randomArray, randomLabels, sigmoid, softmaxCrossEntropy } from './support/reference.js';
import { buildUnderTest, getF32, put, testRuntime } from './support/runtime.js';

const COUNTS = [1, 3, 4, 5, 17, 100, 784, 1000];
const MATRICES: [number, number][] = [[1, 1], [1, 3], [3, 5], [17, 4], [5, 17], [100, 10], [100, 100], [7, 784]];

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

describe('kernel build', () => {
  it('is the one requested', () => {
    if (buildUnderTest !== 'auto') expect(runtime.kernels.build).toBe(buildUnderTest);
    expect(runtime.kernels.exports.kernelBuild()).toBe(runtime.kernels.build === 'relaxed-simd' ? 1 : 0);
  });
});

describe('addBiasRows', () => {
  it.each(MATRICES)('%i×%i', (rows, cols) => {
    const x = randomArray(rows * cols, rows + cols);
    const bias = randomArray(cols, cols * 3);
    const xAt = put(runtime, x);
    runtime.kernels.exports.addBiasRows(xAt, put(runtime, bias), rows, cols);
    const got = getF32(runtime, xAt, rows * cols);
    // One f32 addition per element: the result must equal JS's rounded sum exactly.
    for (let i = 0; i < x.length; i++) expect(got[i]).toBe(Math.fround(x[i] + bias[i % cols]));
  });

  it.each(MATRICES)('%i×%i writes nothing past the block', (rows, cols) => {
    // x and bias continue for 4 floats, so a vector step past the last column would move the guard.
    const guard = randomArray(4, rows * cols + 2);
    const xAt = put(runtime, Float32Array.from([...randomArray(rows * cols, rows + cols), ...guard]));
    runtime.kernels.exports.addBiasRows(xAt, put(runtime, randomArray(cols + 4, cols * 3)), rows, cols);
    expect(getF32(runtime, xAt + 4 * rows * cols, 4)).toEqual(guard);
  });
});

describe('columnSums', () => {
  it.each(MATRICES)('%i×%i, overwrite and accumulate', (rows, cols) => {
    const x = randomArray(rows * cols, rows * cols + 1);
    const start = randomArray(cols, 99);
    const outAt = put(runtime, start);
    const xAt = put(runtime, x);
    const want = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[c] += x[r * cols + c];
    runtime.kernels.exports.columnSums(outAt, xAt, rows, cols, false);
    expect(maxRelativeError(getF32(runtime, outAt, cols), want, 1)).toBeLessThan(rows * 2 ** -23);
    runtime.kernels.exports.columnSums(outAt, xAt, rows, cols, true);
    expect(maxRelativeError(getF32(runtime, outAt, cols), want.map((v) => 2 * v), 1)).toBeLessThan(rows * 2 ** -22);
  });

  it.each(MATRICES)('%i×%i writes nothing past the sums', (rows, cols) => {
    // The rows continue for 4 floats, so a vector step past the last column would move the guard.
    const guard = randomArray(4, cols + 5);
    const outAt = put(runtime, Float32Array.from([...randomArray(cols, cols), ...guard]));
    runtime.kernels.exports.columnSums(outAt, put(runtime, randomArray(rows * cols + 4, rows + 1)), rows, cols, true);
    expect(getF32(runtime, outAt + 4 * cols, 4)).toEqual(guard);
  });
});

describe('sigmoid', () => {
  it.each(COUNTS)('forward, %i values including extremes', (count) => {
    const x = randomArray(count, count, 12);
    if (count > 4) x.set([0, -100, 100, 1e-8]);
    const xAt = put(runtime, x);
    runtime.kernels.exports.sigmoidForward(xAt, xAt, count);
    const got = getF32(runtime, xAt, count);
    for (let i = 0; i < count; i++) {
      const want = sigmoid(x[i]);
      // exp4's polynomial is within a few f32 ulps; 1e-6 relative is ~8 ulps.
      expect(Math.abs(got[i] - want)).toBeLessThanOrEqual(1e-6 * want + 1e-30);
    }
  });

  it('a NaN stays NaN through the clamp; ±∞ and inputs past ±80 give the clamped values', () => {
    const x = Float32Array.from([NaN, -NaN, Infinity, -Infinity, 80, -80, 87.5, -87.5, 88.5, NaN, 1e-40, -0]);
    const xAt = put(runtime, x);
    runtime.kernels.exports.sigmoidForward(xAt, xAt, x.length); // two vectors and a scalar tail
    const got = getF32(runtime, xAt, x.length);
    for (const i of [0, 1, 9]) expect(got[i]).toBeNaN();
    for (const i of [2, 4, 6, 8]) expect(got[i]).toBe(1);
    // Below −80 the input is clamped to −80, so −∞, −80 and −87.5 give sigmoid(−80).
    expect(Math.abs(got[5] - sigmoid(-80))).toBeLessThanOrEqual(1e-6 * sigmoid(-80));
    expect([got[3], got[7]]).toEqual([got[5], got[5]]);
    expect(Array.from(got.subarray(10))).toEqual([0.5, 0.5]);
  });

  it.each(COUNTS)('backward, %i values: grad · h(1 − h)', (count) => {
    const h = randomArray(count, count + 5).map((v) => (v + 1) / 2);
    const g = randomArray(count, count + 6);
    const gAt = put(runtime, g);
    runtime.kernels.exports.sigmoidBackward(gAt, gAt, put(runtime, h), count);
    const got = getF32(runtime, gAt, count);
    for (let i = 0; i < count; i++) expect(got[i]).toBe(Math.fround(g[i] * Math.fround(Math.fround(1 - h[i]) * h[i])));
  });
});

describe('relu', () => {
  it.each(COUNTS)('forward and backward, %i values', (count) => {
    const x = randomArray(count, count + 11);
    const xAt = put(runtime, x);
    runtime.kernels.exports.reluForward(xAt, xAt, count);
    const h = getF32(runtime, xAt, count);
    for (let i = 0; i < count; i++) expect(h[i]).toBe(Math.max(0, x[i]));
    const g = randomArray(count, count + 12);
    const gAt = put(runtime, g);
    runtime.kernels.exports.reluBackward(gAt, gAt, xAt, count);
    const got = getF32(runtime, gAt, count);
    for (let i = 0; i < count; i++) expect(got[i]).toBe(x[i] > 0 ? g[i] : 0);
  });
});

describe('tanh', () => {
  it.each(COUNTS)('forward and backward, %i values, across the polynomial/exp switch at 0.625', (count) => {
    const x = randomArray(count, count + 21, 4);
    if (count > 8) x.set([0, 1e-6, -1e-6, 0.6249, 0.6251, -0.7, 30, -30]);
    const xAt = put(runtime, x);
    runtime.kernels.exports.tanhForward(xAt, xAt, count);
    const h = getF32(runtime, xAt, count);
    for (let i = 0; i < count; i++) {
      const want = Math.tanh(x[i]);
      // Relative precision everywhere, including near 0 where 1 − 2/(e^2x+1) would cancel.
      expect(Math.abs(h[i] - want), `tanh(${x[i]})`).toBeLessThanOrEqual(4e-7 * Math.abs(want) + 1e-30);
    }
    const g = randomArray(count, count + 22);
    const gAt = put(runtime, g);
    runtime.kernels.exports.tanhBackward(gAt, gAt, xAt, count);
    const got = getF32(runtime, gAt, count);
    for (let i = 0; i < count; i++) expect(got[i]).toBe(Math.fround(g[i] * Math.fround(1 - Math.fround(h[i] * h[i]))));
  });
});

describe('activation kernels', () => {
  // Each walks its floats four at a time, then the last 0–3 one at a time: whatever the count's
  // remainder, nothing after the output may change. The inputs continue for 4 floats, so a
  // vector step past the end would find values to write there.
  const CASES = ['sigmoid', 'relu', 'leakyRelu', 'tanh'].flatMap((name) => [1, 2, 3, 5, 6, 7].map((count) => [name, count] as const));
  it.each(CASES)('%s forward and backward over %i floats write nothing past their outputs', (name, count) => {
    const exports = runtime.kernels.exports as unknown as Record<string, (...args: number[]) => void>;
    const guard = randomArray(4, count + 40);
    const guardedOutput = () => put(runtime, Float32Array.from([...randomArray(count, count + 41), ...guard]));
    const yAt = guardedOutput();
    exports[`${name}Forward`](yAt, put(runtime, randomArray(count + 4, count + 42)), count);
    expect(getF32(runtime, yAt + 4 * count, 4)).toEqual(guard);
    const dxAt = guardedOutput();
    const h = randomArray(count + 4, count + 44).map((v) => (v + 1) / 2);
    exports[`${name}Backward`](dxAt, put(runtime, randomArray(count + 4, count + 43)), put(runtime, h), count);
    expect(getF32(runtime, dxAt + 4 * count, 4)).toEqual(guard);
  });
});

describe('softmax cross-entropy', () => {
  it.each(MATRICES.filter(([, c]) => c > 1))('%i×%i forward, backward, argmax', (rows, classes) => {
    const logits = randomArray(rows * classes, rows * 31 + classes, 8);
    if (rows > 2) logits.fill(1e4, 0, classes); // a row that overflows exp without the max shift
    const labels = randomLabels(rows, classes, rows + 2);
    const ref = softmaxCrossEntropy(logits, labels, classes);
    const { exports } = runtime.kernels;

    const logitsAt = put(runtime, logits);
    const labelsAt = put(runtime, labels);
    const correct = exports.countCorrect(logitsAt, labelsAt, rows, classes);
    let wantCorrect = 0;
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[r * classes + c] > logits[r * classes + best]) best = c;
      if (best === labels[r]) wantCorrect++;
    }
    expect(correct).toBe(wantCorrect);

    const lossSum = exports.softmaxCrossEntropyForward(logitsAt, logitsAt, labelsAt, rows, classes);
    expect(Math.abs(lossSum - ref.lossSum)).toBeLessThan(1e-5 * rows * (1 + ref.lossSum / rows));
    const probs = getF32(runtime, logitsAt, rows * classes);
    expect(maxRelativeError(probs, ref.probs, 1e-3)).toBeLessThan(1e-5);

    const gradAt = runtime.arena.alloc(rows * classes * 4);
    exports.softmaxCrossEntropyBackward(gradAt, logitsAt, labelsAt, rows, classes, rows);
    const grad = getF32(runtime, gradAt, rows * classes);
    for (let i = 0; i < grad.length; i++) {
      const onehot = labels[Math.floor(i / classes)] === i % classes ? 1 : 0;
      expect(grad[i]).toBe(Math.fround(Math.fround(probs[i] - onehot) / rows));
    }
  });
});

describe('softmaxCrossEntropyBackward', () => {
  it.each([[1, 3], [3, 5], [17, 4]])('%i×%i writes nothing past the gradient block', (rows, classes) => {
    // Probabilities and labels continue for one more row, so an overrun would write there.
    const guard = randomArray(classes, 7);
    const gradAt = put(runtime, Float32Array.from([...new Float32Array(rows * classes), ...guard]));
    const probsAt = put(runtime, randomArray((rows + 1) * classes, 8));
    const labelsAt = put(runtime, randomLabels(rows + 1, classes, 9));
    runtime.kernels.exports.softmaxCrossEntropyBackward(gradAt, probsAt, labelsAt, rows, classes, rows);
    expect(getF32(runtime, gradAt + 4 * rows * classes, classes)).toEqual(guard);
  });
});

describe('sgdUpdate', () => {
  it.each(COUNTS)('%i parameters', (count) => {
    const p = randomArray(count, count + 1);
    const g = randomArray(count, count + 2);
    const pAt = put(runtime, p);
    runtime.kernels.exports.sgdUpdate(pAt, put(runtime, g), count, 0.1);
    const got = getF32(runtime, pAt, count);
    for (let i = 0; i < count; i++) expect(got[i]).toBe(Math.fround(p[i] - Math.fround(Math.fround(0.1) * g[i])));
  });

  it.each(COUNTS)('%i parameters: the 4 floats after the block stay untouched', (count) => {
    // Gradients continue past the block, so an update that overran it would move the guard.
    const p = randomArray(count + 4, count + 3);
    const pAt = put(runtime, p);
    runtime.kernels.exports.sgdUpdate(pAt, put(runtime, randomArray(count + 4, count + 4)), count, 0.1);
    expect(getF32(runtime, pAt + 4 * count, 4)).toEqual(p.subarray(count));
  });
});

describe('optimizerStep', () => {
  // The fused optimizers over a block of `count` floats, each with every option on: nothing
  // after the parameter block or after either state buffer may change.
  it.each([
    ['sgd', 3],
    ['sgd', 8],
    ['adam', 5],
    ['adamw', 8],
  ] as const)('%s over %i floats writes nothing past its blocks', (type, count) => {
    const { arena, kernels } = runtime;
    const layout = kernels.layout;
    const guarded = (seed: number) => {
      const values = randomArray(count + 4, seed);
      return { values, at: put(runtime, values) };
    };
    const [params, grads, state1, state2] = [guarded(count), guarded(count + 1), guarded(count + 2), guarded(count + 3)];
    const record = arena.alloc(layout.OPT_SLOTS * 8);
    const slots = new Float64Array(arena.memory.buffer, record, layout.OPT_SLOTS);
    slots[layout.OPT_KIND] = type === 'sgd' ? layout.OPTIMIZER_SGD : layout.OPTIMIZER_ADAM;
    slots[layout.OPT_MOMENTUM] = 0.9;
    slots[layout.OPT_NESTEROV] = 1;
    slots[layout.OPT_WEIGHT_DECAY] = 0.1;
    slots[layout.OPT_BETA1] = 0.9;
    slots[layout.OPT_BETA2] = 0.999;
    slots[layout.OPT_EPS] = 1e-8;
    slots[layout.OPT_DECOUPLED] = type === 'adamw' ? 1 : 0;
    slots[layout.OPT_STEP] = 0;
    slots[layout.OPT_STATE1] = state1.at;
    slots[layout.OPT_STATE2] = state2.at;
    kernels.exports.optimizerStep(record, params.at, grads.at, count, 0.01);
    expect(getF32(runtime, params.at, count)).not.toEqual(params.values.subarray(0, count));
    for (const [name, block] of Object.entries({ params, state1, state2 })) {
      expect(getF32(runtime, block.at + 4 * count, 4), name).toEqual(block.values.subarray(count));
    }
    arena.release(record);
  });
});
