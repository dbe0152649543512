// Elementwise activations over `count` floats: forward y = f(x), backward dx = dy · f'(x).
// Each writes its own output buffer and may also run in place (y == x, dx == dy). Backward
// passes take the forward OUTPUT h (not the input): for sigmoid h·(1−h) equals
// sigmoid_grad(a) = (1−sigmoid(a))·sigmoid(a) bit for bit, and relu's h > 0 is a > 0, so an
// activation layer keeps nothing but its output for the backward pass.
//
// Adding an activation: an ACTIVATION_* code here, its formulas in forward4/forward1/backward4/
// backward1, its two kernels and its branch in the three dispatchers at the end; its name in
// src/layers.ts; its test.
import { clamp4, constant4, exp4 } from './simd';

export const ACTIVATION_IDENTITY: i32 = 0;
export const ACTIVATION_SIGMOID: i32 = 1;
export const ACTIVATION_RELU: i32 = 2;
export const ACTIVATION_TANH: i32 = 3;
export const ACTIVATION_LEAKY_RELU: i32 = 4;

// PyTorch's nn.LeakyReLU default negative_slope.
const LEAKY_SLOPE: f32 = 0.01;

// Beyond ±80 sigmoid is 1 or below 2e-35; clamping there keeps 1/(1+e^-a) out of the
// denormal range, where x86 arithmetic is ~100x slower.
const SIGMOID_CLAMP: f32 = 80;

// The vector formulas' constants, loaded from here where they are used (constant4), for the
// reason and with the figures of exp4's table (simd.ts).
const CONSTANTS = memory.data<f32>([
  1, 2, -SIGMOID_CLAMP, SIGMOID_CLAMP,
  -5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1, // tanh's P
  20, 0.625, reinterpret<f32>(0x80000000), LEAKY_SLOPE,
]);
const ONE = 0, TWO = 1, SIGMOID_LOW = 2, SIGMOID_HIGH = 3, TANH_P = 4, TANH_LARGEST = 9, TANH_POLYNOMIAL_BELOW = 10, SIGN_BIT = 11, LEAKY = 12;

// Each kernel is one of two walks over its `count` floats, four at a time and then the last 0–3
// one at a time, with its activation's formula for a vector and for one float. The ACTIVATION_*
// code is a constant at every call, so each kernel keeps only its own formula.

// @ts-ignore: decorator
@inline
function walkForward(kind: i32, y: usize, x: usize, count: i32): void {
  const end = x + (<usize>count << 2);
  const vectorEnd = x + (<usize>(count & ~3) << 2);
  let p = x, q = y;
  for (; p < vectorEnd; p += 16, q += 16) v128.store(q, forward4(kind, v128.load(p)));
  for (; p < end; p += 4, q += 4) store<f32>(q, forward1(kind, load<f32>(p)));
}

// @ts-ignore: decorator
@inline
function walkBackward(kind: i32, dx: usize, dy: usize, h: usize, count: i32): void {
  const end = dy + (<usize>count << 2);
  const vectorEnd = dy + (<usize>(count & ~3) << 2);
  let g = dy, hp = h, out = dx;
  for (; g < vectorEnd; g += 16, hp += 16, out += 16) v128.store(out, backward4(kind, v128.load(g), v128.load(hp)));
  for (; g < end; g += 4, hp += 4, out += 4) store<f32>(out, backward1(kind, load<f32>(g), load<f32>(hp)));
}

/** f(x) for four floats. */
// @ts-ignore: decorator
@inline
function forward4(kind: i32, x: v128): v128 {
  if (kind == ACTIVATION_SIGMOID) {
    const one = constant4(CONSTANTS, ONE);
    const clamped = clamp4(x, constant4(CONSTANTS, SIGMOID_LOW), constant4(CONSTANTS, SIGMOID_HIGH));
    return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(clamped))));
  }
  if (kind == ACTIVATION_RELU) return f32x4.max(x, f32x4.splat(0));
  if (kind == ACTIVATION_LEAKY_RELU) return v128.bitselect(x, f32x4.mul(x, constant4(CONSTANTS, LEAKY)), f32x4.gt(x, f32x4.splat(0)));
  return tanh4(x);
}

/** f(x) for one float, computed as its vector lane would be. */
// @ts-ignore: decorator
@inline
function forward1(kind: i32, x: f32): f32 {
  if (kind == ACTIVATION_SIGMOID) {
    const a = min(max(x, -SIGMOID_CLAMP), SIGMOID_CLAMP);
    // The tail goes through the same exp4 as the body so every element is computed alike.
    return 1 / (1 + f32x4.extract_lane(exp4(f32x4.splat(-a)), 0));
  }
  if (kind == ACTIVATION_RELU) return max(x, 0);
  if (kind == ACTIVATION_LEAKY_RELU) return x > 0 ? x : x * LEAKY_SLOPE;
  return f32x4.extract_lane(tanh4(f32x4.splat(x)), 0);
}

/** dy · f'(x) for four floats, from the forward output h. */
// @ts-ignore: decorator
@inline
function backward4(kind: i32, dy: v128, h: v128): v128 {
  const one = constant4(CONSTANTS, ONE), zero = f32x4.splat(0);
  if (kind == ACTIVATION_SIGMOID) return f32x4.mul(dy, f32x4.mul(f32x4.sub(one, h), h));
  if (kind == ACTIVATION_RELU) return v128.and(dy, f32x4.gt(h, zero));
  if (kind == ACTIVATION_LEAKY_RELU) return v128.bitselect(dy, f32x4.mul(dy, constant4(CONSTANTS, LEAKY)), f32x4.gt(h, zero));
  return f32x4.mul(dy, f32x4.sub(one, f32x4.mul(h, h)));
}

