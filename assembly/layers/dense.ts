// A dense (fully connected) layer, Y = X·W + b with W stored [in×out] as in the tutorials'
// Affine layer. Forward writes Y; backward overwrites dW = Xᵀ·dY and db = Σ_rows dY, and, when
// an earlier layer needs it, writes dX = dY·Wᵀ. As the network's first layer it may read a
// sparse input instead (layout.ts PLAN_SPARSE_*): the products over its nonzeros give the dense
// products' bits (sparse.ts), so the choice changes only the time.
//
// Threads (threads.ts) share the work without changing a bit: forward by rows of Y (each thread
// reads its rows of X and all of W) or, for a small batch, by columns (denseSharesByColumns), dW by
// rows, db by columns, dX by rows after the threads have transposed W together, plain SGD by
// rows of W. Every product element keeps its single-threaded k order.
import { gemmNN, gemmNNColumns, gemmTNStrided, transposeRows } from '../gemm';
import { addBiasRows, columnSumsStrided } from '../bias';
import { barrier, shareEnd, shareStart, threads } from '../threads';
import {
  header, LAYER_BIAS, LAYER_BIAS_GRAD, LAYER_IN, LAYER_OUT, LAYER_OUTPUT, LAYER_WEIGHT_GRAD, LAYER_WEIGHTS,
  layerField, layerPointer, PLAN_PACK, PLAN_SPARSE_FIRST_ROW, PLAN_SPARSE_INDICES, PLAN_SPARSE_INPUT,
  PLAN_SPARSE_SCRATCH,
} from '../layout';
import { sgdUpdate } from '../optim';
import {
  csrColumns, csrColumnsGathered, csrGemmNN, csrGemmNNGathered, csrGemmTNColumns, csrSgdUpdateTouchedRows,
} from '../sparse';

/** The compressed input this layer reads instead of `input`, or 0. */
// @ts-ignore: decorator
@inline
function sparseInput(plan: usize, layer: i32): usize {
  return layer == 0 ? header(plan, PLAN_SPARSE_INPUT) : 0;
}

// A forward product of few rows is shared by columns of Y when every thread gets the same whole
// 8-column panels: shared by rows, every thread packs all of W (gemm.ts), K·N floats, for
// M/threads rows of work. Each thread's half of each product, timed alone (npm run bench:threads,
// its third table; Xeon, relaxed SIMD, real-time priority, two runs; the 2-thread speed-up it
// implies, rows vs columns): 64×784×128 1.89× vs 2.00×, 100×128×256 1.81–1.82× vs 1.99–2.00×,
// 128×784×128 1.96–2.02× vs 2.00–2.01×, 256×784×128 1.97–1.98× vs 1.99–2.00×. Where the columns
// do not split into equal panels (784→100: 52 columns with a 4-wide edge against 48) the product
// alone still gains (1.77× vs 1.84–1.87×), but the two barriers around it cost more: the
// 784-100-10 step ran 3–8% slower shared by columns, while 784-128-256-10's ran 2–4% faster.
const COLUMN_SHARE_ROWS = 128;

/**
 * Whether `threadCount` threads share a forward product of `rows` rows and `outSize` columns by
 * columns. Exported so a test pins the choice: either way gives the same bits, only the time
 * tells them apart.
 */
export function denseSharesByColumns(threadCount: i32, rows: i32, outSize: i32): bool {
  return threadCount > 1 && rows <= COLUMN_SHARE_ROWS && outSize % (8 * threadCount) == 0;
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
    const firstRow = <i32>header(plan, PLAN_SPARSE_FIRST_ROW);
    // A training pass (SPARSE_SCRATCH set) transposes the batch for the weight gradient first:
    // that brings the batch's rows into the caches for the forward (sparse.ts). Each thread
    // transposes the columns whose dW rows it will sum.
    const columns = header(plan, PLAN_SPARSE_SCRATCH);
    if (columns) {
      if (indices) csrColumnsGathered(columns, csr, indices, rows);
      else csrColumns(columns, csr, firstRow, rows);
    }
    if (indices) csrGemmNNGathered(y, csr, indices + (<usize>first << 2), end - first, weights, outSize, false);
    else csrGemmNN(y, csr, firstRow + first, end - first, weights, outSize, false);
  } else if (denseSharesByColumns(threads(), rows, outSize)) {
    barrier(); // every row of the input is written: the layers before went by rows
    gemmNNColumns(output, input, weights, rows, outSize, inSize, shareStart(outSize, 8), shareEnd(outSize, 8), false);
    barrier(); // the bias and the layers after go by rows
  } else {
    gemmNN(y, input + (<usize>first * <usize>inSize << 2), weights, end - first, outSize, inSize, false);
  }
  addBiasRows(y, bias, end - first, outSize);
}

/** dInput = 0: the input gradient is not needed (nothing before this layer learns). */
export function denseBackward(plan: usize, layer: i32, input: usize, dOutput: usize, dInput: usize, rows: i32): void {
  const inSize = layerField(plan, layer, LAYER_IN);
  const outSize = layerField(plan, layer, LAYER_OUT);
  const weightGrad = layerPointer(plan, layer, LAYER_WEIGHT_GRAD);
  const csr = sparseInput(plan, layer);
  barrier(); // every row of dOutput is written, and a sparse batch's columns block
  if (!csr) {
    const first = shareStart(inSize, 4), end = shareEnd(inSize, 4);
    gemmTNStrided(weightGrad + (<usize>first * <usize>outSize << 2), input + (<usize>first << 2), dOutput, end - first, outSize, rows, inSize, false);
  } else {
    // The sparse input's batch, transposed by denseForward; each thread sums its rows of dW.
    csrGemmTNColumns(weightGrad, header(plan, PLAN_SPARSE_SCRATCH), dOutput, outSize, false);
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

/**
 * Plain SGD over the parameter block (params −= lr·grads, `count` floats, grads mirroring
 * params), each thread its share. In a training pass over a sparse input the first layer's
 * weight rows that no input of the batch touched are left out: their update would change
 * nothing (sparse.ts).
 */
export function sgdUpdateSkippingUntouchedRows(plan: usize, params: usize, grads: usize, count: i32, lr: f32): void {
  const columns = sparseInput(plan, 0) ? header(plan, PLAN_SPARSE_SCRATCH) : 0;
  const outSize = layerField(plan, 0, LAYER_OUT);
  // The first layer's weights open the parameter block (src/plan.ts), so they start at
  // `params`, and their gradients at `grads`.
  if (!columns || !csrSgdUpdateTouchedRows(params, grads, columns, outSize, lr)) {
    sgdUpdateShare(params, grads, count, lr);
    return;
  }
  // The rest of the block, after the first layer's weights.
  const after = layerField(plan, 0, LAYER_IN) * outSize;
  sgdUpdateShare(params + (<usize>after << 2), grads + (<usize>after << 2), count - after, lr);
}

/** This thread's share of params[0..count) −= lr·grads. */
function sgdUpdateShare(params: usize, grads: usize, count: i32, lr: f32): void {
  const first = shareStart(count, 4), end = shareEnd(count, 4);
  sgdUpdate(params + (<usize>first << 2), grads + (<usize>first << 2), end - first, lr);
}
