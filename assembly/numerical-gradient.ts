// Central differences (L(θ+h) − L(θ−h)) / 2h for every parameter of the last two layers, fast
// enough to check a full-size network (79,510 entries of 784-100-10 in well under a second).
//
// A perturbed weight W[i][j] of the output layer changes one logit column; one of the hidden
// layer before it changes one hidden unit, hence that unit's activation and every logit by a
// rank-1 term. So after one base forward pass that keeps pre-activations, each perturbed loss
// recomputes only what depends on the weight, and only for rows where it changes anything
// (rows whose input to the weight is 0, like MNIST's blank border pixels, are unaffected).
// The recomputation runs in f64 from the f32 base state, so both sides of the difference share
// that state and its rounding cancels; the step is exactly ±h.
import { ACTIVATION_RELU, ACTIVATION_SIGMOID, ACTIVATION_TANH } from './activation';
import { forward } from './network';
import {
  header, LAYER_ACTIVATION, LAYER_BIAS_GRAD, LAYER_DELTA, LAYER_IN, LAYER_OUT, LAYER_OUTPUT,
  LAYER_WEIGHT_GRAD, LAYER_WEIGHTS, layerField, layerPointer, PLAN_LAYER_COUNT,
} from './plan';

// @ts-ignore: decorator
@inline
function f32At(base: usize, index: i32): f32 {
  return load<f32>(base + (<usize>index << 2));
}

function activate(kind: i32, z: f64): f64 {
  if (kind == ACTIVATION_SIGMOID) return 1 / (1 + Math.exp(-z));
  if (kind == ACTIVATION_RELU) return z > 0 ? z : 0;
  if (kind == ACTIVATION_TANH) return Math.tanh(z);
  return z;
}

/** Cross-entropy of one row of logits, where `logit(c)` may differ from the stored ones. */
// @ts-ignore: decorator
@inline
function rowLoss(logits: usize, row: i32, classes: i32, label: i32, changedColumn: i32, changedValue: f64): f64 {
  let rowMax = -Infinity;
  for (let c = 0; c < classes; c++) {
    const z = c == changedColumn ? changedValue : <f64>f32At(logits, row * classes + c);
    rowMax = max(rowMax, z);
  }
  let sum: f64 = 0;
  for (let c = 0; c < classes; c++) {
    const z = c == changedColumn ? changedValue : <f64>f32At(logits, row * classes + c);
    sum += Math.exp(z - rowMax);
  }
  const zLabel = label == changedColumn ? changedValue : <f64>f32At(logits, row * classes + label);
  return Math.log(sum) - (zLabel - rowMax);
}

/**
 * Writes the numerical gradient of the mean loss for the parameters of the last two layers (or
 * the only layer) into their gradient tensors. `rowScratch` holds `classes` f64 values.
 */
export function numericalGradientLastLayers(
  plan: usize, x: usize, labels: usize, rows: i32, h: f64, rowScratch: usize,
): void {
  const layers = <i32>header(plan, PLAN_LAYER_COUNT);
  forward(plan, x, rows, true);
  const out = layers - 1;
  const classes = layerField(plan, out, LAYER_OUT);
  const logits = layerPointer(plan, out, LAYER_DELTA);
  const scale = 1 / (2 * h * <f64>rows);

  // Output layer: W[i][j] moves logit column j by ±h·input[r][i]; b[j] by ±h.
  {
    const inSize = layerField(plan, out, LAYER_IN);
    const input = out == 0 ? x : layerPointer(plan, out - 1, LAYER_OUTPUT);
    const weightGrad = layerPointer(plan, out, LAYER_WEIGHT_GRAD);
    const biasGrad = layerPointer(plan, out, LAYER_BIAS_GRAD);
    for (let i = 0; i <= inSize; i++) {
      for (let j = 0; j < classes; j++) {
        let difference: f64 = 0;
        for (let r = 0; r < rows; r++) {
          const a: f64 = i < inSize ? <f64>f32At(input, r * inSize + i) : 1; // i == inSize: the bias
          if (a == 0) continue;
          const z = <f64>f32At(logits, r * classes + j);
          const label = load<i32>(labels + (<usize>r << 2));
          difference += rowLoss(logits, r, classes, label, j, z + h * a) - rowLoss(logits, r, classes, label, j, z - h * a);
        }
        const g = <f32>(difference * scale);
        if (i < inSize) store<f32>(weightGrad + (<usize>(i * classes + j) << 2), g);
        else store<f32>(biasGrad + (<usize>j << 2), g);
      }
    }
  }
  if (layers < 2) return;

  // Hidden layer before it: W[i][j] moves unit j's pre-activation by ±h·input[r][i]; the
  // activation change dh then moves every logit c by dh·Wout[j][c].
  const hidden = out - 1;
  const inSize = layerField(plan, hidden, LAYER_IN);
  const units = layerField(plan, hidden, LAYER_OUT);
  const kind = layerField(plan, hidden, LAYER_ACTIVATION);
  const input = hidden == 0 ? x : layerPointer(plan, hidden - 1, LAYER_OUTPUT);
  const preActivation = layerPointer(plan, hidden, LAYER_DELTA);
  const activation = layerPointer(plan, hidden, LAYER_OUTPUT);
  const outWeights = layerPointer(plan, out, LAYER_WEIGHTS);
  const weightGrad = layerPointer(plan, hidden, LAYER_WEIGHT_GRAD);
  const biasGrad = layerPointer(plan, hidden, LAYER_BIAS_GRAD);
  for (let i = 0; i <= inSize; i++) {
    for (let j = 0; j < units; j++) {
      let difference: f64 = 0;
      for (let r = 0; r < rows; r++) {
        const a: f64 = i < inSize ? <f64>f32At(input, r * inSize + i) : 1;
        if (a == 0) continue;
        const z = <f64>f32At(preActivation, r * units + j);
        const hBase = <f64>f32At(activation, r * units + j);
        const dhPlus = activate(kind, z + h * a) - hBase;
        const dhMinus = activate(kind, z - h * a) - hBase;
        if (dhPlus == dhMinus) continue;
        const label = load<i32>(labels + (<usize>r << 2));
        difference += shiftedRowLoss(logits, outWeights, r, j, classes, label, dhPlus, rowScratch)
          - shiftedRowLoss(logits, outWeights, r, j, classes, label, dhMinus, rowScratch);
      }
      const g = <f32>(difference * scale);
      if (i < inSize) store<f32>(weightGrad + (<usize>(i * units + j) << 2), g);
      else store<f32>(biasGrad + (<usize>j << 2), g);
    }
  }
}

/** Loss of row r when hidden unit j's activation moves by dh: logits += dh · Wout[j][·]. */
function shiftedRowLoss(
  logits: usize, outWeights: usize, r: i32, j: i32, classes: i32, label: i32, dh: f64, scratch: usize,
): f64 {
  let rowMax = -Infinity;
  for (let c = 0; c < classes; c++) {
    const z = <f64>f32At(logits, r * classes + c) + dh * <f64>f32At(outWeights, j * classes + c);
    store<f64>(scratch + (<usize>c << 3), z);
    rowMax = max(rowMax, z);
  }
  let sum: f64 = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(load<f64>(scratch + (<usize>c << 3)) - rowMax);
  return Math.log(sum) - (load<f64>(scratch + (<usize>label << 3)) - rowMax);
}
