import { beforeAll, describe, expect, it } from 'vitest';
import { ValueError } from '../src/errors.js';
import { MLP } from '../src/mlp.js';
import { gradientDescent, numericalGradient } from '../src/numerical.js';
import type { Runtime } from '../src/runtime.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const sumOfSquares = (x: Float64Array | Float32Array) => x[0] ** 2 + x[1] ** 2;
const bits = (x: Float64Array | Float32Array) => Array.from(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));

describe('numericalGradient(f, x)', () => {
  // A central difference is exact for a quadratic; only f64 rounding remains:
  // eps·f(x)/(2h) = 1.1e-16·25/2e-4 ≈ 1.4e-11 at (3, 4).
  it('of x0² + x1² is (6, 8) at (3, 4) and (0, 4) at (0, 2)', () => {
    const at34 = numericalGradient(sumOfSquares, new Float64Array([3, 4]));
    expect(at34).toBeInstanceOf(Float64Array);
    expect(Math.abs(at34[0] - 6)).toBeLessThan(1e-9);
    expect(Math.abs(at34[1] - 8)).toBeLessThan(1e-9);
    const at02 = numericalGradient(sumOfSquares, new Float64Array([0, 2]));
    expect(at02[0]).toBe(0); // (+h)² and (−h)² are the same double
    expect(Math.abs(at02[1] - 4)).toBeLessThan(1e-9);
  });

  it('works over any shape, element by element in row-major order', () => {
    // f(X) = Σ c_ij X_ij² over a 2×3 matrix: ∂f/∂X_ij = 2 c_ij X_ij.
    const c = [1, 2, 3, 4, 5, 6];
    const X = new Float64Array([0.5, -1, 2, 3, -0.25, 1.5]);
    const g = numericalGradient((m) => m.reduce((sum, v, i) => sum + c[i] * v * v, 0), X);
    X.forEach((v, i) => expect(Math.abs(g[i] - 2 * c[i] * v)).toBeLessThan(1e-8));
  });

  it('divides by the step actually taken in float32', () => {
    // fround(1000 ± 1e-4) are 1000 ± 6.1e-5: the step is 1.22e-4, not 2e-4. Divided by 2h the
    // gradient of x² would come out as 1221 instead of 2000.
    const x = new Float32Array([1000, 3]);
    const g = numericalGradient(sumOfSquares, x);
    expect(Math.abs(g[0] - 2000) / 2000).toBeLessThan(1e-6);
    expect(Math.abs(g[1] - 6) / 6).toBeLessThan(1e-6);
  });

  it('leaves x bit-identical, after a normal call and after f throws', () => {
    const x = new Float32Array([0.1, -3.3, 1e-30, 7]);
    const before = bits(x);
    numericalGradient((v) => v.reduce((s, e) => s + Math.sin(e), 0), x);
    expect(bits(x)).toEqual(before);
    let calls = 0;
    const failing = (v: Float32Array) => {
      if (++calls === 4) throw new Error('boom'); // on x[1] + h, while x[1] is perturbed
      return v[0];
    };
    expect(() => numericalGradient(failing, x)).toThrow('boom');
    expect(bits(x)).toEqual(before);
    const y = new Float64Array([Math.PI, -Math.E]);
    const yBefore = bits(y);
    expect(() => numericalGradient(() => NaN, y)).toThrow(ValueError);
    expect(bits(y)).toEqual(yBefore);
  });

  it('rejects a bad h, non-finite values and a detached x with a ValueError naming the element', () => {
    const x = new Float64Array([1, 2, 3]);
    for (const h of [0, -1e-4, NaN, Infinity]) expect(() => numericalGradient(sumOfSquares, x, h)).toThrow(/^h is .*positive finite/);
    expect(() => numericalGradient((v) => (v[2] > 3 ? Infinity : 0), x)).toThrow(/f returned Infinity at x\[2\] \+ h/);
    expect(() => numericalGradient((v) => (v[1] < 2 ? NaN : 0), x)).toThrow(/f returned NaN at x\[1\] − h/);
    expect(() => numericalGradient(() => undefined as unknown as number, x)).toThrow(/f returned undefined at x\[0\] \+ h/);
    expect(() => numericalGradient(sumOfSquares, new Float64Array([1, NaN]))).toThrow(/x\[1\] is NaN/);
    expect(() => numericalGradient(sumOfSquares, new Float32Array([1, 1e8]))).toThrow(/too small for x\[1\] = 100000000/);
    expect(() => numericalGradient(sumOfSquares, new Float32Array([3.4028234663852886e38]), 1e32)).toThrow(/x\[0\] = .* overflows float32/);
    expect(() => numericalGradient(sumOfSquares, [1, 2] as unknown as Float64Array)).toThrow(ValueError);
    expect(() => numericalGradient(sumOfSquares, () => [1, 2] as unknown as Float64Array)).toThrow(/or a function returning one/);
    const buffer = new ArrayBuffer(16);
    const view = new Float64Array(buffer);
    expect(() => numericalGradient(() => (structuredClone(buffer, { transfer: [buffer] }), 0), view)).toThrow(/x was detached while f ran \(at x\[0\] \+ h\)/);
  });
});

