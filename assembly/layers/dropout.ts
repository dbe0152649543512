// Inverted dropout, as nn.Dropout(p): while training each element is kept with probability 1 − p
// and scaled by 1/(1 − p), so evaluation is the identity. The mask (0 or 1/(1 − p) per element)
// is the layer's declared buffer: forward writes Y = X·mask, backward dX = dY·mask. Backward
// follows only a training forward (Network.gradient and the training steps set MODE_TRAIN), so
// the mask is always this batch's. The random numbers come from the plan's xoshiro128** state
// (layout.ts PLAN_RANDOM), the same generator as src/random.ts, so a seed gives the same masks
// on every engine.
import {
  header, LAYER_MASK, LAYER_OUT, LAYER_OUTPUT, LAYER_RATE, layerField, layerPointer, MODE_EVALUATE, MODE_TRAIN,
  PLAN_MODE, PLAN_RANDOM,
} from '../layout';
import { barrier, onlyThreadZero, shareEnd, shareStart } from '../threads';

// Threads (threads.ts): the masks are one sequential xoshiro stream, drawn by thread 0 while the
// others wait; applying them is shared by rows.

/** The next u32 of the xoshiro128** state at `state` (4 u32, updated in place). */
function nextUint32(state: usize): u32 {
  const s0 = load<u32>(state), s1 = load<u32>(state, 4), s2 = load<u32>(state, 8), s3 = load<u32>(state, 12);
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  const n2 = s2 ^ s0;
  const n3 = s3 ^ s1;
  const n1 = s1 ^ n2;
  const n0 = s0 ^ n3;
  store<u32>(state, n0);
  store<u32>(state, n1, 4);
  store<u32>(state, n2 ^ t, 8);
  store<u32>(state, rotl<u32>(n3, 11), 12);
  return result;
}

export function dropoutForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  const width = layerField(plan, layer, LAYER_OUT);
  const first = shareStart(rows, 4) * width, end = shareEnd(rows, 4) * width;
  const output = layerPointer(plan, layer, LAYER_OUTPUT);
  const mode = <i32>header(plan, PLAN_MODE);
  if (mode == MODE_EVALUATE) {
    memory.copy(output + (<usize>first << 2), input + (<usize>first << 2), <usize>(end - first) << 2);
    return;
  }
  const mask = layerPointer(plan, layer, LAYER_MASK);
  if (mode == MODE_TRAIN) {
    barrier();
    if (onlyThreadZero()) {
      const count = rows * width;
      const p = reinterpret<f32>(layerField(plan, layer, LAYER_RATE));
      const scale: f32 = 1 / (1 - p);
      const state = header(plan, PLAN_RANDOM);
      for (let i = 0; i < count; i++) {
        // A uniform in [0, 1) from the top 24 bits, exact in f32: kept when it is not below p.
        const u = <f32>(nextUint32(state) >>> 8) * (1.0 / 16777216.0);
        store<f32>(mask + (<usize>i << 2), u >= p ? scale : 0);
      }
    }
    barrier();
  }
  for (let i = first; i < end; i++) {
    const at = <usize>i << 2;
    store<f32>(output + at, load<f32>(input + at) * load<f32>(mask + at));
  }
}

export function dropoutBackward(plan: usize, layer: i32, dOutput: usize, dInput: usize, rows: i32): void {
  const width = layerField(plan, layer, LAYER_OUT);
  const first = shareStart(rows, 4) * width, end = shareEnd(rows, 4) * width;
  const mask = layerPointer(plan, layer, LAYER_MASK);
  for (let i = first; i < end; i++) {
    const at = <usize>i << 2;
    store<f32>(dInput + at, load<f32>(dOutput + at) * load<f32>(mask + at));
  }
}
