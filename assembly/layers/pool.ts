// Pooling over NCHW rows without padding, as nn.MaxPool2d / nn.AvgPool2d (kernel kh×kw, one
// stride for both axes; out = ⌊(in − k) / stride⌋ + 1), and flatten, which only renames an
// NCHW row as a flat one.
//
// Max pooling keeps, per output element, the index of its maximum within the input row
// (LAYER_SCRATCH); backward adds dY there. Ties go to the first maximum in row-major window
// order and a NaN wins, as PyTorch's CPU kernel decides.
import {
  LAYER_CHANNELS_IN, LAYER_HEIGHT_IN, LAYER_HEIGHT_OUT, LAYER_KERNEL_HEIGHT, LAYER_KERNEL_WIDTH, LAYER_OUT,
  LAYER_OUTPUT, LAYER_SCRATCH, LAYER_STRIDE, LAYER_WIDTH_IN, LAYER_WIDTH_OUT, layerField, layerPointer,
} from '../layout';

export function maxPoolForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  pool(plan, layer, input, rows, true);
}

export function avgPoolForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  pool(plan, layer, input, rows, false);
}

// @ts-ignore: decorator
@inline
function pool(plan: usize, layer: i32, input: usize, rows: i32, isMax: bool): void {
  const channels = layerField(plan, layer, LAYER_CHANNELS_IN);
  const height = layerField(plan, layer, LAYER_HEIGHT_IN);
  const width = layerField(plan, layer, LAYER_WIDTH_IN);
  const outHeight = layerField(plan, layer, LAYER_HEIGHT_OUT);
  const outWidth = layerField(plan, layer, LAYER_WIDTH_OUT);
  const kh = layerField(plan, layer, LAYER_KERNEL_HEIGHT);
  const kw = layerField(plan, layer, LAYER_KERNEL_WIDTH);
  const stride = layerField(plan, layer, LAYER_STRIDE);
  const inRow = channels * height * width;
  const area = <f32>(kh * kw);
  let y = layerPointer(plan, layer, LAYER_OUTPUT);
  let index = layerPointer(plan, layer, LAYER_SCRATCH);
  for (let r = 0; r < rows; r++) {
    const x = input + (<usize>(r * inRow) << 2);
    for (let c = 0; c < channels; c++) {
      for (let oy = 0; oy < outHeight; oy++) {
        for (let ox = 0; ox < outWidth; ox++) {
          const first = (c * height + oy * stride) * width + ox * stride;
          let best: f32 = -Infinity;
          let bestAt = first;
          let sum: f32 = 0;
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const at = first + i * width + j;
              const value = load<f32>(x + (<usize>at << 2));
              if (isMax) {
                if (value > best || isNaN(value)) {
                  best = value;
                  bestAt = at;
                }
              } else {
                sum += value;
              }
            }
          }
          if (isMax) {
            store<f32>(y, best);
            store<i32>(index, bestAt);
            index += 4;
          } else {
            store<f32>(y, sum / area);
          }
          y += 4;
        }
      }
    }
  }
}

export function maxPoolBackward(plan: usize, layer: i32, dOutput: usize, dInput: usize, rows: i32): void {
  if (!dInput) return;
  const inRow = layerField(plan, layer, LAYER_CHANNELS_IN) * layerField(plan, layer, LAYER_HEIGHT_IN)
    * layerField(plan, layer, LAYER_WIDTH_IN);
  const outRow = layerField(plan, layer, LAYER_OUT);
  memory.fill(dInput, 0, <usize>(rows * inRow) << 2);
  let dy = dOutput;
  let index = layerPointer(plan, layer, LAYER_SCRATCH);
  for (let r = 0; r < rows; r++) {
    const dx = dInput + (<usize>(r * inRow) << 2);
    for (let o = 0; o < outRow; o++) {
      const at = dx + (<usize>load<i32>(index) << 2);
      store<f32>(at, load<f32>(at) + load<f32>(dy));
      dy += 4;
      index += 4;
    }
  }
}

/** Every input of a window receives dY / (kh·kw), windows that overlap adding up. */
export function avgPoolBackward(plan: usize, layer: i32, dOutput: usize, dInput: usize, rows: i32): void {
  if (!dInput) return;
  const channels = layerField(plan, layer, LAYER_CHANNELS_IN);
  const height = layerField(plan, layer, LAYER_HEIGHT_IN);
  const width = layerField(plan, layer, LAYER_WIDTH_IN);
  const outHeight = layerField(plan, layer, LAYER_HEIGHT_OUT);
  const outWidth = layerField(plan, layer, LAYER_WIDTH_OUT);
  const kh = layerField(plan, layer, LAYER_KERNEL_HEIGHT);
  const kw = layerField(plan, layer, LAYER_KERNEL_WIDTH);
  const stride = layerField(plan, layer, LAYER_STRIDE);
  const inRow = channels * height * width;
  const area = <f32>(kh * kw);
  memory.fill(dInput, 0, <usize>(rows * inRow) << 2);
  let dy = dOutput;
  for (let r = 0; r < rows; r++) {
    const dx = dInput + (<usize>(r * inRow) << 2);
    for (let c = 0; c < channels; c++) {
      for (let oy = 0; oy < outHeight; oy++) {
        for (let ox = 0; ox < outWidth; ox++) {
          const share = load<f32>(dy) / area;
          const first = (c * height + oy * stride) * width + ox * stride;
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const at = dx + (<usize>(first + i * width + j) << 2);
              store<f32>(at, load<f32>(at) + share);
            }
          }
          dy += 4;
        }
      }
    }
  }
}

/** Flatten copies: every layer owns its OUTPUT and GRAD, so no buffer is shared between two. */
export function flattenForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  memory.copy(layerPointer(plan, layer, LAYER_OUTPUT), input, <usize>(rows * layerField(plan, layer, LAYER_OUT)) << 2);
}

export function flattenBackward(plan: usize, layer: i32, dOutput: usize, dInput: usize, rows: i32): void {
  if (dInput) memory.copy(dInput, dOutput, <usize>(rows * layerField(plan, layer, LAYER_OUT)) << 2);
}
