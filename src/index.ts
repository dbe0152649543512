// simdnet's public API, the part that runs anywhere (Node and browsers): no Node built-ins are
// reachable from here. Node adds file helpers in node.ts.
export { SimdnetError, ShapeError, ValueError, IdxFormatError, ModelFormatError, DatasetError } from './errors.js';
export { loadKernels, relaxedSimdSupported, resolveBuild, setWasmReader } from './wasm.js';
export type { KernelBuild, KernelBuildChoice, Kernels, KernelExports } from './wasm.js';
export { createRuntime, sharedRuntime } from './runtime.js';
export type { Runtime } from './runtime.js';
export { MLP, createMLP, ACTIVATIONS, INITS } from './mlp.js';
export type { Activation, Init, MlpOptions, Evaluation, Gradients, Layer } from './mlp.js';
export { TwoLayerNet } from './two-layer-net.js';
export type { TwoLayerNetOptions } from './two-layer-net.js';
export type { Targets } from './inputs.js';
export { compareGradients } from './gradient-check.js';
export type { GradientComparison } from './gradient-check.js';
export { ResidentDataset } from './dataset.js';
export type { LabelledImages } from './dataset.js';
export { train, trainAsync, trainResident } from './train.js';
export type { TrainOptions, AsyncTrainOptions, TrainHistory, TrainData, EvaluationRecord, Sampling, Schedule, TrainProgress } from './train.js';
export { Random } from './random.js';
export { encodeModel, decodeModel, modelFromBytes, checkpointFromBytes, namedTensors, savetxtFiles, assignSavetxtFiles, MODEL_FORMAT } from './model.js';
export { parseIdx, encodeIdx } from './data/idx.js';
export type { IdxTensor } from './data/idx.js';
export { mnistFromIdx, MNIST_FILE_NAMES } from './data/mnist.js';
export { fetchIdx, fetchMnist } from './data/mnist-fetch.js';
export type { Mnist, MnistSplit, MnistOptions } from './data/mnist.js';
export { accuracyChartSvg, lineChartSvg } from './chart.js';
export { torchStateDict, toTorchLayout, assignTorchStateDict, encodeTorchSafetensors, assignTorchSafetensors } from './torch.js';
export { resolveOptimizer, OPTIMIZERS } from './optimizer.js';
export type { OptimizerOptions, OptimizerType, ResolvedOptimizer } from './optimizer.js';
