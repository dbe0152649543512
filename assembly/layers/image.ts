// The sizes an image layer's record (conv2d, pooling) implies, each formula in one place. The
// record's own words (LAYER_CHANNELS_IN … LAYER_PADDING, layout.ts) are read with layerField.
import {
  LAYER_CHANNELS_IN, LAYER_HEIGHT_IN, LAYER_HEIGHT_OUT, LAYER_KERNEL_HEIGHT, LAYER_KERNEL_WIDTH, LAYER_WIDTH_IN,
  LAYER_WIDTH_OUT, layerField,
} from '../layout';

/** Floats in one input row: channels · height · width. */
// @ts-ignore: decorator
@inline
export function inputFloats(plan: usize, layer: i32): i32 {
  return layerField(plan, layer, LAYER_CHANNELS_IN) * layerField(plan, layer, LAYER_HEIGHT_IN)
    * layerField(plan, layer, LAYER_WIDTH_IN);
}

/** Output positions per channel: out height · out width. */
// @ts-ignore: decorator
@inline
export function outputPositions(plan: usize, layer: i32): i32 {
  return layerField(plan, layer, LAYER_HEIGHT_OUT) * layerField(plan, layer, LAYER_WIDTH_OUT);
}

/** Floats in one patch of the input a kernel covers: channels in · kh · kw. */
// @ts-ignore: decorator
@inline
export function patchFloats(plan: usize, layer: i32): i32 {
  return layerField(plan, layer, LAYER_CHANNELS_IN) * layerField(plan, layer, LAYER_KERNEL_HEIGHT)
    * layerField(plan, layer, LAYER_KERNEL_WIDTH);
}
