// A network stepped entirely inside wasm, so one training iteration is one call across the JS
// boundary. The host lays every tensor out in linear memory and describes the network in a
// plan (layout.ts): a header and one record per layer. Each pass walks the records and
// dispatches on the layer kind to that kind's forward/backward pair (assembly/layers/).
import { activationLayerBackward, activationLayerForward } from './layers/activation';
import { batchNormBackward, batchNormForward } from './layers/batchnorm';
import { conv2dBackward, conv2dForward } from './layers/conv2d';
import { denseBackward, denseForward, sgdUpdateSkippingUntouchedRows } from './layers/dense';
import { dropoutBackward, dropoutForward } from './layers/dropout';
import {
  avgPoolBackward, avgPoolForward, flattenBackward, flattenForward, maxPoolBackward, maxPoolForward,
} from './layers/pool';
import { accumulateMetrics, lossBackward, lossForward, lossNormalizer, lossPredict, targetRowBytes } from './losses/index';
import { optimizerStep } from './optim';
import {
  EVAL_SLOTS, header, KIND_ACTIVATION, KIND_AVGPOOL2D, KIND_BATCHNORM, KIND_CONV2D, KIND_DENSE, KIND_DROPOUT, KIND_FLATTEN, KIND_MAXPOOL2D, LAYER_GRAD, LAYER_KIND, LAYER_OUT, LAYER_OUTPUT, layerField,
  layerInput, layerPointer, PLAN_GRADS, PLAN_INPUT, PLAN_INPUT_SIZE, PLAN_LAYER_COUNT, PLAN_LOSS, PLAN_MAX_ROWS,
  PLAN_OPTIMIZER, PLAN_PARAM_COUNT, PLAN_PARAMS, PLAN_SPARSE_FIRST_ROW, PLAN_SPARSE_INDICES, PLAN_SPARSE_INPUT,
  PLAN_TARGETS,
} from './layout';

// @ts-ignore: decorator
@inline
function layerCount(plan: usize): i32 {
  return <i32>header(plan, PLAN_LAYER_COUNT);
}

// @ts-ignore: decorator
@inline
function outputs(plan: usize): i32 {
  return layerField(plan, layerCount(plan) - 1, LAYER_OUT);
}

/** Runs every layer on x[rows×in]; returns the address of the last layer's output (the logits). */
export function forward(plan: usize, x: usize, rows: i32): usize {
  const layers = layerCount(plan);
  for (let l = 0; l < layers; l++) {
    const input = layerInput(plan, l, x);
    const kind = layerField(plan, l, LAYER_KIND);
    if (kind == KIND_DENSE) denseForward(plan, l, input, rows);
    else if (kind == KIND_ACTIVATION) activationLayerForward(plan, l, input, rows);
    else if (kind == KIND_DROPOUT) dropoutForward(plan, l, input, rows);
    else if (kind == KIND_CONV2D) conv2dForward(plan, l, input, rows);
    else if (kind == KIND_MAXPOOL2D) maxPoolForward(plan, l, input, rows);
    else if (kind == KIND_AVGPOOL2D) avgPoolForward(plan, l, input, rows);
    else if (kind == KIND_FLATTEN) flattenForward(plan, l, input, rows);
    else if (kind == KIND_BATCHNORM) batchNormForward(plan, l, input, rows);
  }
  return layerPointer(plan, layers - 1, LAYER_OUTPUT);
}

/** The first layer with parameters: no layer before it needs an input gradient. */
function firstWithParameters(plan: usize): i32 {
  const layers = layerCount(plan);
  for (let l = 0; l < layers; l++) {
    const kind = layerField(plan, l, LAYER_KIND);
    if (kind == KIND_DENSE || kind == KIND_CONV2D || kind == KIND_BATCHNORM) return l;
  }
  return layers;
}

/**
 * Forward, loss and backward on one batch; writes every gradient into the gradient block
 * (overwriting it) and returns the mean loss. The first learning layer's input gradient is never
 * computed: nothing consumes it.
 */
