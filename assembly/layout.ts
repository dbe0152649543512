// The plan: how the host describes a network to the wasm passes, and the one place its binary
// layout is defined. A header of i32 words, then one record per layer; all pointers are byte
// offsets into linear memory. Every constant here is exported as a wasm global and the host
// (src/plan.ts) reads them from the module, so there is no second copy of this layout.
//
// Buffers have one meaning each. Layer l writes its output Y_l [rows×out] to OUTPUT and, in the
// backward pass, receives ∂loss/∂Y_l in GRAD; it writes ∂loss/∂(its input) into the previous
// layer's GRAD. The loss head reads the last layer's OUTPUT (the logits) and the TARGETS, and
// writes ∂loss/∂logits into the last layer's GRAD.

export const PLAN_LAYER_COUNT: i32 = 0;
export const PLAN_MAX_ROWS: i32 = 1; // rows every OUTPUT/GRAD/INPUT buffer holds
export const PLAN_PARAMS: i32 = 2; // all weights and biases, back to back
export const PLAN_GRADS: i32 = 3; // same layout as PLAN_PARAMS
export const PLAN_PARAM_COUNT: i32 = 4;
export const PLAN_INPUT: i32 = 5; // MAX_ROWS × inputs floats, the staged or gathered batch
export const PLAN_TARGETS: i32 = 6; // MAX_ROWS targets: i32 class indices or f32 rows (LOSS_KIND)
export const PLAN_PACK: i32 = 7; // scratch for Wᵀ in gemmNT: max in·out of the dense layers
// Where trainStep writes its loss (an f64). Returning an f64 to JS would allocate a heap
// number on every call in V8; a store into linear memory allocates nothing.
export const PLAN_LOSS: i32 = 8;
// An optimizer record (optim.ts), or 0 for plain SGD p −= lr·g.
export const PLAN_OPTIMIZER: i32 = 9;
export const PLAN_LOSS_KIND: i32 = 10; // LOSS_*
export const PLAN_LOSS_BUFFER: i32 = 11; // what the loss head keeps: softmax probabilities
export const PLAN_INPUT_SIZE: i32 = 12; // features per input row
// The sparse first layer (sparse.ts): when SPARSE_INPUT is a compressed-rows block, a first
// dense layer reads its input from it instead of from x: rows indices[0..rows) of it when
// SPARSE_INDICES is set (a gathered batch), else rows SPARSE_FIRST_ROW… (a block of a
// resident set). Nothing else reads the network input, so x need not exist densely.
export const PLAN_SPARSE_INPUT: i32 = 13;
export const PLAN_SPARSE_INDICES: i32 = 14;
export const PLAN_SPARSE_FIRST_ROW: i32 = 15;
export const PLAN_SPARSE_SCRATCH: i32 = 16; // csrGemmTNScratchBytes(inputs, MAX_ROWS)
// Dropout layers: DROPOUT_OFF in evaluation and prediction (the identity), DROPOUT_DRAW while
// training (a fresh mask per batch from the xoshiro128** state of 4 u32 at RANDOM), DROPOUT_REUSE
// to apply the masks of the last draw again (the numerical gradient of one batch).
export const PLAN_DROPOUT_MODE: i32 = 17;
export const PLAN_RANDOM: i32 = 18;
// Passes over at least this many rows use every thread of the pool (threads.ts); smaller ones,
// where the barriers would cost more than sharing the work saves, and 0, run on thread 0 alone.
export const PLAN_PARALLEL_ROWS: i32 = 19;
export const PLAN_HEADER_WORDS: i32 = 20;

export const DROPOUT_OFF: i32 = 0;
export const DROPOUT_DRAW: i32 = 1;
export const DROPOUT_REUSE: i32 = 2;

// Layer kinds: each is a forward/backward pair in assembly/layers/.
export const KIND_DENSE: i32 = 1;
export const KIND_ACTIVATION: i32 = 2;
export const KIND_DROPOUT: i32 = 3;
export const KIND_CONV2D: i32 = 4;
export const KIND_MAXPOOL2D: i32 = 5;
export const KIND_AVGPOOL2D: i32 = 6;
export const KIND_FLATTEN: i32 = 7;

export const LAYER_KIND: i32 = 0;
export const LAYER_IN: i32 = 1; // features per input row
export const LAYER_OUT: i32 = 2; // features per output row
export const LAYER_OUTPUT: i32 = 3; // Y [MAX_ROWS×out]
export const LAYER_GRAD: i32 = 4; // ∂loss/∂Y [MAX_ROWS×out]
export const LAYER_FUNCTION: i32 = 5; // activation: ACTIVATION_* (activation.ts)
export const LAYER_WEIGHTS: i32 = 6; // dense: W [in×out]; conv2d: W [out×in×kh×kw]
export const LAYER_BIAS: i32 = 7; // dense: b [out]; conv2d: b [channels out]
export const LAYER_WEIGHT_GRAD: i32 = 8;
export const LAYER_BIAS_GRAD: i32 = 9;
// Convolution and pooling: each row is an NCHW image [channels×height×width], in and out.
export const LAYER_CHANNELS_IN: i32 = 10;
export const LAYER_HEIGHT_IN: i32 = 11;
export const LAYER_WIDTH_IN: i32 = 12;
export const LAYER_CHANNELS_OUT: i32 = 13;
export const LAYER_HEIGHT_OUT: i32 = 14;
export const LAYER_WIDTH_OUT: i32 = 15;
export const LAYER_KERNEL_HEIGHT: i32 = 16;
export const LAYER_KERNEL_WIDTH: i32 = 17;
export const LAYER_STRIDE: i32 = 18;
export const LAYER_PADDING: i32 = 19; // zeros on every side (conv2d)
// conv2d: the unfolded input of one row, [in·kh·kw × out height·width] floats, shared by every
// convolution (they run one after another). maxpool2d: the i32 index, within its input row,
// of each output element's maximum [MAX_ROWS×out], kept from forward for backward.
export const LAYER_SCRATCH: i32 = 20;
export const LAYER_RATE: i32 = 21; // dropout: the drop probability p, as f32 bits
export const LAYER_MASK: i32 = 22; // dropout: 0 or 1/(1−p) per element [MAX_ROWS×out]
export const LAYER_WORDS: i32 = 23;

// Loss heads (assembly/losses/): what the last layer's output is compared with.
export const LOSS_SOFTMAX_CROSS_ENTROPY: i32 = 1; // targets: i32 class index per row
export const LOSS_SIGMOID_BINARY_CROSS_ENTROPY: i32 = 2; // targets: f32 rows of 0..1
export const LOSS_MEAN_SQUARED_ERROR: i32 = 3; // targets: f32 rows

// evaluate() writes f64 sums at `result`, from which the host derives every metric.
export const EVAL_LOSS_SUM: i32 = 0; // Σ per-row (CE) or per-element (BCE; MSE: Σ (y − t)²) loss
export const EVAL_CORRECT: i32 = 1; // CE: rows whose argmax is the label; BCE: elements on the right side of 0.5
export const EVAL_ABSOLUTE_ERROR: i32 = 2; // MSE head: Σ |y − t|
export const EVAL_TARGET_SUM: i32 = 3; // Σ t, for R²
export const EVAL_TARGET_SQUARES: i32 = 4; // Σ t²
export const EVAL_SLOTS: i32 = 5;

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

/** What layer l reads: the previous layer's output, or the network input x for layer 0. */
// @ts-ignore: decorator
@inline
export function layerInput(plan: usize, layer: i32, x: usize): usize {
  return layer == 0 ? x : layerPointer(plan, layer - 1, LAYER_OUTPUT);
}
