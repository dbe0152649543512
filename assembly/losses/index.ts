// The loss head, chosen by the plan's LOSS_KIND: forward (loss sum), backward (∂mean loss/∂logits
// into the last layer's GRAD), the evaluation sums and prediction (probabilities or values).
import {
  EVAL_ABSOLUTE_ERROR, EVAL_CORRECT, EVAL_LOSS_SUM, header, LOSS_MEAN_SQUARED_ERROR,
  LOSS_SIGMOID_BINARY_CROSS_ENTROPY, LOSS_SOFTMAX_CROSS_ENTROPY, PLAN_LOSS_BUFFER, PLAN_LOSS_KIND,
} from '../layout';
import { countCorrect, softmaxCrossEntropyBackward, softmaxCrossEntropyForward } from './softmax-cross-entropy';
import {
  binaryCrossEntropyBackward, binaryCrossEntropyForward, countCorrectBinary, sigmoidProbabilities,
} from './binary-cross-entropy';
import { meanSquaredErrorBackward, regressionSums, squaredErrorSum } from './mean-squared-error';

// @ts-ignore: decorator
@inline
function lossKind(plan: usize): i32 {
  return <i32>header(plan, PLAN_LOSS_KIND);
}

/** Bytes of one row of targets: an i32 class index, or `outputs` f32 values. */
export function targetRowBytes(plan: usize, outputs: i32): usize {
  return lossKind(plan) == LOSS_SOFTMAX_CROSS_ENTROPY ? 4 : <usize>outputs << 2;
}

/** What the loss is the mean over: rows for cross-entropy, every element for BCE and MSE (as PyTorch). */
export function lossNormalizer(plan: usize, rows: i32, outputs: i32): f64 {
  return lossKind(plan) == LOSS_SOFTMAX_CROSS_ENTROPY ? <f64>rows : <f64>rows * <f64>outputs;
}

/** Σ of the loss over the batch; cross-entropy keeps its softmax in the plan's LOSS_BUFFER. */
export function lossForward(plan: usize, logits: usize, targets: usize, rows: i32, outputs: i32): f64 {
  const kind = lossKind(plan);
  if (kind == LOSS_SOFTMAX_CROSS_ENTROPY) {
    return softmaxCrossEntropyForward(header(plan, PLAN_LOSS_BUFFER), logits, targets, rows, outputs);
  }
  if (kind == LOSS_SIGMOID_BINARY_CROSS_ENTROPY) return binaryCrossEntropyForward(logits, targets, rows * outputs);
  return squaredErrorSum(logits, targets, rows * outputs);
}

/** grad = ∂(mean loss)/∂logits, after lossForward on the same batch. */
export function lossBackward(plan: usize, grad: usize, logits: usize, targets: usize, rows: i32, outputs: i32): void {
  const kind = lossKind(plan);
  const normalizer = <f32>lossNormalizer(plan, rows, outputs);
  if (kind == LOSS_SOFTMAX_CROSS_ENTROPY) {
    softmaxCrossEntropyBackward(grad, header(plan, PLAN_LOSS_BUFFER), targets, rows, outputs, normalizer);
  } else if (kind == LOSS_SIGMOID_BINARY_CROSS_ENTROPY) {
    binaryCrossEntropyBackward(grad, logits, targets, rows * outputs, normalizer);
  } else {
    meanSquaredErrorBackward(grad, logits, targets, rows * outputs, normalizer);
  }
}

/** Adds one block's loss and metric sums to the f64 slots at `result` (layout.ts EVAL_*). */
// @ts-ignore: decorator
@inline
function addTo(result: usize, slot: i32, value: f64): void {
  const at = result + (<usize>slot << 3);
  store<f64>(at, load<f64>(at) + value);
}

export function accumulateMetrics(plan: usize, logits: usize, targets: usize, rows: i32, outputs: i32, result: usize, scratch: usize): void {
  const kind = lossKind(plan);
  let correct: f64 = 0;
  // The correct count reads the logits, which the cross-entropy forward leaves untouched.
  if (kind == LOSS_SOFTMAX_CROSS_ENTROPY) correct = <f64>countCorrect(logits, targets, rows, outputs);
  else if (kind == LOSS_SIGMOID_BINARY_CROSS_ENTROPY) correct = <f64>countCorrectBinary(logits, targets, rows * outputs);
  addTo(result, EVAL_CORRECT, correct);
  addTo(result, EVAL_LOSS_SUM, lossForward(plan, logits, targets, rows, outputs));
  if (kind == LOSS_MEAN_SQUARED_ERROR) {
    regressionSums(logits, targets, rows * outputs, scratch);
    for (let i = 0; i < 3; i++) addTo(result, EVAL_ABSOLUTE_ERROR + i, load<f64>(scratch + (<usize>i << 3)));
  }
}

/** What the network predicts from its logits: class probabilities, label probabilities, or the values. */
export function lossPredict(plan: usize, out: usize, logits: usize, rows: i32, outputs: i32): void {
  const kind = lossKind(plan);
  if (kind == LOSS_SOFTMAX_CROSS_ENTROPY) softmaxCrossEntropyForward(out, logits, 0, rows, outputs);
  else if (kind == LOSS_SIGMOID_BINARY_CROSS_ENTROPY) sigmoidProbabilities(out, logits, rows * outputs);
  else memory.copy(out, logits, <usize>(rows * outputs) << 2);
}
