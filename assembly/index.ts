// The module's exports: every kernel (tested one by one against TypeScript references) and the
// network-level fused passes built from them.
export { gemmNN, gemmTN, gemmNT, transpose } from './gemm';
export { addBiasRows, columnSums } from './bias';
export {
  sigmoidForward, sigmoidBackward, reluForward, reluBackward,
  ACTIVATION_IDENTITY, ACTIVATION_SIGMOID, ACTIVATION_RELU,
} from './activation';
export { softmaxCrossEntropyForward, softmaxCrossEntropyBackward, countCorrect } from './softmax';
export { sgdUpdate } from './optim';
export { kernelBuild, heapBase } from './simd';
export * from './network';
