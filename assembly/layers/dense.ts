// A dense (fully connected) layer, Y = X·W + b with W stored [in×out] as in the tutorials'
// Affine layer. Forward writes Y; backward overwrites dW = Xᵀ·dY and db = Σ_rows dY, and, when
// an earlier layer needs it, writes dX = dY·Wᵀ. As the network's first layer it may read a
// sparse input instead (layout.ts PLAN_SPARSE_*): the products over its nonzeros give the dense
// products' bits (sparse.ts), so the choice changes only the time.
import { gemmNN, gemmNT, gemmTN } from '../gemm';
import { addBiasRows, columnSums } from '../bias';
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

export function denseForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  const inSize = layerField(plan, layer, LAYER_IN);
  const outSize = layerField(plan, layer, LAYER_OUT);
  const output = layerPointer(plan, layer, LAYER_OUTPUT);
  const weights = layerPointer(plan, layer, LAYER_WEIGHTS);
  const csr = sparseInput(plan, layer);
  const indices = header(plan, PLAN_SPARSE_INDICES);
  const firstRow = <i32>header(plan, PLAN_SPARSE_FIRST_ROW);
  // A training pass (SPARSE_SCRATCH set) transposes the batch for the weight gradient first:
  // that brings the batch's rows into the caches for the forward (sparse.ts).
  const columns = csr ? header(plan, PLAN_SPARSE_SCRATCH) : 0;
  if (columns && indices) csrColumnsGathered(columns, csr, indices, rows);
  else if (columns) csrColumns(columns, csr, firstRow, rows);
  if (!csr) gemmNN(output, input, weights, rows, outSize, inSize, false);
  else if (indices) csrGemmNNGathered(output, csr, indices, rows, weights, outSize, false);
  else csrGemmNN(output, csr, firstRow, rows, weights, outSize, false);
  addBiasRows(output, layerPointer(plan, layer, LAYER_BIAS), rows, outSize);
}

/** dInput = 0: the input gradient is not needed (nothing before this layer learns). */
export function denseBackward(plan: usize, layer: i32, input: usize, dOutput: usize, dInput: usize, rows: i32): void {
  const inSize = layerField(plan, layer, LAYER_IN);
  const outSize = layerField(plan, layer, LAYER_OUT);
  const weightGrad = layerPointer(plan, layer, LAYER_WEIGHT_GRAD);
  // The sparse input's batch, transposed by denseForward.
  if (!sparseInput(plan, layer)) gemmTN(weightGrad, input, dOutput, inSize, outSize, rows, false);
  else csrGemmTNColumns(weightGrad, header(plan, PLAN_SPARSE_SCRATCH), dOutput, outSize, false);
  columnSums(layerPointer(plan, layer, LAYER_BIAS_GRAD), dOutput, rows, outSize, false);
  if (dInput) {
    gemmNT(dInput, dOutput, layerPointer(plan, layer, LAYER_WEIGHTS), rows, inSize, outSize, false, header(plan, PLAN_PACK));
  }
}

/**
 * Plain SGD over the parameter block (params −= lr·grads, `count` floats, grads mirroring
 * params). In a training pass over a sparse input the first layer's weight rows that no input
 * of the batch touched are left out: their update would change nothing (sparse.ts).
 */
export function sgdUpdateSkippingUntouchedRows(plan: usize, params: usize, grads: usize, count: i32, lr: f32): void {
  const columns = sparseInput(plan, 0) ? header(plan, PLAN_SPARSE_SCRATCH) : 0;
  const weights = layerPointer(plan, 0, LAYER_WEIGHTS);
  const outSize = layerField(plan, 0, LAYER_OUT);
  if (!columns || !csrSgdUpdateTouchedRows(weights, grads + (weights - params), columns, outSize, lr)) {
    sgdUpdate(params, grads, count, lr);
    return;
  }
  // The rest of the block: the floats before the first layer's weights and after them.
  const before = <i32>((weights - params) >> 2);
  const after = before + layerField(plan, 0, LAYER_IN) * outSize;
  sgdUpdate(params, grads, before, lr);
  sgdUpdate(params + (<usize>after << 2), grads + (<usize>after << 2), count - after, lr);
}
