// A dense (fully connected) layer, Y = X·W + b with W stored [in×out] as in the tutorials'
// Affine layer. Forward writes Y; backward overwrites dW = Xᵀ·dY and db = Σ_rows dY, and, when
// an earlier layer needs it, writes dX = dY·Wᵀ.
import { gemmNN, gemmNT, gemmTN } from '../gemm';
import { addBiasRows, columnSums } from '../bias';
import {
  header, LAYER_BIAS, LAYER_BIAS_GRAD, LAYER_IN, LAYER_OUT, LAYER_OUTPUT, LAYER_WEIGHT_GRAD, LAYER_WEIGHTS,
  layerField, layerPointer, PLAN_PACK,
} from '../layout';

export function denseForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  const inSize = layerField(plan, layer, LAYER_IN);
  const outSize = layerField(plan, layer, LAYER_OUT);
  const output = layerPointer(plan, layer, LAYER_OUTPUT);
  gemmNN(output, input, layerPointer(plan, layer, LAYER_WEIGHTS), rows, outSize, inSize, false);
  addBiasRows(output, layerPointer(plan, layer, LAYER_BIAS), rows, outSize);
}

/** dInput = 0: the input gradient is not needed (nothing before this layer learns). */
export function denseBackward(plan: usize, layer: i32, input: usize, dOutput: usize, dInput: usize, rows: i32): void {
  const inSize = layerField(plan, layer, LAYER_IN);
  const outSize = layerField(plan, layer, LAYER_OUT);
  gemmTN(layerPointer(plan, layer, LAYER_WEIGHT_GRAD), input, dOutput, inSize, outSize, rows, false);
  columnSums(layerPointer(plan, layer, LAYER_BIAS_GRAD), dOutput, rows, outSize, false);
  if (dInput) {
    gemmNT(dInput, dOutput, layerPointer(plan, layer, LAYER_WEIGHTS), rows, inSize, outSize, false, header(plan, PLAN_PACK));
  }
}
