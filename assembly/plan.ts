// The plan: how the host describes a network to the wasm passes. A header of i32 words, then
// one record per dense layer; all pointers are byte offsets into linear memory. The word
// offsets are exported so the host reads them from the module instead of keeping a copy.

export const PLAN_LAYER_COUNT: i32 = 0;
export const PLAN_MAX_ROWS: i32 = 1; // rows every OUTPUT/DELTA/INPUT buffer holds
export const PLAN_PARAMS: i32 = 2; // all weights and biases, back to back
export const PLAN_GRADS: i32 = 3; // same layout as PLAN_PARAMS
export const PLAN_PARAM_COUNT: i32 = 4;
export const PLAN_INPUT: i32 = 5; // MAX_ROWS × in floats, the gathered batch
export const PLAN_LABELS: i32 = 6; // MAX_ROWS i32 class indices
export const PLAN_PACK: i32 = 7; // scratch for Wᵀ in gemmNT: max in·out of layers 2..L
// Where trainStep writes its loss (an f64). Returning an f64 to JS would allocate a heap
// number on every call in V8; a store into linear memory allocates nothing.
export const PLAN_LOSS: i32 = 8;
// An optimizer record (optim.ts), or 0 for plain SGD p −= lr·g.
export const PLAN_OPTIMIZER: i32 = 9;
export const PLAN_HEADER_WORDS: i32 = 10;

export const LAYER_IN: i32 = 0;
export const LAYER_OUT: i32 = 1;
export const LAYER_ACTIVATION: i32 = 2;
export const LAYER_WEIGHTS: i32 = 3;
export const LAYER_BIAS: i32 = 4;
export const LAYER_WEIGHT_GRAD: i32 = 5;
export const LAYER_BIAS_GRAD: i32 = 6;
export const LAYER_OUTPUT: i32 = 7;
export const LAYER_DELTA: i32 = 8;
export const LAYER_WORDS: i32 = 9;

// evaluate() writes its result as { f64 lossSum; i32 correct } at `result`.
export const EVAL_LOSS_SUM_OFFSET: i32 = 0;
export const EVAL_CORRECT_OFFSET: i32 = 8;

// @ts-ignore: decorator
@inline
export function header(plan: usize, word: i32): usize {
  return <usize>load<u32>(plan + (<usize>word << 2));
}

// @ts-ignore: decorator
@inline
export function layerField(plan: usize, layer: i32, word: i32): i32 {
  return load<i32>(plan + (<usize>(PLAN_HEADER_WORDS + layer * LAYER_WORDS + word) << 2));
}

// @ts-ignore: decorator
@inline
export function layerPointer(plan: usize, layer: i32, word: i32): usize {
  return <usize>layerField(plan, layer, word);
}

