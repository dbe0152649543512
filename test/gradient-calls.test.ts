import { beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../src/mlp.js';
import type { Runtime } from '../src/runtime.js';
import { randomArray, randomLabels } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

// gradient() must depend only on the parameters and the batch: nothing accumulates from one
// call to the next, and nothing it leaves behind changes a later step.
describe('gradient() is a function of the parameters and the batch alone', () => {
  const sizes = [17, 10, 6, 4];
  const newNet = () => new MLP(runtime, { sizes, activation: ['relu', 'tanh'], weightInitStd: 0.5, seed: 4 });
  const batchA = { x: randomArray(6 * 17, 21), t: randomLabels(6, 4, 22) };
  const batchB = { x: randomArray(9 * 17, 23), t: randomLabels(9, 4, 24) };

  it('called twice on one batch, gives bit-identical gradients', () => {
    const net = newNet();
    const first = net.gradient(batchA.x, batchA.t);
    const second = net.gradient(batchA.x, batchA.t);
    for (const name of net.paramNames) expect(second[name], name).toEqual(first[name]);
    net.dispose();
  });

  it('on A after a call on B, gives what it gave on A before', () => {
    const net = newNet();
    const first = net.gradient(batchA.x, batchA.t);
    const other = net.gradient(batchB.x, batchB.t);
    expect(other.W1).not.toEqual(first.W1);
    const again = net.gradient(batchA.x, batchA.t);
    for (const name of net.paramNames) expect(again[name], name).toEqual(first[name]);
    net.dispose();
  });

  it('leaves parameters, optimizer state and the next training step untouched', () => {
    const untouched = newNet();
    const probed = newNet();
    untouched.useOptimizer({ type: 'adam' });
    probed.useOptimizer({ type: 'adam' });
    untouched.trainStep(batchA.x, batchA.t, 0.01);
    probed.trainStep(batchA.x, batchA.t, 0.01);
    const params = probed.paramNames.map((name) => probed.params[name].slice());
    const state = probed.optimizerState();
    probed.gradient(batchB.x, batchB.t);
    probed.gradient(batchA.x, batchA.t);
    probed.paramNames.forEach((name, i) => expect(probed.params[name], name).toEqual(params[i]));
    expect(probed.optimizerState()).toEqual(state);
    expect(probed.trainStep(batchA.x, batchA.t, 0.01)).toBe(untouched.trainStep(batchA.x, batchA.t, 0.01));
    for (const name of probed.paramNames) expect(probed.params[name], name).toEqual(untouched.params[name]);
    untouched.dispose();
    probed.dispose();
  });
});
