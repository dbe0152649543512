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
import { activationF64, ACTIVATION_IDENTITY } from './activation';
import { forward } from './network';
import {
  header, KIND_ACTIVATION, KIND_DENSE, LAYER_BIAS_GRAD, LAYER_FUNCTION, LAYER_IN, LAYER_KIND, LAYER_OUT,
  LAYER_OUTPUT, LAYER_WEIGHT_GRAD, LAYER_WEIGHTS, layerField, layerInput, layerPointer, LOSS_SOFTMAX_CROSS_ENTROPY,
  PLAN_LAYER_COUNT, PLAN_LOSS_KIND,
} from './layout';

// @ts-ignore: decorator
@inline
function f32At(base: usize, index: i32): f32 {
  return load<f32>(base + (<usize>index << 2));
}

/** Cross-entropy of one row of f64 logits held in `row`, for class `label`. */
function crossEntropyF64(row: usize, classes: i32, label: i32): f64 {
  let rowMax = -Infinity;
  for (let c = 0; c < classes; c++) rowMax = max(rowMax, load<f64>(row + (<usize>c << 3)));
  let sum: f64 = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(load<f64>(row + (<usize>c << 3)) - rowMax);
  return Math.log(sum) - (load<f64>(row + (<usize>label << 3)) - rowMax);
}

/** Loss of row r when logit column j is `changedValue` instead of its stored value. */
function rowLoss(logits: usize, r: i32, classes: i32, label: i32, j: i32, changedValue: f64, scratch: usize): f64 {
  for (let c = 0; c < classes; c++) {
    store<f64>(scratch + (<usize>c << 3), c == j ? changedValue : <f64>f32At(logits, r * classes + c));
  }
  return crossEntropyF64(scratch, classes, label);
}

/** Loss of row r when hidden unit j's activation moves by dh: logits += dh · Wout[j][·]. */
function shiftedRowLoss(
  logits: usize, outWeights: usize, r: i32, j: i32, classes: i32, label: i32, dh: f64, scratch: usize,
): f64 {
  for (let c = 0; c < classes; c++) {
    store<f64>(scratch + (<usize>c << 3), <f64>f32At(logits, r * classes + c) + dh * <f64>f32At(outWeights, j * classes + c));
  }
  return crossEntropyF64(scratch, classes, label);
}

/**
 * Writes the numerical gradient of the mean softmax cross-entropy for the parameters of the
 * last two dense layers into their gradient tensors, when the network ends in
 * dense [→ activation] → dense; returns how many dense layers it did (0: the network does not
 * end in a dense layer under cross-entropy, and the host takes the slow path for all of them).
 * `rowScratch` holds `classes` f64 values.
 */
export function numericalGradientLastLayers(
  plan: usize, x: usize, labels: usize, rows: i32, h: f64, rowScratch: usize,
): i32 {
  const layers = <i32>header(plan, PLAN_LAYER_COUNT);
  const out = layers - 1;
  if (<i32>header(plan, PLAN_LOSS_KIND) != LOSS_SOFTMAX_CROSS_ENTROPY || layerField(plan, out, LAYER_KIND) != KIND_DENSE) return 0;
  forward(plan, x, rows);
  const classes = layerField(plan, out, LAYER_OUT);
  const logits = layerPointer(plan, out, LAYER_OUTPUT);
  const scale = 1 / (2 * h * <f64>rows);

  // Output layer: W[i][j] moves logit column j by ±h·input[r][i]; b[j] by ±h.
  {
    const inSize = layerField(plan, out, LAYER_IN);
    const input = layerInput(plan, out, x);
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
          difference += rowLoss(logits, r, classes, label, j, z + h * a, rowScratch)
            - rowLoss(logits, r, classes, label, j, z - h * a, rowScratch);
        }
        const g = <f32>(difference * scale);
        if (i < inSize) store<f32>(weightGrad + (<usize>(i * classes + j) << 2), g);
        else store<f32>(biasGrad + (<usize>j << 2), g);
      }
    }
  }

  // The dense layer before it, with at most one activation between: W[i][j] moves unit j's
  // pre-activation by ±h·input[r][i]; the activation change dh then moves every logit c by
  // dh·Wout[j][c].
  let hidden = out - 1;
  let kind = ACTIVATION_IDENTITY;
  if (hidden >= 0 && layerField(plan, hidden, LAYER_KIND) == KIND_ACTIVATION) {
    kind = layerField(plan, hidden, LAYER_FUNCTION);
    hidden--;
  }
  if (hidden < 0 || layerField(plan, hidden, LAYER_KIND) != KIND_DENSE) return 1;
  const inSize = layerField(plan, hidden, LAYER_IN);
  const units = layerField(plan, hidden, LAYER_OUT);
  const input = layerInput(plan, hidden, x);
  const preActivation = layerPointer(plan, hidden, LAYER_OUTPUT);
  const activation = layerInput(plan, out, x);
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
        const dhPlus = activationF64(kind, z + h * a) - hBase;
        const dhMinus = activationF64(kind, z - h * a) - hBase;
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
  return 2;
}
