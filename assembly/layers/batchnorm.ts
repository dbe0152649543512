// Batch normalization, as nn.BatchNorm1d over the features of flat rows and nn.BatchNorm2d over
// the channels of NCHW rows: one kind, since a feature is a channel of 1×1 values. Per channel c,
// over its `count` = rows·height·width values of the batch:
//
//   training    μ = Σx / count,  σ² = Σ(x − μ)² / count (biased, for normalizing)
//               running mean ← (1 − m)·running mean + m·μ
//               running var  ← (1 − m)·running var + m·Σ(x − μ)² / (count − 1) (unbiased)
//   evaluation  μ, σ² = the running mean and variance
//   both        y = γ·(x − μ)/√(σ² + ε) + β, computed as y = x·scale + shift
//
// Forward keeps μ and 1/√(σ² + ε) per channel in LAYER_SCRATCH for backward, which recomputes
// x − μ from the input instead of keeping x̂ [rows×out]. With dot = Σ dy·(x − μ):
//
//   dγ = dot/√(σ² + ε),  dβ = Σ dy
//   dx = γ/√(σ² + ε) · (dy − Σdy/count − (x − μ)·dot/((σ² + ε)·count))   (μ, σ² depend on x)
//
// Backward follows only a training forward (Network.gradient and the training steps set
// MODE_TRAIN; nothing differentiates in evaluation mode), so μ and σ² are always the batch's.
//
// The sums are f64, as PyTorch's CPU kernel accumulates them (its acc_type of float is double),
// so a channel of 50 000 values loses no digit to the order of the additions. The host refuses a
// training batch of one value per channel (σ² would be 0/0 unbiased), as PyTorch does.
//
// A channel is `rows` runs of height·width contiguous floats, one per row; each pass below works
// run by run, four floats at a time (the sums widen them to two f64x2 accumulators). The order
// of every addition is fixed, so the bits are the same on every run and on both builds: nothing
// here uses FMA, their one difference. Measured (training steps of 100 rows, relaxed build, the
// best of 200 on a 2-core Xeon under load average 8–10, so only roughly): batchNorm2d over
// [16, 28, 28] rows costs 4.8–5.9 ms a step this way against 6.8–7.6 ms with scalar loops; in
// LeNet-5 with batchNorm2d after each convolution and batchNorm1d after each hidden dense layer,
// 2.8 ms of a 21.4 ms step against 3.9 of 25.9. batchNorm1d's runs are one float long, so it
// takes the scalar tails (784 features: 0.54 ms against 0.47 ms for the plain scalar loops):
// small next to the dense layers around it.
import {
  header, LAYER_BATCHES_TRACKED, LAYER_BIAS, LAYER_BIAS_GRAD, LAYER_CHANNELS_IN, LAYER_EPSILON, LAYER_HEIGHT_IN,
  LAYER_MOMENTUM, LAYER_OUTPUT, LAYER_RUNNING_MEAN, LAYER_RUNNING_VARIANCE, LAYER_SCRATCH, LAYER_WEIGHT_GRAD,
  LAYER_WEIGHTS, LAYER_WIDTH_IN, layerField, layerPointer, MODE_EVALUATE, MODE_TRAIN, PLAN_MODE,
} from '../layout';

// @ts-ignore: decorator
@inline
function spatialSize(plan: usize, layer: i32): i32 {
  return layerField(plan, layer, LAYER_HEIGHT_IN) * layerField(plan, layer, LAYER_WIDTH_IN);
}

// @ts-ignore: decorator
@inline
function f32Field(plan: usize, layer: i32, word: i32): f64 {
  return <f64>reinterpret<f32>(layerField(plan, layer, word));
}

/** Lanes 2 and 3 of v in lanes 0 and 1, for f64x2.promote_low_f32x4. */
// @ts-ignore: decorator
@inline
function highHalf(v: v128): v128 {
  return v128.shuffle<f32>(v, v, 2, 3, 0, 1);
}

// @ts-ignore: decorator
@inline
function total(a: v128, b: v128): f64 {
  const sum = f64x2.add(a, b);
  return f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
}

/** Σ x[0..n). */
// @ts-ignore: decorator
@inline
function runSum(x: usize, n: i32): f64 {
  let sum: f64 = 0;
  let s = 0;
  if (n >= 4) {
    let a = f64x2.splat(0);
    let b = f64x2.splat(0);
    for (; s + 4 <= n; s += 4) {
      const v = v128.load(x + (<usize>s << 2));
      a = f64x2.add(a, f64x2.promote_low_f32x4(v));
      b = f64x2.add(b, f64x2.promote_low_f32x4(highHalf(v)));
    }
    sum = total(a, b);
  }
  for (; s < n; s++) sum += <f64>load<f32>(x + (<usize>s << 2));
  return sum;
}

