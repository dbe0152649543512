// A 2-d convolution over NCHW rows, as PyTorch's nn.Conv2d: W [out×in×kh×kw], b [out], one
// stride and one zero padding for both axes. Each row is a GEMM over its unfolded input:
//
//   forward   col [in·kh·kw × P] = unfold(x)          (P = out height · out width)
//             Y [out×P] = W [out × in·kh·kw] · col    (NCHW as it stands), + b per channel
//   backward  rows [P × in·kh·kw] = unfold(x) transposed
//             dW (+)= dY [out×P] · rows               (summed over the batch's rows)
//             db (+)= Σ_P dY
//             dcol [in·kh·kw × P] = Wᵀ · dY,  dX = fold(dcol) (overlapping patches add up)
//
// Unfolding the input again in backward, instead of keeping every row's col from forward,
// keeps the scratch one row's size. Building it transposed for dW lets plain gemmNN run
// without a transpose of col (gemmNT's pack would be as large as col itself).
//
// im2col rather than an implicit GEMM, by measurement on LeNet-5's convolutions (batch 100 of
// MNIST, one core of an Intel Xeon shared with other jobs, best of 30 interleaved samples): an
// implicit-GEMM forward written for the comparison, which gathers each 8-position panel of B
// straight from the image into the GEMM's packing buffer (no col; the same bits), took about 2×
// the time of unfold + gemmNN for conv1 (1→6, 5×5, pad 2) and 1.6× for conv2 (6→16, 5×5), on
// both builds. Its gather tests the bounds of every element; unfold tests them once per kernel
// column and copies runs of a row, and the GEMM's own panel copy of col is two vector moves per
// row of the panel. The GEMMs are about half of each pass here (42–57%, `npm run bench:conv`),
// so the unfold, not the approach, is what a faster convolution would work on.
import { gemmNN, gemmTN } from '../gemm';
import {
  LAYER_BIAS, LAYER_BIAS_GRAD, LAYER_CHANNELS_IN, LAYER_CHANNELS_OUT, LAYER_HEIGHT_IN, LAYER_HEIGHT_OUT,
  LAYER_KERNEL_HEIGHT, LAYER_KERNEL_WIDTH, LAYER_OUTPUT, LAYER_PADDING, LAYER_SCRATCH, LAYER_STRIDE,
  LAYER_WEIGHT_GRAD, LAYER_WEIGHTS, LAYER_WIDTH_IN, LAYER_WIDTH_OUT, layerField, layerPointer,
} from '../layout';
import { inputFloats, outputPositions, patchFloats } from './image';

/**
 * The output columns ox whose input column ox·s − p + j lies inside [0, width): [lo, hi).
 * Computed once per kernel column, so the copy loops below carry no bounds test per element
 * (a test per element made unfold 40% of a LeNet-5 step, measured with --cpu-prof).
 */
// @ts-ignore: decorator
@inline
function insideFrom(j: i32, stride: i32, padding: i32): i32 {
  const n = padding - j; // first ox with ox·s ≥ p − j
  return n <= 0 ? 0 : (n + stride - 1) / stride;
}

// @ts-ignore: decorator
@inline
function insideTo(j: i32, stride: i32, padding: i32, width: i32, outWidth: i32): i32 {
  const m = width - 1 + padding - j; // last ox with ox·s ≤ width − 1 + p − j
  return m < 0 ? 0 : min(m / stride + 1, outWidth);
}

/**
 * The patches of one input row x [in×H×W]: element e = (c·kh + i)·kw + j of the patch at output
 * position q = oy·Wout + ox goes to dst + (e·elementStride + q·positionStride) floats; it is
 * x[c][oy·s − p + i][ox·s − p + j], or 0 in the padding.
 */
function unfold(plan: usize, layer: i32, dst: usize, x: usize, elementStride: i32, positionStride: i32): void {
  walkPatches(plan, layer, dst, x, elementStride, positionStride, true);
}

/** The inverse of unfold (elementStride P, positionStride 1): dX[…] += dcol[e][q]. */
function fold(plan: usize, layer: i32, dx: usize, dcol: usize): void {
  walkPatches(plan, layer, dcol, dx, outputPositions(plan, layer), 1, false);
}

/**
 * Pairs every patch element (cols, laid out as unfold says) with its input element (image):
 * gather (unfold) copies image into cols and writes the padding's zeros; otherwise (fold) adds
 * cols into image and skips the padding. A constant at both calls, so each keeps its own loops.
 */
