// Loads the kernel module. Two builds come from one AssemblyScript source: plain SIMD, which
// every engine with wasm SIMD runs, and relaxed SIMD, whose f32x4.relaxed_madd is a fused
// multiply-add on CPUs with FMA. `auto` takes relaxed SIMD when the engine validates a tiny
// probe module that uses it (Chromium, Firefox and Node 22+ do by default; the Node entry enables
// it on Node 20) and falls back to plain SIMD otherwise (Safari).
import { instantiate } from '@assemblyscript/loader';
import { SimdnetError, ValueError } from './errors.js';

export type KernelBuild = 'simd' | 'relaxed-simd';
export type KernelBuildChoice = KernelBuild | 'auto';

type Ptr = number;

/** The module's exports (assembly/index.ts), typed. Pointers are byte offsets. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  gemmNN(c: Ptr, a: Ptr, b: Ptr, m: number, n: number, k: number, accumulate: boolean): void;
  gemmTN(c: Ptr, a: Ptr, b: Ptr, m: number, n: number, k: number, accumulate: boolean): void;
  gemmNT(c: Ptr, a: Ptr, b: Ptr, m: number, n: number, k: number, accumulate: boolean, packed: Ptr): void;
  transpose(dst: Ptr, src: Ptr, rows: number, cols: number): void;
  /** Bytes of the compressed (nonzero entries only) form of x[rows×cols]. */
  csrByteSize(x: Ptr, rows: number, cols: number): number;
  csrCompress(csr: Ptr, x: Ptr, rows: number, cols: number): void;
  csrNonzeros(csr: Ptr): number;
  csrGatheredNonzeros(csr: Ptr, indices: Ptr, rows: number): number;
  csrGemmNN(c: Ptr, csr: Ptr, firstRow: number, m: number, w: Ptr, n: number, accumulate: boolean): void;
  csrGemmNNGathered(c: Ptr, csr: Ptr, indices: Ptr, m: number, w: Ptr, n: number, accumulate: boolean): void;
  csrGemmTN(dw: Ptr, csr: Ptr, firstRow: number, m: number, dz: Ptr, n: number, accumulate: boolean, scratch: Ptr): void;
  csrGemmTNGathered(
    dw: Ptr, csr: Ptr, indices: Ptr, m: number, dz: Ptr, n: number, accumulate: boolean, scratch: Ptr,
  ): void;
  csrGemmTNScratchBytes(k: number, rows: number): number;
  addBiasRows(x: Ptr, bias: Ptr, rows: number, cols: number): void;
  columnSums(out: Ptr, x: Ptr, rows: number, cols: number, accumulate: boolean): void;
  sigmoidForward(x: Ptr, count: number): void;
  sigmoidBackward(grad: Ptr, h: Ptr, count: number): void;
  reluForward(x: Ptr, count: number): void;
  reluBackward(grad: Ptr, h: Ptr, count: number): void;
  tanhForward(x: Ptr, count: number): void;
  tanhBackward(grad: Ptr, h: Ptr, count: number): void;
  softmaxCrossEntropyForward(logits: Ptr, labels: Ptr, rows: number, classes: number): number;
  softmaxCrossEntropyBackward(grad: Ptr, probs: Ptr, labels: Ptr, rows: number, classes: number, batch: number): void;
  countCorrect(scores: Ptr, labels: Ptr, rows: number, classes: number): number;
  sgdUpdate(params: Ptr, grads: Ptr, count: number, lr: number): void;
  optimizerStep(record: Ptr, params: Ptr, grads: Ptr, count: number, lr: number): void;
  numericalGradientLastLayers(plan: Ptr, x: Ptr, labels: Ptr, rows: number, h: number, rowScratch: Ptr): void;
  kernelBuild(): number;
  simdPeakChained(iterations: number): number;
  simdPeakAccumulate(iterations: number): number;
  heapBase(): Ptr;
  forward(plan: Ptr, x: Ptr, rows: number): Ptr;
  lossAndGradients(plan: Ptr, x: Ptr, labels: Ptr, rows: number): number;
  trainStep(plan: Ptr, x: Ptr, labels: Ptr, rows: number, lr: number): void;
  trainStepGathered(plan: Ptr, images: Ptr, labels: Ptr, indices: Ptr, rows: number, lr: number): void;
  evaluate(plan: Ptr, x: Ptr, labels: Ptr, rows: number, result: Ptr): void;
}

