// An activation layer, Y = f(X) element by element (f: the record's ACTIVATION_* code). It keeps
// only its output for the backward pass, dX = dY · f'(X) computed from Y (activation.ts).
// Threads share it by rows (threads.ts): the rows a thread's dense layer wrote, so no barrier.
// A share starts at a multiple of 4 rows, hence of 4 elements, as the vector loops need.
import { activationBackward, activationForward } from '../activation';
import { LAYER_FUNCTION, LAYER_OUT, LAYER_OUTPUT, layerField, layerPointer } from '../layout';
import { shareEnd, shareStart } from '../threads';

export function activationLayerForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  const width = layerField(plan, layer, LAYER_OUT);
  const first = shareStart(rows, 4), end = shareEnd(rows, 4);
  const offset = <usize>first * <usize>width << 2;
  activationForward(layerField(plan, layer, LAYER_FUNCTION), layerPointer(plan, layer, LAYER_OUTPUT) + offset, input + offset,
    (end - first) * width);
}

export function activationLayerBackward(plan: usize, layer: i32, dOutput: usize, dInput: usize, rows: i32): void {
  const width = layerField(plan, layer, LAYER_OUT);
  const first = shareStart(rows, 4), end = shareEnd(rows, 4);
  const offset = <usize>first * <usize>width << 2;
  activationBackward(layerField(plan, layer, LAYER_FUNCTION), dInput + offset, dOutput + offset, layerPointer(plan, layer, LAYER_OUTPUT) + offset,
    (end - first) * width);
}
