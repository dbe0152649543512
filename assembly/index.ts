// The module's exports: every kernel (tested one by one against TypeScript references) and the
// network-level fused passes built from them.
export { gemmNN, gemmTN, gemmNT, transpose } from './gemm';
export {
  csrByteSize, csrCompress, csrNonzeros, csrGatheredNonzeros, csrGemmNN, csrGemmNNGathered, csrGemmTN,
  csrGemmTNGathered, csrGemmTNScratchBytes,
} from './sparse';
export { addBiasRows, columnSums } from './bias';
export {
  sigmoidForward, sigmoidBackward, reluForward, reluBackward, tanhForward, tanhBackward,
  ACTIVATION_IDENTITY, ACTIVATION_SIGMOID, ACTIVATION_RELU, ACTIVATION_TANH,
} from './activation';
export { softmaxCrossEntropyForward, softmaxCrossEntropyBackward, countCorrect } from './softmax';
export {
  sgdUpdate, optimizerStep, OPTIMIZER_SGD, OPTIMIZER_ADAM, OPT_KIND, OPT_MOMENTUM, OPT_NESTEROV,
  OPT_WEIGHT_DECAY, OPT_BETA1, OPT_BETA2, OPT_EPS, OPT_DECOUPLED, OPT_STEP, OPT_STATE1, OPT_STATE2,
  OPT_SLOTS,
} from './optim';
export { numericalGradientLastLayers } from './numerical-gradient';
export { kernelBuild, heapBase } from './simd';
export { simdPeakChained, simdPeakAccumulate } from './peak';
export {
  PLAN_LAYER_COUNT, PLAN_MAX_ROWS, PLAN_PARAMS, PLAN_GRADS, PLAN_PARAM_COUNT, PLAN_INPUT, PLAN_LABELS,
  PLAN_PACK, PLAN_LOSS, PLAN_OPTIMIZER, PLAN_HEADER_WORDS, LAYER_IN, LAYER_OUT, LAYER_ACTIVATION, LAYER_WEIGHTS, LAYER_BIAS,
  LAYER_WEIGHT_GRAD, LAYER_BIAS_GRAD, LAYER_OUTPUT, LAYER_DELTA, LAYER_WORDS, EVAL_LOSS_SUM_OFFSET,
  EVAL_CORRECT_OFFSET,
} from './plan';
export * from './network';