/** dy · f'(x) for one float, from the forward output h. */
// @ts-ignore: decorator
@inline
function backward1(kind: i32, dy: f32, h: f32): f32 {
  if (kind == ACTIVATION_SIGMOID) return dy * ((1 - h) * h);
  if (kind == ACTIVATION_RELU) return h > 0 ? dy : 0;
  if (kind == ACTIVATION_LEAKY_RELU) return h > 0 ? dy : dy * LEAKY_SLOPE;
  return dy * (1 - h * h);
}

export function sigmoidForward(y: usize, x: usize, count: i32): void {
  walkForward(ACTIVATION_SIGMOID, y, x, count);
}

/** dx = dy · h·(1−h) */
export function sigmoidBackward(dx: usize, dy: usize, h: usize, count: i32): void {
  walkBackward(ACTIVATION_SIGMOID, dx, dy, h, count);
}

export function reluForward(y: usize, x: usize, count: i32): void {
  walkForward(ACTIVATION_RELU, y, x, count);
}

/** dx = dy · (h > 0) */
export function reluBackward(dx: usize, dy: usize, h: usize, count: i32): void {
  walkBackward(ACTIVATION_RELU, dx, dy, h, count);
}

export function leakyReluForward(y: usize, x: usize, count: i32): void {
  walkForward(ACTIVATION_LEAKY_RELU, y, x, count);
}

/** dx = dy · (h > 0 ? 1 : slope): h > 0 exactly where x > 0. */
export function leakyReluBackward(dx: usize, dy: usize, h: usize, count: i32): void {
  walkBackward(ACTIVATION_LEAKY_RELU, dx, dy, h, count);
}

// tanh: for |x| < 0.625 Cephes' odd polynomial x + x³·P(x²), which keeps full relative
// precision near 0 where 1 − 2/(e^2x + 1) would cancel; beyond, 1 − 2/(e^{2|x|} + 1) with the
// sign restored. Both computed for all four lanes and blended.
// @ts-ignore: decorator
@inline
function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = constant4(CONSTANTS, TANH_P);
  p = f32x4.add(f32x4.mul(p, z), constant4(CONSTANTS, TANH_P + 1));
  p = f32x4.add(f32x4.mul(p, z), constant4(CONSTANTS, TANH_P + 2));
  p = f32x4.add(f32x4.mul(p, z), constant4(CONSTANTS, TANH_P + 3));
  p = f32x4.add(f32x4.mul(p, z), constant4(CONSTANTS, TANH_P + 4));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(p, z), x));
  const e = exp4(f32x4.mul(f32x4.min(ax, constant4(CONSTANTS, TANH_LARGEST)), constant4(CONSTANTS, TWO)));
  const one = constant4(CONSTANTS, ONE);
  const largeAbs = f32x4.sub(one, f32x4.div(constant4(CONSTANTS, TWO), f32x4.add(e, one)));
  // Copy x's sign bit onto the magnitude.
  const signBit = v128.and(x, constant4(CONSTANTS, SIGN_BIT));
  const large = v128.or(largeAbs, signBit);
  return v128.bitselect(small, large, f32x4.lt(ax, constant4(CONSTANTS, TANH_POLYNOMIAL_BELOW)));
}

export function tanhForward(y: usize, x: usize, count: i32): void {
  walkForward(ACTIVATION_TANH, y, x, count);
}

/** dx = dy · (1 − h²) */
export function tanhBackward(dx: usize, dy: usize, h: usize, count: i32): void {
  walkBackward(ACTIVATION_TANH, dx, dy, h, count);
}

// An activation layer's code is one of the four functions' (the host offers no other: src/layers.ts
// ACTIVATIONS), so leaky relu is the last case; the identity code serves activationF64 only.
export function activationForward(kind: i32, y: usize, x: usize, count: i32): void {
  if (kind == ACTIVATION_SIGMOID) sigmoidForward(y, x, count);
  else if (kind == ACTIVATION_RELU) reluForward(y, x, count);
  else if (kind == ACTIVATION_TANH) tanhForward(y, x, count);
  else leakyReluForward(y, x, count);
}

export function activationBackward(kind: i32, dx: usize, dy: usize, h: usize, count: i32): void {
  if (kind == ACTIVATION_SIGMOID) sigmoidBackward(dx, dy, h, count);
  else if (kind == ACTIVATION_RELU) reluBackward(dx, dy, h, count);
  else if (kind == ACTIVATION_TANH) tanhBackward(dx, dy, h, count);
  else leakyReluBackward(dx, dy, h, count);
}

/** f(z) in f64, for the numerical gradient's recomputation (numerical-gradient.ts). */
export function activationF64(kind: i32, z: f64): f64 {
  if (kind == ACTIVATION_SIGMOID) return 1 / (1 + Math.exp(-z));
  if (kind == ACTIVATION_RELU) return z > 0 ? z : 0;
  if (kind == ACTIVATION_TANH) return Math.tanh(z);
  if (kind == ACTIVATION_LEAKY_RELU) return z > 0 ? z : z * <f64>LEAKY_SLOPE;
  return z;
}
