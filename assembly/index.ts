// The module's exports: every kernel (tested one by one against TypeScript references), the
// plan layout (layout.ts, read by the host) and the network-level fused passes built from them.
export {
  gemmNN, gemmNNColumns, gemmTN, gemmTNStrided, gemmNT, gemmSetTiles, gemmTileRows, gemmSetPacking, gemmPacks, gemmTakePackedRowBlocks, transpose,
  GEMM_SCRATCH_BYTES, gemmUseScratch,
} from './gemm';
export {
  csrByteSize, csrCompress, csrNonzeros, csrGatheredNonzeros, csrGemmNN, csrGemmNNGathered, csrColumns,
  csrColumnsGathered, csrGemmTNColumns, csrSgdUpdateTouchedRows, csrGemmTN, csrGemmTNGathered, csrGemmTNScratchBytes,
} from './sparse';
export { addBiasRows, columnSums } from './bias';
// Every activation kernel and its ACTIVATION_* code: the host discovers the codes from here.
export * from './activation';
export { softmaxCrossEntropyForward, softmaxCrossEntropyBackward, countCorrect } from './losses/softmax-cross-entropy';
export { binaryCrossEntropyForward, binaryCrossEntropyBackward, countCorrectBinary, sigmoidProbabilities } from './losses/binary-cross-entropy';
export { squaredErrorSum, meanSquaredErrorBackward } from './losses/mean-squared-error';
export * from './optim';
export { numericalGradientLastLayers } from './numerical-gradient';
export { kernelBuild, heapBase } from './simd';
export { simdPeakChained, simdPeakAccumulate, simdPeakChainedRuntime, simdPeakAccumulateRuntime } from './peak';
// One convolution of a plan alone (the fused passes call them per layer): the bench times them.
export { conv2dForward, conv2dBackward } from './layers/conv2d';
// How threads share a dense layer's forward product: a choice of speed only, pinned by a test.
export { denseSharesByColumns } from './layers/dense';
export * from './layout';
export * from './network';
export { threadInit, POOL_GENERATION, POOL_RELEASE, POOL_ERROR, POOL_PASS, POOL_BYTES, PASS_EXIT } from './threads';
