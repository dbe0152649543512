// Elementwise activations over `count` floats, forward in place and backward in place on the
// gradient. Backward passes take the forward OUTPUT h (not the input): for sigmoid
// h·(1−h) equals the references' sigmoid_grad(a) = (1−sigmoid(a))·sigmoid(a) bit for bit, and
// relu's h > 0 is a > 0, so the pre-activation never needs to be kept.
import { exp4 } from './simd';

export const ACTIVATION_IDENTITY: i32 = 0;
export const ACTIVATION_SIGMOID: i32 = 1;
export const ACTIVATION_RELU: i32 = 2;
export const ACTIVATION_TANH: i32 = 3;

// Beyond ±80 sigmoid is 1 or below 2e-35; clamping there keeps 1/(1+e^-a) out of the
// denormal range, where x86 arithmetic is ~100x slower.
const SIGMOID_CLAMP: f32 = 80;

export function sigmoidForward(x: usize, count: i32): void {
  const end = x + (<usize>count << 2);
  const vectorEnd = x + (<usize>(count & ~3) << 2);
  const one = f32x4.splat(1), lo = f32x4.splat(-SIGMOID_CLAMP), hi = f32x4.splat(SIGMOID_CLAMP);
  let p = x;
  for (; p < vectorEnd; p += 16) {
    const a = f32x4.min(f32x4.max(v128.load(p), lo), hi);
    v128.store(p, f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(a)))));
  }
  for (; p < end; p += 4) {
    const a = min(max(load<f32>(p), -SIGMOID_CLAMP), SIGMOID_CLAMP);
    // The tail goes through the same exp4 as the body so every element is computed alike.
    const e = f32x4.extract_lane(exp4(f32x4.splat(-a)), 0);
    store<f32>(p, 1 / (1 + e));
  }
}

/** grad *= h·(1−h) */
export function sigmoidBackward(grad: usize, h: usize, count: i32): void {
  const end = grad + (<usize>count << 2);
  const vectorEnd = grad + (<usize>(count & ~3) << 2);
  const one = f32x4.splat(1);
  let g = grad, hp = h;
  for (; g < vectorEnd; g += 16, hp += 16) {
    const hv = v128.load(hp);
    v128.store(g, f32x4.mul(v128.load(g), f32x4.mul(f32x4.sub(one, hv), hv)));
  }
  for (; g < end; g += 4, hp += 4) {
    const hv = load<f32>(hp);
    store<f32>(g, load<f32>(g) * ((1 - hv) * hv));
  }
}

export function reluForward(x: usize, count: i32): void {
  const end = x + (<usize>count << 2);
  const vectorEnd = x + (<usize>(count & ~3) << 2);
  const zero = f32x4.splat(0);
  let p = x;
  for (; p < vectorEnd; p += 16) v128.store(p, f32x4.max(v128.load(p), zero));
  for (; p < end; p += 4) store<f32>(p, max(load<f32>(p), 0));
}

/** grad *= (h > 0) */
export function reluBackward(grad: usize, h: usize, count: i32): void {
  const end = grad + (<usize>count << 2);
  const vectorEnd = grad + (<usize>(count & ~3) << 2);
  const zero = f32x4.splat(0);
  let g = grad, hp = h;
  for (; g < vectorEnd; g += 16, hp += 16) {
    v128.store(g, v128.and(v128.load(g), f32x4.gt(v128.load(hp), zero)));
  }
  for (; g < end; g += 4, hp += 4) {
    if (!(load<f32>(hp) > 0)) store<f32>(g, 0);
  }
}

// tanh: for |x| < 0.625 Cephes' odd polynomial x + x³·P(x²), which keeps full relative
// precision near 0 where 1 − 2/(e^2x + 1) would cancel; beyond, 1 − 2/(e^{2|x|} + 1) with the
// sign restored. Both computed for all four lanes and blended.
// @ts-ignore: decorator
@inline
function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(p, z), x));
  const e = exp4(f32x4.mul(f32x4.min(ax, f32x4.splat(20)), f32x4.splat(2)));
  const one = f32x4.splat(1);
  const largeAbs = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(e, one)));
  // Copy x's sign bit onto the magnitude.
  const signBit = v128.and(x, i32x4.splat(0x80000000));
  const large = v128.or(largeAbs, signBit);
  return v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(0.625)));
}

export function tanhForward(x: usize, count: i32): void {
  const end = x + (<usize>count << 2);
  const vectorEnd = x + (<usize>(count & ~3) << 2);
  let p = x;
  for (; p < vectorEnd; p += 16) v128.store(p, tanh4(v128.load(p)));
  for (; p < end; p += 4) store<f32>(p, f32x4.extract_lane(tanh4(f32x4.splat(load<f32>(p))), 0));
}

/** grad *= 1 − h² */
export function tanhBackward(grad: usize, h: usize, count: i32): void {
  const end = grad + (<usize>count << 2);
  const vectorEnd = grad + (<usize>(count & ~3) << 2);
  const one = f32x4.splat(1);
  let g = grad, hp = h;
  for (; g < vectorEnd; g += 16, hp += 16) {
    const hv = v128.load(hp);
    v128.store(g, f32x4.mul(v128.load(g), f32x4.sub(one, f32x4.mul(hv, hv))));
  }
  for (; g < end; g += 4, hp += 4) {
    const hv = load<f32>(hp);
    store<f32>(g, load<f32>(g) * (1 - hv * hv));
  }
}

export function activationForward(kind: i32, x: usize, count: i32): void {
  if (kind == ACTIVATION_SIGMOID) sigmoidForward(x, count);
  else if (kind == ACTIVATION_RELU) reluForward(x, count);
  else if (kind == ACTIVATION_TANH) tanhForward(x, count);
}

export function activationBackward(kind: i32, grad: usize, h: usize, count: i32): void {
  if (kind == ACTIVATION_SIGMOID) sigmoidBackward(grad, h, count);
  else if (kind == ACTIVATION_RELU) reluBackward(grad, h, count);
  else if (kind == ACTIVATION_TANH) tanhBackward(grad, h, count);
}