export function lossAndGradients(plan: usize, x: usize, targets: usize, rows: i32): f64 {
  const layers = layerCount(plan);
  const last = layers - 1;
  const classes = outputs(plan);
  const logits = forward(plan, x, rows);
  const lossSum = lossForward(plan, logits, targets, rows, classes);
  lossBackward(plan, layerPointer(plan, last, LAYER_GRAD), logits, targets, rows, classes);

  const first = firstWithParameters(plan);
  for (let l = last; l >= first; l--) {
    const dOutput = layerPointer(plan, l, LAYER_GRAD);
    const dInput = l > first ? layerPointer(plan, l - 1, LAYER_GRAD) : 0;
    const kind = layerField(plan, l, LAYER_KIND);
    if (kind == KIND_DENSE) denseBackward(plan, l, layerInput(plan, l, x), dOutput, dInput, rows);
    else if (kind == KIND_ACTIVATION) activationLayerBackward(plan, l, dOutput, dInput, rows);
    else if (kind == KIND_DROPOUT) dropoutBackward(plan, l, dOutput, dInput, rows);
    else if (kind == KIND_CONV2D) conv2dBackward(plan, l, layerInput(plan, l, x), dOutput, dInput, rows);
    else if (kind == KIND_MAXPOOL2D) maxPoolBackward(plan, l, dOutput, dInput, rows);
    else if (kind == KIND_AVGPOOL2D) avgPoolBackward(plan, l, dOutput, dInput, rows);
    else if (kind == KIND_FLATTEN) flattenBackward(plan, l, dOutput, dInput, rows);
    else if (kind == KIND_BATCHNORM) batchNormBackward(plan, l, layerInput(plan, l, x), dOutput, dInput, rows);
  }
  return lossSum / lossNormalizer(plan, rows, classes);
}

/**
 * One training iteration on x[rows×in]: gradients, then the update (the plan's optimizer, or
 * params −= lr·grads). Writes the loss before the update to the plan's LOSS slot.
 */
export function trainStep(plan: usize, x: usize, targets: usize, rows: i32, lr: f64): void {
  store<f64>(header(plan, PLAN_LOSS), lossAndGradients(plan, x, targets, rows));
  const params = header(plan, PLAN_PARAMS);
  const grads = header(plan, PLAN_GRADS);
  const count = <i32>header(plan, PLAN_PARAM_COUNT);
  const optimizer = header(plan, PLAN_OPTIMIZER);
  if (optimizer) optimizerStep(optimizer, params, grads, count, lr);
  else sgdUpdateSkippingUntouchedRows(plan, params, grads, count, <f32>lr);
}

/**
 * trainStep on the rows `indices[0..rows)` of a dataset already in linear memory
 * (inputs [count×in] f32, targets one row each): gathers them into the plan's INPUT and
 * TARGETS buffers first, so sampling a batch costs no JS-side copy.
 */
export function trainStepGathered(
  plan: usize, inputs: usize, targets: usize, indices: usize, rows: i32, lr: f64,
): void {
  const input = header(plan, PLAN_INPUT);
  const batchTargets = header(plan, PLAN_TARGETS);
  const rowBytes = header(plan, PLAN_INPUT_SIZE) << 2;
  const targetBytes = targetRowBytes(plan, outputs(plan));
  // A sparse first layer reads the batch's rows from the compressed set by these indices: the
  // dense rows are not copied at all.
  const sparse = header(plan, PLAN_SPARSE_INPUT) != 0;
  store<u32>(plan + (<usize>PLAN_SPARSE_INDICES << 2), <u32>indices);
  for (let r = 0; r < rows; r++) {
    const index = <usize>load<i32>(indices + (<usize>r << 2));
    if (!sparse) memory.copy(input + <usize>r * rowBytes, inputs + index * rowBytes, rowBytes);
    memory.copy(batchTargets + <usize>r * targetBytes, targets + index * targetBytes, targetBytes);
  }
  trainStep(plan, input, batchTargets, rows, lr);
  store<u32>(plan + (<usize>PLAN_SPARSE_INDICES << 2), 0);
}

/**
 * Loss and metric sums over x[rows×in] (layout.ts EVAL_*), in blocks of MAX_ROWS rows so a
 * whole dataset is one call. `scratch` holds 3 f64.
 */
export function evaluate(plan: usize, x: usize, targets: usize, rows: i32, result: usize, scratch: usize): void {
  const inSize = <i32>header(plan, PLAN_INPUT_SIZE);
  const classes = outputs(plan);
  const targetBytes = targetRowBytes(plan, classes);
  const blockRows = <i32>header(plan, PLAN_MAX_ROWS);
  memory.fill(result, 0, <usize>EVAL_SLOTS << 3);
  for (let start = 0; start < rows; start += blockRows) {
    const count = min(blockRows, rows - start);
    // A sparse first layer reads this block's rows from the compressed set (x's row 0 is its row 0).
    store<u32>(plan + (<usize>PLAN_SPARSE_FIRST_ROW << 2), <u32>start);
    const logits = forward(plan, x + (<usize>start * <usize>inSize << 2), count);
    accumulateMetrics(plan, logits, targets + <usize>start * targetBytes, count, classes, result, scratch);
  }
}

/** Predictions for x[rows×in] (rows ≤ MAX_ROWS) into out [rows×outputs]: probabilities or values. */
export function predict(plan: usize, x: usize, rows: i32, out: usize): void {
  lossPredict(plan, out, forward(plan, x, rows), rows, outputs(plan));
}