describe('numericalGradient(f, x): the rest of its refusals', () => {
  it('names the precision in which h is too small', () => {
    expect(() => numericalGradient(sumOfSquares, new Float32Array([1e8]))).toThrow(
      new ValueError('h = 0.0001 is too small for x[0] = 100000000: x[0] ± h rounds to the same value in float32'),
    );
    expect(() => numericalGradient(sumOfSquares, new Float64Array([1e20]))).toThrow(
      new ValueError('h = 0.0001 is too small for x[0] = 100000000000000000000: x[0] ± h rounds to the same value in float64'),
    );
  });

  it('refuses a difference of f that overflows', () => {
    const steep = (x: Float64Array) => (x[0] > 0 ? 1.5e308 : -1.5e308);
    expect(() => numericalGradient(steep, new Float64Array([0]), 1e-300)).toThrow(ValueError);
    expect(() => numericalGradient(steep, new Float64Array([0]), 1e-300)).toThrow('the difference of f at x[0] ± h overflowed (1.5e+308 − -1.5e+308)');
  });

  it('puts the saved value back only into an array of the original length', () => {
    let current = new Float64Array([1, 2]);
    const other = new Float64Array(3);
    const f = (x: Float64Array) => {
      current = other; // the array function now returns an array of another length
      return x[0];
    };
    expect(() => numericalGradient(f, () => current)).toThrow(/x was detached while f ran \(at x\[0\] \+ h\)/);
    expect(Array.from(other)).toEqual([0, 0, 0]);
  });
});

describe('gradientDescent(f, initX)', () => {
  it('from (−3, 4) with lr 0.1 and 100 steps reaches (−3, 4)·0.8¹⁰⁰ ≈ (−6.1e-10, 8.1e-10)', () => {
    const initX = new Float64Array([-3, 4]);
    const { x, trajectory } = gradientDescent(sumOfSquares, initX, { learningRate: 0.1, steps: 100 });
    expect(Array.from(initX)).toEqual([-3, 4]);
    expect(trajectory).toHaveLength(101);
    expect(Array.from(trajectory[0])).toEqual([-3, 4]);
    expect(trajectory[100]).toEqual(x);
    expect(trajectory[1][0]).toBeCloseTo(-3 + 0.1 * 6, 10);
    // The gradient of a quadratic by central differences is 2x up to f64 rounding (see above),
    // so each step multiplies x by 1 − 2·lr = 0.8. The per-step errors shrink with x and the
    // accumulated relative error is of order 1e-11 (measured: 2e-12 and 3e-12).
    const exact = [-3 * 0.8 ** 100, 4 * 0.8 ** 100]; // −6.111e-10, 8.148e-10
    expect(Math.abs(x[0] - exact[0]) / Math.abs(exact[0])).toBeLessThan(1e-10);
    expect(Math.abs(x[1] - exact[1]) / Math.abs(exact[1])).toBeLessThan(1e-10);
    expect(x[0]).toBeCloseTo(-6.11e-10, 12);
    expect(x[1]).toBeCloseTo(8.15e-10, 12);
  });

  it('keeps the type of initX and validates its options', () => {
    const result = gradientDescent(sumOfSquares, new Float32Array([1, 1]), { learningRate: 0.25, steps: 3 });
    expect(result.x).toBeInstanceOf(Float32Array);
    expect(result.x[0]).toBeCloseTo(0.125, 6); // ×0.5 per step
    expect(gradientDescent(sumOfSquares, new Float64Array([2, 2]), { steps: 0 }).trajectory).toHaveLength(1);
    expect(() => gradientDescent(sumOfSquares, new Float64Array(2), { learningRate: -1 })).toThrow(ValueError);
    expect(() => gradientDescent(sumOfSquares, new Float64Array(2), { steps: 1.5 })).toThrow(/steps is 1.5/);
    expect(() => gradientDescent(sumOfSquares, new Float64Array(2), { steps: -1 })).toThrow(new ValueError('steps is -1: must be an integer >= 0'));
    expect(gradientDescent(sumOfSquares, new Float64Array([1]), { steps: 0 }).trajectory).toEqual([new Float64Array([1])]);
    expect(() => gradientDescent(sumOfSquares, new Float64Array(2), { learningRate: 0 }))
      .toThrow(new ValueError('learning rate is 0: must be a positive finite number'));
    expect(() => gradientDescent(sumOfSquares, new Float64Array(2), { learningRate: -0.1 })).toThrow(ValueError);
    expect(() => gradientDescent(sumOfSquares, [1, 2] as never)).toThrow(new ValueError('initX must be a Float64Array or a Float32Array'));
    expect(() => gradientDescent(sumOfSquares, [1, 2] as never)).toThrow(ValueError);
  });
});

