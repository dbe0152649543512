// Parameter updates over one contiguous block: the network's parameters are laid out back to
// back and the gradients mirror that layout, so one call updates every tensor. Inside a
// threaded pass each thread updates its share of the block (threads.ts), cut at multiples of 4
// so sgdUpdate's vector body and scalar tail see the same elements as with one thread.
import { barrier, onlyThreadZero, shareEnd, shareStart } from './threads';

/** params -= lr · grads over `count` floats. */
export function sgdUpdate(params: usize, grads: usize, count: i32, lr: f32): void {
  const end = params + (<usize>count << 2);
  const vectorEnd = params + (<usize>(count & ~3) << 2);
  const rate = f32x4.splat(lr);
  let p = params, g = grads;
  for (; p < vectorEnd; p += 16, g += 16) {
    v128.store(p, f32x4.sub(v128.load(p), f32x4.mul(rate, v128.load(g))));
  }
  for (; p < end; p += 4, g += 4) store<f32>(p, load<f32>(p) - lr * load<f32>(g));
}

// The optimizers of PyTorch's torch.optim, with its exact update order, fused in place over
// the whole parameter block. An optimizer is described by a record of f64 slots in linear
// memory (so hyperparameters such as betas keep their float64 value, as in PyTorch) plus
// pointers to its state, which mirrors the parameter layout.
export const OPTIMIZER_SGD: i32 = 0; // momentum, nesterov, weight decay (all optional)
export const OPTIMIZER_ADAM: i32 = 1; // Adam, or AdamW when DECOUPLED
export const OPTIMIZER_RMSPROP: i32 = 2; // alpha, eps, weight decay, momentum
export const OPTIMIZER_ADAGRAD: i32 = 3; // lr decay, eps, weight decay
export const OPT_KIND: i32 = 0;
export const OPT_MOMENTUM: i32 = 1;
export const OPT_NESTEROV: i32 = 2;
export const OPT_WEIGHT_DECAY: i32 = 3;
export const OPT_BETA1: i32 = 4;
export const OPT_BETA2: i32 = 5;
export const OPT_EPS: i32 = 6;
export const OPT_DECOUPLED: i32 = 7;
export const OPT_STEP: i32 = 8; // steps taken so far; the update increments it
export const OPT_STATE1: i32 = 9; // SGD: momentum buffer; Adam: exp_avg; RMSprop: square_avg; Adagrad: sum
export const OPT_STATE2: i32 = 10; // Adam: exp_avg_sq; RMSprop: momentum buffer
export const OPT_ALPHA: i32 = 11; // RMSprop's smoothing constant
export const OPT_LR_DECAY: i32 = 12; // Adagrad
// Gradient clipping by global norm before the update, as torch.nn.utils.clip_grad_norm_
// (0: off).
export const OPT_MAX_GRAD_NORM: i32 = 13;
export const OPT_SLOTS: i32 = 14;

// @ts-ignore: decorator
@inline
function slot(record: usize, index: i32): f64 {
  return load<f64>(record + (<usize>index << 3));
}

/** One update of params (count floats) from grads with the optimizer described at `record`. */
export function optimizerStep(record: usize, params: usize, grads: usize, count: i32, lr: f64): void {
  const step = slot(record, OPT_STEP) + 1;
  const maxNorm = slot(record, OPT_MAX_GRAD_NORM);
  // The norm needs every gradient, and every thread must read OPT_STEP before thread 0 writes it.
  const coefficient = maxNorm > 0 ? clipCoefficient(grads, count, maxNorm) : 1;
  barrier();
  if (onlyThreadZero()) store<f64>(record + (<usize>OPT_STEP << 3), step);
  const first = shareStart(count, 4), end = shareEnd(count, 4);
  if (coefficient < 1) {
    const scale = <f32>coefficient;
    for (let i = first; i < end; i++) {
      const at = grads + (<usize>i << 2);
      store<f32>(at, load<f32>(at) * scale);
    }
  }
  const kind = <i32>slot(record, OPT_KIND);
  if (kind == OPTIMIZER_ADAM) adamUpdate(record, params, grads, first, end, lr, step);
  else if (kind == OPTIMIZER_RMSPROP) rmspropUpdate(record, params, grads, first, end, lr);
  else if (kind == OPTIMIZER_ADAGRAD) adagradUpdate(record, params, grads, first, end, lr, step);
  else sgdMomentumUpdate(record, params, grads, first, end, lr);
}

// clip_grad_norm_: total = ‖g‖₂ over every gradient (summed in f64 in index order; the block's
// padding is 0); when max/(total + 1e-6) < 1, every gradient is scaled by it. Each thread sums
// the whole block itself, in that one order, so the coefficient never depends on the thread count.
function clipCoefficient(grads: usize, count: i32, maxNorm: f64): f64 {
  let squares: f64 = 0;
  for (let i = 0; i < count; i++) {
    const g = <f64>load<f32>(grads + (<usize>i << 2));
    squares += g * g;
  }
  return maxNorm / (Math.sqrt(squares) + 1e-6);
}

/** torch's weight decay: g + wd·p, or g itself when wd is 0 (torch adds nothing then either). */
// @ts-ignore: decorator
@inline
function withWeightDecay(g: f32, p: f32, decay: f32): f32 {
  return decay != 0 ? g + decay * p : g;
}