/** Layout constants the module exports as globals, so the host never keeps its own copy. */
export const LAYOUT_CONSTANTS = [
  'ACTIVATION_IDENTITY', 'ACTIVATION_SIGMOID', 'ACTIVATION_RELU', 'ACTIVATION_TANH',
  'PLAN_LAYER_COUNT', 'PLAN_MAX_ROWS', 'PLAN_PARAMS', 'PLAN_GRADS', 'PLAN_PARAM_COUNT',
  'PLAN_INPUT', 'PLAN_LABELS', 'PLAN_PACK', 'PLAN_LOSS', 'PLAN_OPTIMIZER', 'PLAN_HEADER_WORDS',
  'LAYER_IN', 'LAYER_OUT', 'LAYER_ACTIVATION', 'LAYER_WEIGHTS', 'LAYER_BIAS',
  'LAYER_WEIGHT_GRAD', 'LAYER_BIAS_GRAD', 'LAYER_OUTPUT', 'LAYER_DELTA', 'LAYER_WORDS',
  'EVAL_LOSS_SUM_OFFSET', 'EVAL_CORRECT_OFFSET',
  'OPTIMIZER_SGD', 'OPTIMIZER_ADAM', 'OPT_KIND', 'OPT_MOMENTUM', 'OPT_NESTEROV', 'OPT_WEIGHT_DECAY',
  'OPT_BETA1', 'OPT_BETA2', 'OPT_EPS', 'OPT_DECOUPLED', 'OPT_STEP', 'OPT_STATE1', 'OPT_STATE2', 'OPT_SLOTS',
] as const;
export type LayoutConstant = (typeof LAYOUT_CONSTANTS)[number];

export interface Kernels {
  readonly build: KernelBuild;
  readonly exports: KernelExports;
  readonly layout: Readonly<Record<LayoutConstant, number>>;
}

// (module (func (param v128 v128 v128) (result v128)
//   local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}

export function resolveBuild(choice: KernelBuildChoice = 'auto'): KernelBuild {
  if (choice === 'auto') return relaxedSimdSupported() ? 'relaxed-simd' : 'simd';
  if (choice === 'relaxed-simd' && !relaxedSimdSupported()) {
    throw new SimdnetError(
      'the relaxed-simd build was requested but this engine does not support relaxed SIMD; ' +
        'use the simd build (or auto, which picks it)',
    );
  }
  if (choice !== 'simd' && choice !== 'relaxed-simd') {
    throw new ValueError(`unknown kernel build '${String(choice)}': expected auto, simd or relaxed-simd`);
  }
  return choice;
}

function wasmUrl(build: KernelBuild): URL {
  // Literal URLs so bundlers see and copy both files.
  return build === 'relaxed-simd'
    ? new URL('../build/relaxed-simd.wasm', import.meta.url)
    : new URL('../build/simd.wasm', import.meta.url);
}

export type WasmReader = (url: URL) => Promise<Uint8Array | Response>;

// Browsers (and bundlers, which rewrite the URL) fetch the module. Node's fetch cannot read
// file: URLs, so the Node entry point installs a file reader; keeping it out of this file is
// what keeps every Node built-in out of the browser bundle.
let readWasm: WasmReader = (url) => fetch(url);

export function setWasmReader(reader: WasmReader): void {
  readWasm = reader;
}

export async function loadKernels(choice: KernelBuildChoice = 'auto'): Promise<Kernels> {
  const build = resolveBuild(choice);
  const source = await readWasm(wasmUrl(build));
  const { exports } = await instantiate<Record<string, unknown>>(source, {});
  const layout = {} as Record<LayoutConstant, number>;
  for (const name of LAYOUT_CONSTANTS) {
    const global = exports[name];
    if (!(global instanceof WebAssembly.Global)) {
      throw new SimdnetError(`kernel module does not export ${name}: rebuild it with npm run build`);
    }
    layout[name] = global.value as number;
  }
  const kernels = exports as unknown as KernelExports;
  if (kernels.kernelBuild() !== (build === 'relaxed-simd' ? 1 : 0)) {
    throw new SimdnetError(`${wasmUrl(build).href} is not the ${build} build`);
  }
  return { build, exports: kernels, layout };
}
