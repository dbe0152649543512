// An activation layer, Y = f(X) element by element (f: the record's ACTIVATION_* code). It keeps
// only its output for the backward pass, dX = dY · f'(X) computed from Y (activation.ts).
import { activationBackward, activationForward } from '../activation';
import { LAYER_FUNCTION, LAYER_OUT, LAYER_OUTPUT, layerField, layerPointer } from '../layout';

export function activationLayerForward(plan: usize, layer: i32, input: usize, rows: i32): void {
  activationForward(layerField(plan, layer, LAYER_FUNCTION), layerPointer(plan, layer, LAYER_OUTPUT), input,
    rows * layerField(plan, layer, LAYER_OUT));
}

export function activationLayerBackward(plan: usize, layer: i32, dOutput: usize, dInput: usize, rows: i32): void {
  if (!dInput) return;
  activationBackward(layerField(plan, layer, LAYER_FUNCTION), dInput, dOutput, layerPointer(plan, layer, LAYER_OUTPUT),
    rows * layerField(plan, layer, LAYER_OUT));
}