/** Σ (x[0..n) − mean)². */
// @ts-ignore: decorator
@inline
function runSquares(x: usize, n: i32, mean: f64): f64 {
  let sum: f64 = 0;
  let s = 0;
  if (n >= 4) {
    const m = f64x2.splat(mean);
    let a = f64x2.splat(0);
    let b = f64x2.splat(0);
    for (; s + 4 <= n; s += 4) {
      const v = v128.load(x + (<usize>s << 2));
      const low = f64x2.sub(f64x2.promote_low_f32x4(v), m);
      const high = f64x2.sub(f64x2.promote_low_f32x4(highHalf(v)), m);
      a = f64x2.add(a, f64x2.mul(low, low));
      b = f64x2.add(b, f64x2.mul(high, high));
    }
    sum = total(a, b);
  }
  for (; s < n; s++) {
    const d = <f64>load<f32>(x + (<usize>s << 2)) - mean;
    sum += d * d;
  }
  return sum;
}

/** y[0..n) = x·scale + shift. */
// @ts-ignore: decorator
@inline
function runAffine(y: usize, x: usize, n: i32, scale: f32, shift: f32): void {
  const a = f32x4.splat(scale);
  const b = f32x4.splat(shift);
  let s = 0;
  for (; s + 4 <= n; s += 4) {
    const at = <usize>s << 2;
    v128.store(y + at, f32x4.add(f32x4.mul(v128.load(x + at), a), b));
  }
  for (; s < n; s++) {
    const at = <usize>s << 2;
    store<f32>(y + at, load<f32>(x + at) * scale + shift);
  }
}

// runGradientSums' second result: a wasm global, so that no memory is written for it.
let runDot: f64 = 0;

/** Returns Σ dy[0..n) and sets runDot to Σ dy·(x − mean), (x − mean) rounded to f32 as in runInputGradient. */
// @ts-ignore: decorator
@inline
function runGradientSums(dy: usize, x: usize, n: i32, mean: f32): f64 {
  let sum: f64 = 0;
  let dot: f64 = 0;
  let s = 0;
  if (n >= 4) {
    const m = f32x4.splat(mean);
    let sumLow = f64x2.splat(0);
    let sumHigh = f64x2.splat(0);
    let dotLow = f64x2.splat(0);
    let dotHigh = f64x2.splat(0);
    for (; s + 4 <= n; s += 4) {
      const at = <usize>s << 2;
      const g = v128.load(dy + at);
      const d = f32x4.sub(v128.load(x + at), m);
      const gLow = f64x2.promote_low_f32x4(g);
      const gHigh = f64x2.promote_low_f32x4(highHalf(g));
      sumLow = f64x2.add(sumLow, gLow);
      sumHigh = f64x2.add(sumHigh, gHigh);
      dotLow = f64x2.add(dotLow, f64x2.mul(gLow, f64x2.promote_low_f32x4(d)));
      dotHigh = f64x2.add(dotHigh, f64x2.mul(gHigh, f64x2.promote_low_f32x4(highHalf(d))));
    }
    sum = total(sumLow, sumHigh);
    dot = total(dotLow, dotHigh);
  }
  for (; s < n; s++) {
    const at = <usize>s << 2;
    const g = <f64>load<f32>(dy + at);
    sum += g;
    dot += g * <f64>(load<f32>(x + at) - mean);
  }
  runDot = dot;
  return sum;
}

/** dx[0..n) = (dy − meanGrad − (x − mean)·k)·scale. */
// @ts-ignore: decorator
@inline
function runInputGradient(dx: usize, dy: usize, x: usize, n: i32, mean: f32, meanGrad: f32, k: f32, scale: f32): void {
  const m = f32x4.splat(mean);
  const g = f32x4.splat(meanGrad);
  const kk = f32x4.splat(k);
  const sc = f32x4.splat(scale);
  let s = 0;
  for (; s + 4 <= n; s += 4) {
    const at = <usize>s << 2;
    const centred = f32x4.mul(f32x4.sub(v128.load(x + at), m), kk);
    v128.store(dx + at, f32x4.mul(f32x4.sub(f32x4.sub(v128.load(dy + at), g), centred), sc));
  }
  for (; s < n; s++) {
    const at = <usize>s << 2;
    store<f32>(dx + at, (load<f32>(dy + at) - meanGrad - (load<f32>(x + at) - mean) * k) * scale);
  }
}

