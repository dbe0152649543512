// A network stepped entirely inside wasm, so one training iteration is one call across the JS
// boundary. The host lays every tensor out in linear memory and describes the network in a
// plan (layout.ts): a header and one record per layer. Each pass walks the records and
// dispatches on the layer kind to that kind's forward/backward pair (assembly/layers/).
//
// Threads (threads.ts): each exported pass is also what a pool's workers run. Thread 0 launches
// the workers with the pass's arguments, every thread runs the same walk over the layers doing
// its share, and layers no thread shares yet run on thread 0 between barriers.
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
  PLAN_PARALLEL_ROWS, PLAN_TARGETS,
} from './layout';
import { barrier, finish, launch, nextPass, onlyThreadZero, passArgument, PASS_EXIT, shareEnd, shareStart } from './threads';

// What a worker is asked to run (threads.ts launch).
const PASS_FORWARD: i32 = 1;
const PASS_LOSS_AND_GRADIENTS: i32 = 2;
const PASS_TRAIN_STEP: i32 = 3;
const PASS_TRAIN_STEP_GATHERED: i32 = 4;
const PASS_EVALUATE: i32 = 5;
const PASS_PREDICT: i32 = 6;

// @ts-ignore: decorator
@inline
function parallel(plan: usize, rows: i32): bool {
  const least = <i32>header(plan, PLAN_PARALLEL_ROWS);
  return least > 0 && rows >= least;
}

/** A layer no thread shares: thread 0 runs it once every thread has finished the layers before. */
// @ts-ignore: decorator
@inline
function aloneBegin(): bool {
  barrier();
  return onlyThreadZero();
}

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
  launch(PASS_FORWARD, parallel(plan, rows), plan, x, 0, 0, 0, rows, 0);
  const logits = forwardLayers(plan, x, rows);
  finish();
  return logits;
}

