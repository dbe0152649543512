import { beforeAll, describe, expect, it } from 'vitest';
import { ValueError } from '../src/errors.js';
import { dense, tanh, type Loss } from '../src/layers.js';
import { MLP, type Activation } from '../src/mlp.js';
import { Network } from '../src/network.js';
import type { Runtime } from '../src/runtime.js';
import { Random } from '../src/random.js';
import { train } from '../src/train.js';
import { randomArray, randomLabels } from './support/reference.js';
import { expectRefusal } from './support/refusal.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const data = (count: number, seed: number) => ({ images: randomArray(count * 6, seed), labels: randomLabels(count, 3, seed + 1) });
const newNet = (activation: Activation) => new MLP(runtime, { sizes: [6, 5, 3], activation, weightInitStd: 0.5, seed: 4 });

const maxDifference = (a: MLP, b: MLP) => Math.max(...a.paramNames.flatMap((name) => {
  const [p, q] = [a.params[name], b.params[name]];
  return Array.from(p, (v, i) => Math.abs(v - q[i]));
}));

describe("train({ gradient: 'numerical' })", () => {
  it.each([['tanh'], ['sigmoid']] as [Activation][])(
    '6-5-3 %s, 20 steps: the same run as backprop, to the numerical gradient\'s accuracy', (activation) => {
      const sets = { train: data(60, 1), test: data(30, 7) };
      const options = { iterations: 20, batchSize: 10, learningRate: 0.5, evaluateEvery: 10, seed: 3 };
      const byBackprop = newNet(activation);
      const byNumerical = newNet(activation);
      const start = byNumerical.params.W1.slice();
      const b = train(byBackprop, sets, options);
      const n = train(byNumerical, sets, { ...options, gradient: 'numerical' });
      expect(n.options.gradient).toBe('numerical');
      expect(b.options.gradient).toBe('backprop');
      // Both networks lie on the fast path of net.numericalGradient (f64, exact ±h steps with
      // h = 1e-2), whose error is the truncation h²·f'''/6 ≈ 1e-5 of each entry (~0.1 here). Over
      // 20 steps of lr 0.5 that moves the parameters by ~1e-4 at most (measured: 2.1e-5 tanh,
      // 1.2e-5 sigmoid); f32 rounding of the updates adds ~1e-7 a step. An error in the numerical
      // path (a wrong sign, a skipped parameter, a stale batch) would move them by the size of a
      // step, ~1e-2: training moved them by 0.67 and 0.27.
      expect(maxDifference(byBackprop, byNumerical)).toBeLessThan(2e-4);
      expect(maxDifference(byNumerical, newNet(activation))).toBeGreaterThan(1e-2); // it did train
      expect(Array.from(byNumerical.params.W1)).not.toEqual(Array.from(start));
      // Same batches, so the same losses step by step, and the same evaluations.
      expect(n.loss).toHaveLength(20);
      n.loss.forEach((loss, i) => expect(Math.abs(loss - b.loss[i])).toBeLessThan(1e-4));
      expect(n.evaluations.map((e) => e.iterations)).toEqual(b.evaluations.map((e) => e.iterations));
      expect(Math.abs(n.final.test!.loss - b.final.test!.loss)).toBeLessThan(1e-4);
      expect(n.loss[19]).toBeLessThan(n.loss[0]);
      byBackprop.dispose();
      byNumerical.dispose();
    });

  it('works with shuffled epochs, including the last partial batch', () => {
    const sets = { train: data(25, 2) };
    const options = { sampling: 'shuffled-epochs', epochs: 2, batchSize: 10, learningRate: 0.5 } as const;
    const [a, b] = [newNet('tanh'), newNet('tanh')];
    const byBackprop = train(a, sets, options);
    const byNumerical = train(b, sets, { ...options, gradient: 'numerical' });
    expect(byNumerical.iterations).toBe(6); // 10 + 10 + 5, twice
    expect(maxDifference(a, b)).toBeLessThan(1e-4);
    byNumerical.loss.forEach((loss, i) => expect(Math.abs(loss - byBackprop.loss[i])).toBeLessThan(1e-4));
    a.dispose();
    b.dispose();
  });

  it('takes the step h given, and refuses optimizers it cannot apply', () => {
    const sets = { train: data(30, 5) };
    const net = newNet('tanh');
    const history = train(net, sets, { iterations: 2, batchSize: 10, gradient: 'numerical', numericalStep: 1e-3 });
    expect(history.options.numericalStep).toBe(1e-3);
    expect(() => train(net, sets, { iterations: 1, gradient: 'numerical', numericalStep: 0 })).toThrow(/numericalStep is 0/);
    expect(() => train(net, sets, { iterations: 1, gradient: 'numerical', optimizer: { type: 'adam' } }))
      .toThrow(/plain SGD \(p −= lr·g\) only, not adam/);
    expect(() => train(net, sets, { iterations: 1, gradient: 'numerical', optimizer: { type: 'sgd', momentum: 0.9 } }))
      .toThrow(/not sgd with momentum 0.9/);
    expect(() => train(net, sets, { iterations: 1, gradient: 'finite' as never })).toThrow(ValueError);
    // Plain SGD given explicitly is what the numerical step does.
    expect(train(net, sets, { iterations: 1, gradient: 'numerical', optimizer: { type: 'sgd' } }).iterations).toBe(1);
    net.dispose();
  });

  it.each([['mse'], ['binary-cross-entropy']] as [Loss][])('%s: a row of targets per output, gathered with its row', (loss) => {
    // Targets in [0, 1] for either loss; 2 outputs, so a row's targets are 2 floats.
    const sets = { train: { inputs: randomArray(40 * 6, 8), targets: randomArray(40 * 2, 9).map((v) => (v + 1) / 2) } };
    const options = { iterations: 8, batchSize: 7, learningRate: 0.5, seed: 2 };
    const make = () => new Network(runtime, { input: 6, layers: [dense(5), tanh(), dense(2)], loss, seed: 3 });
    const [a, b] = [make(), make()];
    const byBackprop = train(a, sets, options);
    const byNumerical = train(b, sets, { ...options, gradient: 'numerical' });
    byNumerical.loss.forEach((value, i) => expect(Math.abs(value - byBackprop.loss[i]), `step ${i}`).toBeLessThan(1e-4));
    for (const name of a.paramNames) {
      a.params[name].forEach((value, i) => expect(Math.abs(value - b.params[name][i]), `${name}[${i}]`).toBeLessThan(1e-4));
    }
    const untrained = make();
    expect(Math.max(...Array.from(untrained.params.W2, (v, i) => Math.abs(v - b.params.W2[i])))).toBeGreaterThan(1e-3); // it did train, by 10× the tolerance
    untrained.dispose();
    a.dispose();
    b.dispose();
  });

  it('refuses every optimizer but plain SGD, its own or the network\'s, and a step h that is not positive and finite', () => {
    const sets = { train: data(30, 5) };
    const net = newNet('tanh');
    const refuse = (optimizer: object | undefined, message: string) => expectRefusal(
      () => train(net, sets, { iterations: 1, gradient: 'numerical', optimizer: optimizer as never }), ValueError,
      `training by the numerical gradient applies plain SGD (p −= lr·g) only, not ${message}`,
    );
    refuse({ type: 'sgd', weightDecay: 0.01 }, 'sgd with momentum 0, weight decay 0.01');
    refuse({ type: 'sgd', momentum: 0.5, nesterov: true }, 'sgd with momentum 0.5, weight decay 0');
    refuse({ type: 'rmsprop' }, 'rmsprop');
    net.useOptimizer({ type: 'adagrad' });
    refuse(undefined, 'adagrad');
    // A resumed run keeps the network's optimizer: the option is not what it applies.
    const resume = { iterations: 0, random: new Random(0).getState() };
    expectRefusal(() => train(net, sets, { iterations: 1, gradient: 'numerical', optimizer: { type: 'sgd' }, resume }), ValueError,
      'training by the numerical gradient applies plain SGD (p −= lr·g) only, not adagrad');
    net.useOptimizer({ type: 'sgd' });
    for (const h of [-1e-3, Number.NaN, Infinity]) {
      expectRefusal(() => train(net, sets, { iterations: 1, gradient: 'numerical', numericalStep: h }), ValueError,
        `numericalStep is ${h}: must be a positive finite step`);
    }
    net.dispose();
  });
});