export function batchNormForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  const channels = layerField(plan, layer, LAYER_CHANNELS_IN);
  const spatial = spatialSize(plan, layer);
  const rowBytes = <usize>(channels * spatial) << 2;
  const runBytes = <usize>spatial << 2;
  const output = layerPointer(plan, layer, LAYER_OUTPUT);
  const gamma = layerPointer(plan, layer, LAYER_WEIGHTS);
  const beta = layerPointer(plan, layer, LAYER_BIAS);
  const saved = layerPointer(plan, layer, LAYER_SCRATCH);
  const runningMean = layerPointer(plan, layer, LAYER_RUNNING_MEAN);
  const runningVariance = layerPointer(plan, layer, LAYER_RUNNING_VARIANCE);
  const mode = <i32>header(plan, PLAN_MODE);
  const epsilon = f32Field(plan, layer, LAYER_EPSILON);
  const momentum = f32Field(plan, layer, LAYER_MOMENTUM);
  const count = <f64>rows * <f64>spatial;
  for (let c = 0; c < channels; c++) {
    const at = <usize>c << 2;
    // Channel c of row r is the run of `spatial` floats at first + r·rowBytes.
    const first = <usize>c * runBytes;
    let mean: f64, variance: f64;
    if (mode == MODE_EVALUATE) {
      mean = <f64>load<f32>(runningMean + at);
      variance = <f64>load<f32>(runningVariance + at);
    } else {
      let sum: f64 = 0;
      for (let r = 0; r < rows; r++) sum += runSum(input + first + <usize>r * rowBytes, spatial);
      mean = sum / count;
      let squares: f64 = 0;
      for (let r = 0; r < rows; r++) squares += runSquares(input + first + <usize>r * rowBytes, spatial, mean);
      variance = squares / count;
      if (mode == MODE_TRAIN) {
        store<f32>(runningMean + at, <f32>(momentum * mean + (1 - momentum) * <f64>load<f32>(runningMean + at)));
        const unbiased = squares / (count - 1);
        store<f32>(runningVariance + at, <f32>(momentum * unbiased + (1 - momentum) * <f64>load<f32>(runningVariance + at)));
      }
    }
    const invStd = 1 / Math.sqrt(variance + epsilon);
    store<f32>(saved + at, <f32>mean);
    store<f32>(saved + (<usize>channels << 2) + at, <f32>invStd);
    const g = <f64>load<f32>(gamma + at);
    const scale = <f32>(g * invStd);
    const shift = <f32>(<f64>load<f32>(beta + at) - mean * invStd * g);
    for (let r = 0; r < rows; r++) {
      const offset = first + <usize>r * rowBytes;
      runAffine(output + offset, input + offset, spatial, scale, shift);
    }
  }
  if (mode == MODE_TRAIN) {
    const tracked = layerPointer(plan, layer, LAYER_BATCHES_TRACKED);
    store<i64>(tracked, load<i64>(tracked) + 1);
  }
}

export function batchNormBackward(plan: usize, layer: i32, input: usize, dOutput: usize, dInput: usize, rows: i32): void {
  const channels = layerField(plan, layer, LAYER_CHANNELS_IN);
  const spatial = spatialSize(plan, layer);
  const rowBytes = <usize>(channels * spatial) << 2;
  const runBytes = <usize>spatial << 2;
  const gamma = layerPointer(plan, layer, LAYER_WEIGHTS);
  const gammaGrad = layerPointer(plan, layer, LAYER_WEIGHT_GRAD);
  const betaGrad = layerPointer(plan, layer, LAYER_BIAS_GRAD);
  const saved = layerPointer(plan, layer, LAYER_SCRATCH);
  const count = <f64>rows * <f64>spatial;
  for (let c = 0; c < channels; c++) {
    const at = <usize>c << 2;
    const first = <usize>c * runBytes;
    const mean = load<f32>(saved + at);
    const invStd = <f64>load<f32>(saved + (<usize>channels << 2) + at);
    let sumDy: f64 = 0;
    let dot: f64 = 0;
    for (let r = 0; r < rows; r++) {
      const offset = first + <usize>r * rowBytes;
      sumDy += runGradientSums(dOutput + offset, input + offset, spatial, mean);
      dot += runDot;
    }
    store<f32>(gammaGrad + at, <f32>(dot * invStd));
    store<f32>(betaGrad + at, <f32>sumDy);
    if (!dInput) continue;
    const scale = <f32>(<f64>load<f32>(gamma + at) * invStd);
    const meanGrad = <f32>(sumDy / count);
    const k = <f32>(dot * invStd * invStd / count);
    for (let r = 0; r < rows; r++) {
      const offset = first + <usize>r * rowBytes;
      runInputGradient(dInput + offset, dOutput + offset, input + offset, spatial, mean, meanGrad, k, scale);
    }
  }
}