function forwardLayers(plan: usize, x: usize, rows: i32): usize {
  const layers = layerCount(plan);
  for (let l = 0; l < layers; l++) {
    const input = layerInput(plan, l, x);
    const kind = layerField(plan, l, LAYER_KIND);
    if (kind == KIND_DENSE) denseForward(plan, l, input, rows);
    else if (kind == KIND_ACTIVATION) activationLayerForward(plan, l, input, rows);
    else if (kind == KIND_DROPOUT) dropoutForward(plan, l, input, rows);
    else {
      if (aloneBegin()) {
        if (kind == KIND_CONV2D) conv2dForward(plan, l, input, rows);
        else if (kind == KIND_MAXPOOL2D) maxPoolForward(plan, l, input, rows);
        else if (kind == KIND_AVGPOOL2D) avgPoolForward(plan, l, input, rows);
        else if (kind == KIND_FLATTEN) flattenForward(plan, l, input, rows);
        else if (kind == KIND_BATCHNORM) batchNormForward(plan, l, input, rows);
      }
      barrier();
    }
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
  launch(PASS_LOSS_AND_GRADIENTS, parallel(plan, rows), plan, x, targets, 0, 0, rows, 0);
  const loss = gradients(plan, x, targets, rows);
  finish();
  return loss;
}

/**
 * lossAndGradients' work; the loss it returns is thread 0's (the others return 0). Backward stops
 * at the first learning layer, so a layer without parameters (activation, dropout, pooling,
 * flatten) always has an input gradient to write; a learning layer's may be 0 (none).
 */
function gradients(plan: usize, x: usize, targets: usize, rows: i32): f64 {
  const layers = layerCount(plan);
  const last = layers - 1;
  const classes = outputs(plan);
  const logits = forwardLayers(plan, x, rows);
  // The loss is one f64 sum in row order: thread 0's.
  let lossSum: f64 = 0;
  if (aloneBegin()) {
    lossSum = lossForward(plan, logits, targets, rows, classes);
    lossBackward(plan, layerPointer(plan, last, LAYER_GRAD), logits, targets, rows, classes);
  }
  barrier();

  const first = firstWithParameters(plan);
  for (let l = last; l >= first; l--) {
    const dOutput = layerPointer(plan, l, LAYER_GRAD);
    const dInput = l > first ? layerPointer(plan, l - 1, LAYER_GRAD) : 0;
    const kind = layerField(plan, l, LAYER_KIND);
    if (kind == KIND_DENSE) denseBackward(plan, l, layerInput(plan, l, x), dOutput, dInput, rows);
    else if (kind == KIND_ACTIVATION) activationLayerBackward(plan, l, dOutput, dInput, rows);
    else if (kind == KIND_DROPOUT) dropoutBackward(plan, l, dOutput, dInput, rows);
    else {
      if (aloneBegin()) {
        if (kind == KIND_CONV2D) conv2dBackward(plan, l, layerInput(plan, l, x), dOutput, dInput, rows);
        else if (kind == KIND_MAXPOOL2D) maxPoolBackward(plan, l, dOutput, dInput, rows);
        else if (kind == KIND_AVGPOOL2D) avgPoolBackward(plan, l, dOutput, dInput, rows);
        else if (kind == KIND_FLATTEN) flattenBackward(plan, l, dOutput, dInput, rows);
        else if (kind == KIND_BATCHNORM) batchNormBackward(plan, l, layerInput(plan, l, x), dOutput, dInput, rows);
      }
      barrier();
    }
  }
  return lossSum / lossNormalizer(plan, rows, classes);
}

/**
 * One training iteration on x[rows×in]: gradients, then the update (the plan's optimizer, or
 * params −= lr·grads). Writes the loss before the update to the plan's LOSS slot.
 */
export function trainStep(plan: usize, x: usize, targets: usize, rows: i32, lr: f64): void {
  launch(PASS_TRAIN_STEP, parallel(plan, rows), plan, x, targets, 0, 0, rows, lr);
  step(plan, x, targets, rows, lr);
  finish();
}

function step(plan: usize, x: usize, targets: usize, rows: i32, lr: f64): void {
  const loss = gradients(plan, x, targets, rows);
  if (onlyThreadZero()) store<f64>(header(plan, PLAN_LOSS), loss);
  barrier(); // every gradient is written
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
  // A sparse first layer reads the batch's rows from the compressed set by these indices: the
  // dense rows are not copied at all.
  store<u32>(plan + (<usize>PLAN_SPARSE_INDICES << 2), <u32>indices);
  launch(PASS_TRAIN_STEP_GATHERED, parallel(plan, rows), plan, inputs, targets, indices, 0, rows, lr);
  gatheredStep(plan, inputs, targets, indices, rows, lr);
  finish();
  store<u32>(plan + (<usize>PLAN_SPARSE_INDICES << 2), 0);
}

function gatheredStep(plan: usize, inputs: usize, targets: usize, indices: usize, rows: i32, lr: f64): void {
  const input = header(plan, PLAN_INPUT);
  const batchTargets = header(plan, PLAN_TARGETS);
  const rowBytes = header(plan, PLAN_INPUT_SIZE) << 2;
  const targetBytes = targetRowBytes(plan, outputs(plan));
  const sparse = header(plan, PLAN_SPARSE_INPUT) != 0;
  // Each thread gathers the rows its layers will read (a product shared by columns, which reads
  // every row, and thread 0's loss wait at a barrier first).
  for (let r = shareStart(rows, 4), end = shareEnd(rows, 4); r < end; r++) {
    const index = <usize>load<i32>(indices + (<usize>r << 2));
    if (!sparse) memory.copy(input + <usize>r * rowBytes, inputs + index * rowBytes, rowBytes);
    memory.copy(batchTargets + <usize>r * targetBytes, targets + index * targetBytes, targetBytes);
  }
  step(plan, input, batchTargets, rows, lr);
}

/**
 * Loss and metric sums over x[rows×in] (layout.ts EVAL_*), in blocks of MAX_ROWS rows so a
 * whole dataset is one call. `scratch` holds 3 f64.
 */
export function evaluate(plan: usize, x: usize, targets: usize, rows: i32, result: usize, scratch: usize): void {
  launch(PASS_EVALUATE, parallel(plan, rows), plan, x, targets, result, scratch, rows, 0);
  evaluateBlocks(plan, x, targets, rows, result, scratch);
  finish();
}

function evaluateBlocks(plan: usize, x: usize, targets: usize, rows: i32, result: usize, scratch: usize): void {
  const inSize = <i32>header(plan, PLAN_INPUT_SIZE);
  const classes = outputs(plan);
  const targetBytes = targetRowBytes(plan, classes);
  const blockRows = <i32>header(plan, PLAN_MAX_ROWS);
  // The sums are f64 additions in row order: thread 0's, while the others wait.
  if (onlyThreadZero()) memory.fill(result, 0, <usize>EVAL_SLOTS << 3);
  for (let start = 0; start < rows; start += blockRows) {
    const count = min(blockRows, rows - start);
    // A sparse first layer reads this block's rows from the compressed set (x's row 0 is its row
    // 0). Every thread stores the same word, after the barrier that ended the previous block.
    store<u32>(plan + (<usize>PLAN_SPARSE_FIRST_ROW << 2), <u32>start);
    const logits = forwardLayers(plan, x + (<usize>start * <usize>inSize << 2), count);
    if (aloneBegin()) accumulateMetrics(plan, logits, targets + <usize>start * targetBytes, count, classes, result, scratch);
    barrier();
  }
}

/** Predictions for x[rows×in] (rows ≤ MAX_ROWS) into out [rows×outputs]: probabilities or values. */
export function predict(plan: usize, x: usize, rows: i32, out: usize): void {
  launch(PASS_PREDICT, parallel(plan, rows), plan, x, out, 0, 0, rows, 0);
  predictRows(plan, x, rows, out);
  finish();
}

function predictRows(plan: usize, x: usize, rows: i32, out: usize): void {
  const logits = forwardLayers(plan, x, rows);
  if (aloneBegin()) lossPredict(plan, out, logits, rows, outputs(plan));
}

/** A worker of a thread pool: runs its share of each pass thread 0 launches, until PASS_EXIT. */
export function workerLoop(): void {
  while (true) {
    const pass = nextPass();
    if (pass == PASS_EXIT) return;
    const plan = <usize>passArgument(0), a = <usize>passArgument(1), b = <usize>passArgument(2);
    const c = <usize>passArgument(3), d = <usize>passArgument(4);
    const rows = <i32>passArgument(5), real = passArgument(6);
    if (pass == PASS_FORWARD) forwardLayers(plan, a, rows);
    else if (pass == PASS_LOSS_AND_GRADIENTS) gradients(plan, a, b, rows);
    else if (pass == PASS_TRAIN_STEP) step(plan, a, b, rows, real);
    else if (pass == PASS_TRAIN_STEP_GATHERED) gatheredStep(plan, a, b, c, rows, real);
    else if (pass == PASS_EVALUATE) evaluateBlocks(plan, a, b, rows, c, d);
    else if (pass == PASS_PREDICT) predictRows(plan, a, rows, b);
    finish();
  }
}
