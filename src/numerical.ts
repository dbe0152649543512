// Numerical differentiation of any function of an array, and gradient descent on it: the
// tutorials' numerical_gradient(f, x) and gradient_descent(f, init_x, lr, step_num).
//
// The array is flat (row-major for a matrix, as a network's params). Each element in turn is
// set to x[i] + h and x[i] − h, f is evaluated on the whole array, and the element is put back
// exactly, also when f throws. Arithmetic is f64. For a Float32Array, x[i] ± h is rounded to
// f32, so the step actually taken is not 2h: the difference is divided by the step taken (for
// x[i] = 1000 and h = 1e-4 the f32 step is 1.22e-4, not 2e-4, a 40% error if divided by 2h).
import { ValueError } from './errors.js';

/** The arrays numericalGradient differentiates over. */
export type FloatArray = Float64Array | Float32Array;

/**
 * Central differences (f(x + h·eᵢ) − f(x − h·eᵢ)) / (step taken) for every element of x, as a
 * Float64Array of x's length. x is perturbed in place (f sees the same array) and is
 * bit-identical afterwards, even if f throws.
 *
 * x may instead be a function returning the array, read again after every call of f: the way to
 * pass a live view of wasm memory (`() => net.params.W1`) when f may grow that memory, which
 * detaches views taken before. A plain view detached under f is reported, naming the element
 * left perturbed, rather than read as zeros.
 */
export function numericalGradient<T extends FloatArray>(f: (x: T) => number, x: T | (() => T), h = 1e-4): Float64Array {
  const current = typeof x === 'function' ? x : () => x;
  const first = current();
  if (!(first instanceof Float64Array || first instanceof Float32Array)) {
    throw new ValueError('x must be a Float64Array or a Float32Array (or a function returning one)');
  }
  if (!(typeof h === 'number' && h > 0 && Number.isFinite(h))) throw new ValueError(`h is ${h}: must be a positive finite step`);
  const n = first.length;
  const f32 = first instanceof Float32Array;
  const precision = f32 ? 'float32' : 'float64';
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(first[i])) throw new ValueError(`x[${i}] is ${first[i]}: every element must be finite`);
  }
  /** The array now; throws if it is no longer usable (detached, or another length). */
  const array = (i: number, saved: number, side: string): T => {
    const a = current();
    if (a.length !== n) {
      throw new ValueError(
        `x was detached while f ran (at x[${i}]${side}): its buffer was transferred, or wasm memory grew under a view ` +
          `of it, where x[${i}] is left at ${saved}${side} (pass a function returning the view to have it re-read)`,
      );
    }
    return a;
  };
  const grad = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let a = current();
    const saved = a[i];
    const plus = saved + h;
    const minus = saved - h;
    const step = f32 ? Math.fround(plus) - Math.fround(minus) : plus - minus;
    if (!Number.isFinite(step)) throw new ValueError(`x[${i}] = ${saved} ± ${h} overflows ${precision}`);
    if (!(step > 0)) {
      throw new ValueError(`h = ${h} is too small for x[${i}] = ${saved}: x[${i}] ± h rounds to the same value in ${precision}`);
    }
    const values: number[] = [];
    let side = '';
    try {
      for (const [value, name] of [[plus, ' + h'], [minus, ' − h']] as const) {
        a[i] = value;
        side = name;
        const y = f(a);
        a = array(i, saved, side);
        if (typeof y !== 'number' || !Number.isFinite(y)) {
          throw new ValueError(`f returned ${String(y)} at x[${i}]${side}: it must return a finite number`);
        }
        values.push(y);
      }
    } finally {
      const now = current();
      if (now.length === n) now[i] = saved;
    }
    const g = (values[0] - values[1]) / step;
    if (!Number.isFinite(g)) throw new ValueError(`the difference of f at x[${i}] ± h overflowed (${values[0]} − ${values[1]})`);
    grad[i] = g;
  }
  return grad;
}

export interface GradientDescentOptions {
  /** Default 0.01. */
  learningRate?: number;
  /** Number of updates. Default 100. */
  steps?: number;
  /** The numerical gradient's step. Default 1e-4. */
  h?: number;
}

export interface GradientDescentResult<T extends FloatArray> {
  /** The point after the last step. */
  x: T;
  /** Every point visited: initX first, then the point after each step (steps + 1 entries). */
  trajectory: T[];
}

/**
 * Gradient descent x ← x − lr·∇f(x) with the numerical gradient, from a copy of initX (which is
 * not modified). The points keep initX's type: a Float32Array descends in float32.
 */
export function gradientDescent<T extends FloatArray>(
  f: (x: T) => number, initX: T, options: GradientDescentOptions = {},
): GradientDescentResult<T> {
  const { learningRate = 0.01, steps = 100, h = 1e-4 } = options;
  if (!(typeof learningRate === 'number' && learningRate > 0 && Number.isFinite(learningRate))) {
    throw new ValueError(`learning rate is ${learningRate}: must be a positive finite number`);
  }
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`steps is ${steps}: must be an integer >= 0`);
  if (!(initX instanceof Float64Array || initX instanceof Float32Array)) {
    throw new ValueError('initX must be a Float64Array or a Float32Array');
  }
  const x = initX.slice() as T;
  const trajectory: T[] = [initX.slice() as T];
  for (let s = 0; s < steps; s++) {
    const grad = numericalGradient(f, x, h);
    for (let i = 0; i < x.length; i++) x[i] -= learningRate * grad[i];
    trajectory.push(x.slice() as T);
  }
  return { x, trajectory };
}
