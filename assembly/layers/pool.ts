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
import { inputFloats } from './image';

export function maxPoolForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  walkWindows(plan, layer, input, layerPointer(plan, layer, LAYER_OUTPUT), rows, MAX_FORWARD);
}

export function avgPoolForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  walkWindows(plan, layer, input, layerPointer(plan, layer, LAYER_OUTPUT), rows, AVG_FORWARD);
}

export function maxPoolBackward(plan: usize, layer: i32, dOutput: usize, dInput: usize, rows: i32): void {
  const inRow = inputFloats(plan, layer);
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
  walkWindows(plan, layer, dInput, dOutput, rows, AVG_BACKWARD);
}

// What a walk over the windows does; a constant at each call, so the inlined walk keeps only
// its own branch.
const MAX_FORWARD = 0; // y = the window's maximum, its index kept in LAYER_SCRATCH
const AVG_FORWARD = 1; // y = the window's mean
const AVG_BACKWARD = 2; // dx = 0, then dx += dy / (kh·kw) over each window

/**
 * Visits every window of `rows` NCHW rows in output order: `image` is the input rows (x, or dX
 * for AVG_BACKWARD) and `window` the output rows (Y, or dY), one float per window.
 */
// @ts-ignore: decorator
@inline
function walkWindows(plan: usize, layer: i32, image: usize, window: usize, rows: i32, pass: i32): void {
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
  if (pass == AVG_BACKWARD) memory.fill(image, 0, <usize>(rows * inRow) << 2);
  let y = window;
  let index = pass == MAX_FORWARD ? layerPointer(plan, layer, LAYER_SCRATCH) : 0;
  for (let r = 0; r < rows; r++) {
    const x = image + (<usize>(r * inRow) << 2);
    for (let c = 0; c < channels; c++) {
      for (let oy = 0; oy < outHeight; oy++) {
        for (let ox = 0; ox < outWidth; ox++) {
          const share = pass == AVG_BACKWARD ? load<f32>(y) / area : 0;
          const first = (c * height + oy * stride) * width + ox * stride;
          let best: f32 = -Infinity;
          let bestAt = first;
          let sum: f32 = 0;
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const at = first + i * width + j;
              const address = x + (<usize>at << 2);
              if (pass == AVG_BACKWARD) {
                store<f32>(address, load<f32>(address) + share);
              } else {
                const value = load<f32>(address);
                if (pass == MAX_FORWARD) {
                  if (value > best || isNaN(value)) {
                    best = value;
                    bestAt = at;
                  }
                } else {
                  sum += value;
                }
              }
            }
          }
          if (pass == MAX_FORWARD) {
            store<f32>(y, best);
            store<i32>(index, bestAt);
            index += 4;
          } else if (pass == AVG_FORWARD) {
            store<f32>(y, sum / area);
          }
          y += 4;
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
  memory.copy(dInput, dOutput, <usize>(rows * layerField(plan, layer, LAYER_OUT)) << 2);
}
