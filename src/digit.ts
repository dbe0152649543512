// Turns a drawing into an MNIST-like input, the way the dataset itself was made: the ink's
// bounding box scaled (keeping its aspect) to fit 20×20 pixels, averaged down, then placed in a
// 28×28 image so that its centre of mass sits at the centre; values in [0,1], 1 = ink.
import { ShapeError } from './errors.js';

const SIZE = 28;
const BOX = 20;

/** `ink` is width×height row-major values in [0,1]; returns 784 values, or undefined if blank. */
export function preprocessDigit(ink: Float32Array, width: number, height: number): Float32Array | undefined {
  if (ink.length !== width * height) throw new ShapeError(`ink has ${ink.length} values for ${width}×${height}`);
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0.05) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
  }
  if (right < 0) return undefined;
  const boxW = right - left + 1;
  const boxH = bottom - top + 1;
  const scale = BOX / Math.max(boxW, boxH);
  const targetW = Math.max(1, Math.round(boxW * scale));
  const targetH = Math.max(1, Math.round(boxH * scale));
  // Area average: each target pixel takes the mean of the source pixels whose centres fall in it.
  const small = new Float32Array(targetW * targetH);
  const counts = new Float32Array(targetW * targetH);
  for (let y = top; y <= bottom; y++) {
    const ty = Math.min(targetH - 1, Math.floor(((y - top + 0.5) / boxH) * targetH));
    for (let x = left; x <= right; x++) {
      const tx = Math.min(targetW - 1, Math.floor(((x - left + 0.5) / boxW) * targetW));
      small[ty * targetW + tx] += ink[y * width + x];
      counts[ty * targetW + tx]++;
    }
  }
  let mass = 0;
  let comX = 0;
  let comY = 0;
  for (let i = 0; i < small.length; i++) {
    small[i] = counts[i] ? small[i] / counts[i] : 0;
    mass += small[i];
    comX += small[i] * (i % targetW);
    comY += small[i] * Math.floor(i / targetW);
  }
  const clampOffset = (offset: number, size: number) => Math.min(SIZE - size, Math.max(0, offset));
  const offsetX = clampOffset(Math.round(SIZE / 2 - 0.5 - comX / mass), targetW);
  const offsetY = clampOffset(Math.round(SIZE / 2 - 0.5 - comY / mass), targetH);
  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < targetH; y++) {
    for (let x = 0; x < targetW; x++) out[(y + offsetY) * SIZE + x + offsetX] = Math.min(1, small[y * targetW + x]);
  }
  return out;
}
