// A multilayer perceptron stepped entirely inside wasm, so one training iteration is one call
// across the JS boundary. The host lays every tensor out in linear memory and describes the
// network in a "plan": a header followed by one record per dense layer, all i32 words. The
// word offsets are exported so the host reads them from here instead of keeping a copy.
//
// Layer l computes OUTPUT_l = act_l(input_l · W_l + b_l) with W_l stored [in×out] as in the
// references; the last layer's activation is the identity and its OUTPUT holds the logits, then
// the softmax probabilities. DELTA_l holds ∂loss/∂(pre-activation of layer l).
import { gemmNN, gemmNT, gemmTN } from './gemm';
import { addBiasRows, columnSums } from './bias';
import { activationBackward, activationForward } from './activation';
import { countCorrect, softmaxCrossEntropyBackward, softmaxCrossEntropyForward } from './softmax';
import { optimizerStep, sgdUpdate } from './optim';
import {
  EVAL_CORRECT_OFFSET, EVAL_LOSS_SUM_OFFSET, header, LAYER_ACTIVATION, LAYER_BIAS, LAYER_BIAS_GRAD,
  LAYER_DELTA, LAYER_IN, LAYER_OUT, LAYER_OUTPUT, LAYER_WEIGHT_GRAD, LAYER_WEIGHTS, layerField,
  layerPointer, PLAN_GRADS, PLAN_INPUT, PLAN_LABELS, PLAN_LAYER_COUNT, PLAN_MAX_ROWS, PLAN_PACK,
  PLAN_LOSS, PLAN_OPTIMIZER, PLAN_PARAM_COUNT, PLAN_PARAMS,
} from './plan';

/**
 * Runs every layer on x[rows×in]; returns the address of the logits [rows×classes]. With
 * keepPreActivations each layer's pre-activation is also copied to its DELTA buffer (the
 * numerical gradient's base state).
 */
export function forward(plan: usize, x: usize, rows: i32, keepPreActivations: bool = false): usize {
  const layers = <i32>header(plan, PLAN_LAYER_COUNT);
  let input = x;
  for (let l = 0; l < layers; l++) {
    const inSize = layerField(plan, l, LAYER_IN);
    const outSize = layerField(plan, l, LAYER_OUT);
    const output = layerPointer(plan, l, LAYER_OUTPUT);
    gemmNN(output, input, layerPointer(plan, l, LAYER_WEIGHTS), rows, outSize, inSize, false);
    addBiasRows(output, layerPointer(plan, l, LAYER_BIAS), rows, outSize);
    if (keepPreActivations) memory.copy(layerPointer(plan, l, LAYER_DELTA), output, <usize>(rows * outSize) << 2);
    activationForward(layerField(plan, l, LAYER_ACTIVATION), output, rows * outSize);
    input = output;
  }
  return input;
}

/**
 * Forward, softmax cross-entropy and backward on one batch; writes every gradient into the
 * gradient block (overwriting it) and returns the mean loss. The first layer's input gradient
 * is never computed: nothing consumes it.
 */
export function lossAndGradients(plan: usize, x: usize, labels: usize, rows: i32): f64 {
  const layers = <i32>header(plan, PLAN_LAYER_COUNT);
  const last = layers - 1;
  const classes = layerField(plan, last, LAYER_OUT);
  const probs = forward(plan, x, rows);
  const lossSum = softmaxCrossEntropyForward(probs, labels, rows, classes);
  softmaxCrossEntropyBackward(layerPointer(plan, last, LAYER_DELTA), probs, labels, rows, classes, <f32>rows);

  for (let l = last; l >= 0; l--) {
    const inSize = layerField(plan, l, LAYER_IN);
    const outSize = layerField(plan, l, LAYER_OUT);
    const delta = layerPointer(plan, l, LAYER_DELTA);
    const input = l == 0 ? x : layerPointer(plan, l - 1, LAYER_OUTPUT);
    gemmTN(layerPointer(plan, l, LAYER_WEIGHT_GRAD), input, delta, inSize, outSize, rows, false);
    columnSums(layerPointer(plan, l, LAYER_BIAS_GRAD), delta, rows, outSize, false);
    if (l > 0) {
      const previousDelta = layerPointer(plan, l - 1, LAYER_DELTA);
      gemmNT(previousDelta, delta, layerPointer(plan, l, LAYER_WEIGHTS), rows, inSize, outSize, false,
        header(plan, PLAN_PACK));
      activationBackward(layerField(plan, l - 1, LAYER_ACTIVATION), previousDelta, input, rows * inSize);
    }
  }
  return lossSum / <f64>rows;
}

/**
 * One training iteration on x[rows×in]: gradients, then the update (the plan's optimizer, or
 * params −= lr·grads). Writes the loss before the update to the plan's LOSS slot.
 */
export function trainStep(plan: usize, x: usize, labels: usize, rows: i32, lr: f64): void {
  store<f64>(header(plan, PLAN_LOSS), lossAndGradients(plan, x, labels, rows));
  const params = header(plan, PLAN_PARAMS);
  const grads = header(plan, PLAN_GRADS);
  const count = <i32>header(plan, PLAN_PARAM_COUNT);
  const optimizer = header(plan, PLAN_OPTIMIZER);
  if (optimizer) optimizerStep(optimizer, params, grads, count, lr);
  else sgdUpdate(params, grads, count, <f32>lr);
}

/**
 * trainStep on the rows `indices[0..rows)` of a dataset already in linear memory
 * (images [count×in] f32, labels [count] i32): gathers them into the plan's INPUT and LABELS
 * buffers first, so sampling a batch costs no JS-side copy.
 */
export function trainStepGathered(
  plan: usize, images: usize, labels: usize, indices: usize, rows: i32, lr: f64,
): void {
  const input = header(plan, PLAN_INPUT);
  const batchLabels = header(plan, PLAN_LABELS);
  const rowBytes = <usize>layerField(plan, 0, LAYER_IN) << 2;
  for (let r = 0; r < rows; r++) {
    const index = <usize>load<i32>(indices + (<usize>r << 2));
    memory.copy(input + <usize>r * rowBytes, images + index * rowBytes, rowBytes);
    store<i32>(batchLabels + (<usize>r << 2), load<i32>(labels + (index << 2)));
  }
  trainStep(plan, input, batchLabels, rows, lr);
}

/**
 * Loss sum and correct count over x[rows×in], in blocks of MAX_ROWS rows so a whole dataset
 * is one call. The loss pass overwrites the logits, so the argmax is taken first.
 */
export function evaluate(plan: usize, x: usize, labels: usize, rows: i32, result: usize): void {
  const layers = <i32>header(plan, PLAN_LAYER_COUNT);
  const inSize = layerField(plan, 0, LAYER_IN);
  const classes = layerField(plan, layers - 1, LAYER_OUT);
  const blockRows = <i32>header(plan, PLAN_MAX_ROWS);
  let lossSum: f64 = 0;
  let correct = 0;
  for (let start = 0; start < rows; start += blockRows) {
    const count = min(blockRows, rows - start);
    const blockLabels = labels + (<usize>start << 2);
    const logits = forward(plan, x + (<usize>start * <usize>inSize << 2), count);
    correct += countCorrect(logits, blockLabels, count, classes);
    lossSum += softmaxCrossEntropyForward(logits, blockLabels, count, classes);
  }
  store<f64>(result + EVAL_LOSS_SUM_OFFSET, lossSum);
  store<i32>(result + EVAL_CORRECT_OFFSET, correct);
}