// The 2×3 network: W = NumPy's np.random.seed(0); np.random.randn(2, 3), input [0.6, 0.9],
// target class 2, loss = −Σ t·log(softmax(xW) + 1e-7).
describe('simpleNet', () => {
  const W = [1.76405235, 0.40015721, 0.97873798, 2.2408932, 1.86755799, -0.97727788];
  const input = [0.6, 0.9];
  const target = [0, 0, 1];
  const GUARD = 1e-7;
  const softmax = (w: ArrayLike<number>) => {
    const z = [0, 1, 2].map((j) => input[0] * w[j] + input[1] * w[3 + j]);
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const sum = e[0] + e[1] + e[2];
    return e.map((v) => v / sum);
  };
  const guardedLoss = (w: ArrayLike<number>) => -softmax(w).reduce((s, p, j) => s + target[j] * Math.log(p + GUARD), 0);
  /** (softmax(xW) − t) ⊗ x, scaled by p₂/(p₂ + 1e-7) for the guarded loss. */
  const analytic = (scale: number) => {
    const p = softmax(W);
    return [0, 1].flatMap((i) => [0, 1, 2].map((j) => scale * input[i] * (p[j] - target[j])));
  };

  it('in float64: loss and numerical dW against the analytic (softmax(xW) − t) ⊗ x', () => {
    const w = new Float64Array(W);
    const p = softmax(w);
    expect(guardedLoss(w)).toBeCloseTo(3.667451, 6);
    expect(-Math.log(p[2]) - guardedLoss(w)).toBeCloseTo(GUARD / p[2], 9); // the guard's share
    const dW = numericalGradient(guardedLoss, w);
    // With h = 1e-4 truncation is h²·f'''/6 ≈ 1e-9 and rounding eps·3.7/2e-4 ≈ 2e-12; the guard
    // scales the exact gradient by p₂/(p₂ + 1e-7), 1 − 3.9e-6 here.
    const exactGuarded = analytic(p[2] / (p[2] + GUARD));
    const unguarded = analytic(1);
    dW.forEach((g, i) => {
      expect(Math.abs(g - exactGuarded[i])).toBeLessThan(1e-8);
      expect(Math.abs(g - unguarded[i]) / Math.abs(unguarded[i])).toBeLessThan(1e-5);
    });
    expect(Array.from(w)).toEqual(W);
  });

  it("as simdnet's MLP with sizes [2, 3]: numericalGradient of a closure over net.loss equals net.gradient", () => {
    const net = new MLP(runtime, { sizes: [2, 3] });
    expect(net.paramNames).toEqual(['W1', 'b1']);
    net.params.W1 = W;
    net.params.b1 = [0, 0, 0];
    const x = new Float32Array(input);
    const t = new Float32Array(target);
    const buffer = runtime.arena.memory.buffer;
    // simdnet's loss is the exact log-softmax, without the guard: it differs from the guarded
    // loss by log(1 + 1e-7/p₂) ≈ 3.9e-6, and its f32 forward pass is exact to ~1e-6 here.
    const exactLoss = -Math.log(softmax(Float32Array.from(W))[2]);
    expect(Math.abs(net.loss(x, t) - exactLoss)).toBeLessThan(1e-6);
    expect(Math.abs(net.loss(x, t) - guardedLoss(W))).toBeLessThan(1e-5);

    const W1 = net.params.W1;
    const before = bits(W1);
    // h = 1e-2, as the network's own numericalGradient: the loss is f32 (~1e-6 of noise), so the
    // step must be large enough for the difference to rise above it. Rounding 1e-6/0.02 = 5e-5
    // at worst, truncation h²·|f'''|/6 ≈ 1e-5; measured: at most 7e-6.
    const dW = numericalGradient(() => net.loss(x, t), W1, 1e-2);
    expect(runtime.arena.memory.buffer).toBe(buffer); // loss on one row does not grow memory
    expect(bits(W1)).toEqual(before);
    const backprop = net.gradient(x, t).W1;
    const exact = analytic(1);
    dW.forEach((g, i) => {
      expect(Math.abs(g - backprop[i])).toBeLessThan(1e-4);
      expect(Math.abs(backprop[i] - exact[i])).toBeLessThan(1e-6);
    });
    // A loss that grows wasm memory detaches a view taken before it. Given as a function, the
    // view is re-read after every call and the result is the same; given as a plain view, the
    // detachment is reported, naming the element left perturbed in the moved memory.
    const { arena } = runtime;
    const growing = () => {
      arena.release(arena.alloc(arena.memory.buffer.byteLength + 65536));
      return net.loss(x, t);
    };
    const reread = numericalGradient(growing, () => net.params.W1, 1e-2);
    expect(Array.from(reread)).toEqual(Array.from(dW));
    expect(bits(net.params.W1)).toEqual(before);
    expect(() => numericalGradient(growing, net.params.W1, 1e-2))
      .toThrow(/x was detached while f ran \(at x\[0\] \+ h\).*wasm memory grew .*x\[0\] is left at 1.76405\d* \+ h/);
    expect(net.params.W1[0]).toBe(Math.fround(Math.fround(W[0]) + 1e-2));
    net.params.W1 = W;
    // The network's own (fused, wasm) numerical gradient agrees too.
    const own = net.numericalGradient(x, t).W1;
    own.forEach((g, i) => expect(Math.abs(g - backprop[i])).toBeLessThan(1e-4));
    net.dispose();
  });
});
