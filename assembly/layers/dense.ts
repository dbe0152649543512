// A dense (fully connected) layer, Y = X·W + b with W stored [in×out] as in the tutorials'
// Affine layer. Forward writes Y; backward overwrites dW = Xᵀ·dY and db = Σ_rows dY, and, when
// an earlier layer needs it, writes dX = dY·Wᵀ. As the network's first layer it may read a
// sparse input instead (layout.ts PLAN_SPARSE_*): the products over its nonzeros give the dense
// products' bits (sparse.ts), so the choice changes only the time.
//
// Threads (threads.ts) share the work without changing a bit: forward by rows of Y (each thread
// reads its rows of X and all of W), dW by rows, db by columns, dX by rows after the threads
// have transposed W together. Every product element keeps its single-threaded k order.
import { gemmNN, gemmTNStrided, transposeRows } from '../gemm';
import { addBiasRows, columnSumsStrided } from '../bias';
import { barrier, shareEnd, shareStart } from '../threads';
import {
  header, LAYER_BIAS, LAYER_BIAS_GRAD, LAYER_IN, LAYER_OUT, LAYER_OUTPUT, LAYER_WEIGHT_GRAD, LAYER_WEIGHTS,
  layerField, layerPointer, PLAN_PACK, PLAN_SPARSE_FIRST_ROW, PLAN_SPARSE_INDICES, PLAN_SPARSE_INPUT,
  PLAN_SPARSE_SCRATCH,
} from '../layout';
import { csrGemmNN, csrGemmNNGathered, csrGemmTN, csrGemmTNGathered } from '../sparse';

/** The compressed input this layer reads instead of `input`, or 0. */
// @ts-ignore: decorator
@inline
function sparseInput(plan: usize, layer: i32): usize {
  return layer == 0 ? header(plan, PLAN_SPARSE_INPUT) : 0;
}

export function denseForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  const inSize = layerField(plan, layer, LAYER_IN);
  const outSize = layerField(plan, layer, LAYER_OUT);
  const output = layerPointer(plan, layer, LAYER_OUTPUT);
  const weights = layerPointer(plan, layer, LAYER_WEIGHTS);
  const bias = layerPointer(plan, layer, LAYER_BIAS);
  const csr = sparseInput(plan, layer);
  const first = shareStart(rows, 4), end = shareEnd(rows, 4);
  const y = output + (<usize>first * <usize>outSize << 2);
  if (csr) {
    // The sparse product by rows too: each row of Y is one row of the compressed input times W.
    const indices = header(plan, PLAN_SPARSE_INDICES);
    if (indices) csrGemmNNGathered(y, csr, indices + (<usize>first << 2), end - first, weights, outSize, false);
    else csrGemmNN(y, csr, <i32>header(plan, PLAN_SPARSE_FIRST_ROW) + first, end - first, weights, outSize, false);
    addBiasRows(y, bias, end - first, outSize);
    return;
  }
  gemmNN(y, input + (<usize>first * <usize>inSize << 2), weights, end - first, outSize, inSize, false);
  addBiasRows(y, bias, end - first, outSize);
}

/** dInput = 0: the input gradient is not needed (nothing before this layer learns). */
export function denseBackward(plan: usize, layer: i32, input: usize, dOutput: usize, dInput: usize, rows: i32): void {
  const inSize = layerField(plan, layer, LAYER_IN);
  const outSize = layerField(plan, layer, LAYER_OUT);
  const weightGrad = layerPointer(plan, layer, LAYER_WEIGHT_GRAD);
  const csr = sparseInput(plan, layer);
  const scratch = header(plan, PLAN_SPARSE_SCRATCH);
  barrier(); // every row of dOutput is written
  if (!csr) {
    const first = shareStart(inSize, 4), end = shareEnd(inSize, 4);
    gemmTNStrided(weightGrad + (<usize>first * <usize>outSize << 2), input + (<usize>first << 2), dOutput, end - first, outSize, rows, inSize, false);
  } else {
    // Every thread: thread 0 buckets the batch by column, then each sums its share of dW's rows.
    if (header(plan, PLAN_SPARSE_INDICES)) csrGemmTNGathered(weightGrad, csr, header(plan, PLAN_SPARSE_INDICES), rows, dOutput, outSize, false, scratch);
    else csrGemmTN(weightGrad, csr, <i32>header(plan, PLAN_SPARSE_FIRST_ROW), rows, dOutput, outSize, false, scratch);
  }
  const column = shareStart(outSize, 4), columnEnd = shareEnd(outSize, 4);
  columnSumsStrided(layerPointer(plan, layer, LAYER_BIAS_GRAD) + (<usize>column << 2), dOutput + (<usize>column << 2), rows, columnEnd - column, outSize, false);
  if (dInput) {
    // dX = dY·Wᵀ as gemmNT computes it: Wᵀ into the plan's PACK, then gemmNN.
    const packed = header(plan, PLAN_PACK);
    transposeRows(packed, layerPointer(plan, layer, LAYER_WEIGHTS), inSize, outSize, shareStart(inSize, 1), shareEnd(inSize, 1));
    barrier();
    const first = shareStart(rows, 4), end = shareEnd(rows, 4);
    gemmNN(dInput + (<usize>first * <usize>inSize << 2), dOutput + (<usize>first * <usize>outSize << 2), packed, end - first, inSize, outSize, false);
  }
}