// @ts-ignore: decorator
@inline
function walkPatches(plan: usize, layer: i32, cols: usize, image: usize, elementStride: i32, positionStride: i32, gather: bool): void {
  const channels = layerField(plan, layer, LAYER_CHANNELS_IN);
  const height = layerField(plan, layer, LAYER_HEIGHT_IN);
  const width = layerField(plan, layer, LAYER_WIDTH_IN);
  const outHeight = layerField(plan, layer, LAYER_HEIGHT_OUT);
  const outWidth = layerField(plan, layer, LAYER_WIDTH_OUT);
  const kh = layerField(plan, layer, LAYER_KERNEL_HEIGHT);
  const kw = layerField(plan, layer, LAYER_KERNEL_WIDTH);
  const stride = layerField(plan, layer, LAYER_STRIDE);
  const padding = layerField(plan, layer, LAYER_PADDING);
  const step = <usize>positionStride << 2;
  const imageStep = <usize>stride << 2;
  // Fold reads cols in the forward layout (elementStride P, positionStride 1), whose rows follow
  // one another: its `at` runs straight on from one patch element to the next.
  let at = cols;
  let e = 0;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const lo = min(insideFrom(j, stride, padding), outWidth);
        const hi = max(insideTo(j, stride, padding, width, outWidth), lo);
        if (gather) {
          at = cols + (<usize>(e * elementStride) << 2);
          e++;
        }
        for (let oy = 0; oy < outHeight; oy++) {
          const iy = oy * stride - padding + i;
          if (iy < 0 || iy >= height) {
            if (gather) for (let ox = 0; ox < outWidth; ox++, at += step) store<f32>(at, 0);
            else at += <usize>outWidth * step;
            continue;
          }
          let ox = 0;
          if (gather) for (; ox < lo; ox++, at += step) store<f32>(at, 0);
          let pixel = image + (<usize>((c * height + iy) * width + lo * stride - padding + j) << 2);
          if (gather) {
            for (; ox < hi; ox++, at += step, pixel += imageStep) store<f32>(at, load<f32>(pixel));
            for (; ox < outWidth; ox++, at += step) store<f32>(at, 0);
          } else { // `at` stays at the row's start
            let patch = at + (<usize>lo * step);
            for (ox = lo; ox < hi; ox++, patch += step, pixel += imageStep) store<f32>(pixel, load<f32>(pixel) + load<f32>(patch));
            at += <usize>outWidth * step;
          }
        }
      }
    }
  }
}

export function conv2dForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  const outChannels = layerField(plan, layer, LAYER_CHANNELS_OUT);
  const positions = outputPositions(plan, layer);
  const patch = patchFloats(plan, layer);
  const inBytes = <usize>inputFloats(plan, layer) << 2;
  const outBytes = <usize>(outChannels * positions) << 2;
  const col = layerPointer(plan, layer, LAYER_SCRATCH);
  const weights = layerPointer(plan, layer, LAYER_WEIGHTS);
  const bias = layerPointer(plan, layer, LAYER_BIAS);
  const output = layerPointer(plan, layer, LAYER_OUTPUT);
  for (let r = 0; r < rows; r++) {
    unfold(plan, layer, col, input + <usize>r * inBytes, positions, 1);
    const y = output + <usize>r * outBytes;
    gemmNN(y, weights, col, outChannels, positions, patch, false);
    addChannelBias(y, bias, outChannels, positions);
  }
}

/** dInput = 0: the input gradient is not needed (nothing before this layer learns). */
export function conv2dBackward(plan: usize, layer: i32, input: usize, dOutput: usize, dInput: usize, rows: i32): void {
  const outChannels = layerField(plan, layer, LAYER_CHANNELS_OUT);
  const positions = outputPositions(plan, layer);
  const patch = patchFloats(plan, layer);
  const inBytes = <usize>inputFloats(plan, layer) << 2;
  const outBytes = <usize>(outChannels * positions) << 2;
  const scratch = layerPointer(plan, layer, LAYER_SCRATCH);
  const weights = layerPointer(plan, layer, LAYER_WEIGHTS);
  const weightGrad = layerPointer(plan, layer, LAYER_WEIGHT_GRAD);
  const biasGrad = layerPointer(plan, layer, LAYER_BIAS_GRAD);
  for (let r = 0; r < rows; r++) {
    const dy = dOutput + <usize>r * outBytes;
    unfold(plan, layer, scratch, input + <usize>r * inBytes, 1, patch);
    gemmNN(weightGrad, dy, scratch, outChannels, patch, positions, r > 0);
    channelSums(biasGrad, dy, outChannels, positions, r > 0);
    if (dInput) {
      const dx = dInput + <usize>r * inBytes;
      gemmTN(scratch, weights, dy, patch, positions, outChannels, false);
      memory.fill(dx, 0, inBytes);
      fold(plan, layer, dx, scratch);
    }
  }
}

/** y[c][0..positions) += b[c] */
function addChannelBias(y: usize, bias: usize, channels: i32, positions: i32): void {
  let at = y;
  for (let c = 0; c < channels; c++) {
    const b = load<f32>(bias + (<usize>c << 2));
    const splat = f32x4.splat(b);
    let q = 0;
    for (; q + 4 <= positions; q += 4) {
      v128.store(at, f32x4.add(v128.load(at), splat));
      at += 16;
    }
    for (; q < positions; q++) {
      store<f32>(at, load<f32>(at) + b);
      at += 4;
    }
  }
}

/** db[c] (+)= Σ_q dy[c][q] */
function channelSums(db: usize, dy: usize, channels: i32, positions: i32, accumulate: bool): void {
  let at = dy;
  for (let c = 0; c < channels; c++) {
    let sum: f32 = 0;
    for (let q = 0; q < positions; q++) {
      sum += load<f32>(at);
      at += 4;
    }
    const slot = db + (<usize>c << 2);
    store<f32>(slot, accumulate ? load<f32>(slot) + sum : sum);
  }
}
