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
//   dx = γ/√(σ² + ε) · (dy − Σdy/count − (x − μ)·dot/((σ² + ε)·count))   (training: μ, σ² depend on x)
//   dx = γ/√(σ² + ε) · dy                                               (evaluation)
//
// The sums are f64, as PyTorch's CPU kernel accumulates them (its acc_type of float is double),
// so a channel of 50 000 values loses no digit to the order of the additions. The host refuses a
// training batch of one value per channel (σ² would be 0/0 unbiased), as PyTorch does.
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
      for (let r = 0; r < rows; r++) {
        const x = input + first + <usize>r * rowBytes;
        for (let s = 0; s < spatial; s++) sum += <f64>load<f32>(x + (<usize>s << 2));
      }
      mean = sum / count;
      let squares: f64 = 0;
      for (let r = 0; r < rows; r++) {
        const x = input + first + <usize>r * rowBytes;
        for (let s = 0; s < spatial; s++) {
          const d = <f64>load<f32>(x + (<usize>s << 2)) - mean;
          squares += d * d;
        }
      }
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
      const x = input + offset;
      const y = output + offset;
      for (let s = 0; s < spatial; s++) {
        const e = <usize>s << 2;
        store<f32>(y + e, load<f32>(x + e) * scale + shift);
      }
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
  const batchStatistics = <i32>header(plan, PLAN_MODE) != MODE_EVALUATE;
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
      const x = input + offset;
      const dy = dOutput + offset;
      for (let s = 0; s < spatial; s++) {
        const e = <usize>s << 2;
        const g = <f64>load<f32>(dy + e);
        sumDy += g;
        dot += g * <f64>(load<f32>(x + e) - mean);
      }
    }
    store<f32>(gammaGrad + at, <f32>(dot * invStd));
    store<f32>(betaGrad + at, <f32>sumDy);
    if (!dInput) continue;
    const scale = <f32>(<f64>load<f32>(gamma + at) * invStd);
    // Evaluation: μ and σ² are constants, so only the scale remains.
    const meanGrad = batchStatistics ? <f32>(sumDy / count) : 0;
    const k = batchStatistics ? <f32>(dot * invStd * invStd / count) : 0;
    for (let r = 0; r < rows; r++) {
      const offset = first + <usize>r * rowBytes;
      const x = input + offset;
      const dy = dOutput + offset;
      const dx = dInput + offset;
      for (let s = 0; s < spatial; s++) {
        const e = <usize>s << 2;
        store<f32>(dx + e, (load<f32>(dy + e) - meanGrad - (load<f32>(x + e) - mean) * k) * scale);
      }
    }
  }
}
