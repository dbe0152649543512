// Dropout (inverted, as nn.Dropout): the masks while training, the identity in evaluation, the
// gradient through a mask against the numerical gradient with the same mask, seeded masks, and
// the generator's state carried by checkpoints so a resumed run is the uninterrupted one.
import { beforeAll, describe, expect, it } from 'vitest';
import { compareGradients } from '../src/gradient-check.js';
import { dense, dropout, relu, tanh } from '../src/layers.js';
import { checkpointFromBytes, encodeModel } from '../src/model.js';
import { Network } from '../src/network.js';
import { Random } from '../src/random.js';
import type { Runtime } from '../src/runtime.js';
import { torchStateDict } from '../src/torch.js';
import { train } from '../src/train.js';
import { randomArray, randomLabels } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const layers = (p: number) => [dense(16), tanh(), dropout(p), dense(3)];
const bits = (net: Network) => net.paramNames.map((name) => Array.from(new Uint32Array(net.params[name].slice().buffer)));

describe('dropout', () => {
  it('evaluation and prediction pass it through: the same as the network without it', () => {
    const a = new Network(runtime, { input: 7, layers: layers(0.5), seed: 3 });
    const b = new Network(runtime, { input: 7, layers: [dense(16), tanh(), dense(3)], seed: 3 });
    const x = randomArray(9 * 7, 1);
    const t = randomLabels(9, 3, 2);
    expect(a.predict(x)).toEqual(b.predict(x));
    expect(a.evaluate(x, t)).toEqual(b.evaluate(x, t));
    a.dispose();
    b.dispose();
  });

  it('training zeroes about p of the elements and scales the rest by 1/(1 − p)', () => {
    // An identity-like probe: a dense layer then dropout, read through the layer's gradient.
    const p = 0.3;
    const net = new Network(runtime, { input: 1, layers: [dense(2000), dropout(p), dense(2)], weightInitStd: 1, seed: 5 });
    net.assignParams({ W2: Float32Array.from({ length: 4000 }, (_, i) => (i % 2 === 0 ? 1 : 0)), b2: new Float32Array(2) });
    const x = new Float32Array([1]);
    // dL/dh_j = mask_j · Σ_c dL/dz_c · W2[j][c] = mask_j · dL/dz_0 (W2's first column is 1, the
    // second 0): every kept unit gets the same gradient in dW1 (x = 1), every dropped one 0.
    const g = net.gradient(x, [0]).W1;
    const kept = g.filter((v) => v !== 0);
    const dropped = g.length - kept.length;
    // Binomial(2000, 0.3): mean 600, sd 20.5; 5 sd either side.
    expect(Math.abs(dropped - 600)).toBeLessThan(103);
    for (const v of kept) expect(v).toBeCloseTo(kept[0], 6);
    net.dispose();
  });

  it('the masks are the xoshiro128** stream of src/random.ts: element i kept when the top 24 bits of draw i, as a fraction, are not below p', () => {
    // The probe of the test above: dW1[j] is nonzero exactly where unit j was kept.
    const p = 0.5;
    const units = 500;
    const net = new Network(runtime, { input: 1, layers: [dense(units), dropout(p), dense(2)], seed: 8 });
    // With W1 and b1 zero the logits are 0 and 0, so dL/dz_0 = softmax − 1 = −0.5 exactly, and a
    // kept unit's dW1 is −0.5 · 1/(1 − p).
    net.assignParams({
      W1: new Float32Array(units), b1: new Float32Array(units),
      W2: Float32Array.from({ length: 2 * units }, (_, i) => (i % 2 === 0 ? 1 : 0)), b2: new Float32Array(2),
    });
    const random = Random.fromState(net.dropoutState());
    const expected = Array.from({ length: units }, () => ((random.nextUint32() >>> 8) / 2 ** 24 >= p ? -0.5 / (1 - p) : 0));
    expect(Array.from(net.gradient(new Float32Array([1]), [0]).W1)).toEqual(expected);
    expect(net.dropoutState()).toEqual(random.getState().slice(0, 4)); // one draw per element, no more
    net.dispose();
  });

  it('keeps an element whose draw is exactly p (the rule is u ≥ p)', () => {
    // xoshiro128**'s output, rotl(s1·5, 7)·9, depends on s1 alone: pick the s1 whose first draw
    // has 0x800000 as its top 24 bits, a uniform of exactly 0.5.
    const inverse = (a: number) => {
      let x = a; // Newton's iteration for a⁻¹ mod 2³²: each step doubles the correct low bits
      for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(a, x));
      return x >>> 0;
    };
    const rotr = (v: number, k: number) => ((v >>> k) | (v << (32 - k))) >>> 0;
    const s1 = Math.imul(rotr(Math.imul(0x80000000, inverse(9)) >>> 0, 7), inverse(5)) >>> 0;
    expect(Random.fromState([1, s1, 2, 3]).nextUint32() >>> 8).toBe(0x800000);
    const net = new Network(runtime, { input: 1, layers: [dense(1), dropout(0.5), dense(2)], seed: 8 });
    net.assignParams({ W1: new Float32Array(1), b1: new Float32Array(1), W2: Float32Array.of(1, 0), b2: new Float32Array(2) });
    net.restoreDropoutState([1, s1, 2, 3]);
    expect(Array.from(net.gradient(new Float32Array([1]), [0]).W1)).toEqual([-1]);
    net.dispose();
  });

  it('first in the network, it computes no input gradient: nothing is written through the null pointer', () => {
    const net = new Network(runtime, { input: 6, layers: [dropout(0.5), dense(3)], seed: 4 });
    const start = () => Array.from(new Uint8Array(runtime.arena.memory.buffer, 0, 4 * 6 * 20));
    const before = start();
    net.gradient(randomArray(20 * 6, 2), randomLabels(20, 3, 3));
    expect(start()).toEqual(before);
    net.dispose();
  });

  it('backprop through the mask matches the numerical gradient with the same mask', () => {
    // tanh, not relu: a finite difference must not step across a kink.
    const net = new Network(runtime, { input: 5, layers: [dense(8), tanh(), dropout(0.4), dense(6), tanh(), dropout(0.2), dense(3)], weightInitStd: 0.8, seed: 7 });
    const x = randomArray(6 * 5, 3);
    const t = randomLabels(6, 3, 4);
    const state = net.dropoutState();
    const analytic = net.gradient(x, t);
    net.restoreDropoutState(state); // numericalGradient draws its masks from the same state
    const numerical = net.numericalGradient(x, t, 1e-2);
    const comparison = compareGradients(analytic, numerical, 1e-3);
    expect(comparison.maxRelativeError, JSON.stringify(comparison.worst)).toBeLessThan(2e-2);
    // And with other masks the gradients differ: the check sees the mask.
    expect(compareGradients(net.gradient(x, t), numerical, 1e-3).maxRelativeError).toBeGreaterThan(2e-2);
    net.dispose();
  });

  it('p = 0 trains exactly as no dropout; the same seed gives the same masks', () => {
    const data = { train: { inputs: randomArray(200 * 7, 8), targets: randomLabels(200, 3, 9) } };
    const run = (spec: ReturnType<typeof layers>, seed = 1) => {
      const net = new Network(runtime, { input: 7, layers: spec, seed });
      train(net, data, { iterations: 30, batchSize: 20, learningRate: 0.2 });
      const result = bits(net);
      net.dispose();
      return result;
    };
    expect(run(layers(0))).toEqual(run([dense(16), tanh(), dense(3)]));
    expect(run(layers(0.5))).toEqual(run(layers(0.5)));
    expect(run(layers(0.5))).not.toEqual(run(layers(0)));
    expect(run(layers(0.5), 2)).not.toEqual(run(layers(0.5), 1));
  });

  it('a checkpoint carries the masks’ generator: resumed equals straight', () => {
    const data = { train: { inputs: randomArray(160 * 7, 10), targets: randomLabels(160, 3, 11) } };
    const options = { sampling: 'shuffled-epochs' as const, epochs: 4, batchSize: 16, learningRate: 0.1, optimizer: { type: 'adam' as const } };
    const straight = new Network(runtime, { input: 7, layers: layers(0.5), seed: 4 });
    train(straight, data, options);
    const first = new Network(runtime, { input: 7, layers: layers(0.5), seed: 4 });
    let saved: Uint8Array | undefined;
    train(first, data, { ...options, onEvaluation: (e, progress) => (e.epoch === 1 ? ((saved = encodeModel(first, progress())), false) : undefined) });
    const { net: resumed, progress } = checkpointFromBytes(runtime, saved!);
    train(resumed, data, { ...options, resume: progress });
    expect(bits(resumed)).toEqual(bits(straight));
    [straight, first, resumed].forEach((net) => net.dispose());
  });

  it('takes its place in the PyTorch nn.Sequential names, and p must be in [0, 1)', () => {
    const net = new Network(runtime, { input: 7, layers: [dense(4), relu(), dropout(0.5), dense(3)] });
    expect(torchStateDict(net).map((t) => t.name)).toEqual(['0.weight', '0.bias', '3.weight', '3.bias']);
    expect(net.layers.map((l) => l.name)).toEqual(['Affine1', 'Relu1', 'Dropout1', 'Affine2', 'SoftmaxWithLoss']);
    net.dispose();
    expect(() => new Network(runtime, { input: 7, layers: [dense(4), dropout(1), dense(3)] })).toThrow(/dropout\) has p = 1/);
  });
});