// torch.optim.RMSprop (not centered): g += wd·p; v = α·v + (1−α)·g²; a = √v + eps;
// with momentum buf = μ·buf + g/a, p −= lr·buf; without, p −= lr·g/a.
function rmspropUpdate(record: usize, params: usize, grads: usize, first: i32, end: i32, lr: f64): void {
  const alpha = <f32>slot(record, OPT_ALPHA);
  const oneMinusAlpha = <f32>(1 - slot(record, OPT_ALPHA));
  const eps = <f32>slot(record, OPT_EPS);
  const decay = <f32>slot(record, OPT_WEIGHT_DECAY);
  const momentum = <f32>slot(record, OPT_MOMENTUM);
  const squareAvg = <usize>slot(record, OPT_STATE1);
  const buffer = <usize>slot(record, OPT_STATE2);
  const rate = <f32>lr;
  for (let i = first; i < end; i++) {
    const at = <usize>i << 2;
    const p = load<f32>(params + at);
    const g = withWeightDecay(load<f32>(grads + at), p, decay);
    const v = alpha * load<f32>(squareAvg + at) + oneMinusAlpha * g * g;
    store<f32>(squareAvg + at, v);
    const avg = Mathf.sqrt(v) + eps;
    if (momentum != 0) {
      const b = momentum * load<f32>(buffer + at) + g / avg;
      store<f32>(buffer + at, b);
      store<f32>(params + at, p - rate * b);
    } else {
      store<f32>(params + at, p - rate * (g / avg));
    }
  }
}

// torch.optim.Adagrad: clr = lr / (1 + (t−1)·lr_decay); g += wd·p; sum += g²;
// p −= clr · g / (√sum + eps).
function adagradUpdate(record: usize, params: usize, grads: usize, first: i32, end: i32, lr: f64, step: f64): void {
  const clr = <f32>(lr / (1 + (step - 1) * slot(record, OPT_LR_DECAY)));
  const eps = <f32>slot(record, OPT_EPS);
  const decay = <f32>slot(record, OPT_WEIGHT_DECAY);
  const sum = <usize>slot(record, OPT_STATE1);
  for (let i = first; i < end; i++) {
    const at = <usize>i << 2;
    const p = load<f32>(params + at);
    const g = withWeightDecay(load<f32>(grads + at), p, decay);
    const s = load<f32>(sum + at) + g * g;
    store<f32>(sum + at, s);
    store<f32>(params + at, p - clr * (g / (Mathf.sqrt(s) + eps)));
  }
}

// torch.optim.SGD: g += wd·p; buf = μ·buf + g (buf = g on the first step, the same with
// buf = 0); g = nesterov ? g + μ·buf : buf; p −= lr·g.
function sgdMomentumUpdate(record: usize, params: usize, grads: usize, first: i32, end: i32, lr: f64): void {
  const momentum = <f32>slot(record, OPT_MOMENTUM);
  const nesterov = slot(record, OPT_NESTEROV) != 0;
  const decay = <f32>slot(record, OPT_WEIGHT_DECAY);
  // Plain SGD is the same update as below with nothing to add: take the vector loop.
  if (momentum == 0 && decay == 0) {
    sgdUpdate(params + (<usize>first << 2), grads + (<usize>first << 2), end - first, <f32>lr);
    return;
  }
  const buffer = <usize>slot(record, OPT_STATE1);
  const rate = <f32>lr;
  for (let i = first; i < end; i++) {
    const at = <usize>i << 2;
    const p = load<f32>(params + at);
    let g = withWeightDecay(load<f32>(grads + at), p, decay);
    if (momentum != 0) {
      const b = momentum * load<f32>(buffer + at) + g;
      store<f32>(buffer + at, b);
      g = nesterov ? g + momentum * b : b;
    }
    store<f32>(params + at, p - rate * g);
  }
}

// torch.optim.Adam / AdamW (single-tensor path): AdamW first scales p by (1 − lr·wd), Adam adds
// wd·p to g; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
// p −= (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + eps), the scalars computed in f64.
function adamUpdate(record: usize, params: usize, grads: usize, first: i32, end: i32, lr: f64, step: f64): void {
  const beta1 = slot(record, OPT_BETA1);
  const beta2 = slot(record, OPT_BETA2);
  const eps = <f32>slot(record, OPT_EPS);
  const decay = slot(record, OPT_WEIGHT_DECAY);
  const decoupled = slot(record, OPT_DECOUPLED) != 0;
  const m = <usize>slot(record, OPT_STATE1);
  const v = <usize>slot(record, OPT_STATE2);
  const stepSize = <f32>(lr / (1 - Math.pow(beta1, step)));
  const correction2Sqrt = <f32>Math.sqrt(1 - Math.pow(beta2, step));
  const shrink = <f32>(1 - lr * decay);
  const decayF = <f32>decay;
  const b1 = <f32>beta1, b2 = <f32>beta2;
  const oneMinusB1 = <f32>(1 - beta1), oneMinusB2 = <f32>(1 - beta2);
  for (let i = first; i < end; i++) {
    const at = <usize>i << 2;
    let p = load<f32>(params + at);
    let g = load<f32>(grads + at);
    if (decay != 0) {
      if (decoupled) p *= shrink;
      else g += decayF * p;
    }
    const mi = load<f32>(m + at) * b1 + g * oneMinusB1;
    const vi = load<f32>(v + at) * b2 + g * g * oneMinusB2;
    store<f32>(m + at, mi);
    store<f32>(v + at, vi);
    store<f32>(params + at, p - stepSize * (mi / (Mathf.sqrt(vi) / correction2Sqrt + eps)));
  }
}
