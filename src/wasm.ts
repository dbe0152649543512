// Loads the kernel module. Two builds come from one AssemblyScript source: plain SIMD, which
// every engine with wasm SIMD runs, and relaxed SIMD, whose f32x4.relaxed_madd is a fused
// multiply-add on CPUs with FMA. `auto` takes relaxed SIMD when the engine validates a tiny
// probe module that uses it (Chromium, Firefox and Node 22+ do by default; the Node entry enables
// it on Node 20) and falls back to plain SIMD otherwise (Safari).
import { instantiate } from '@assemblyscript/loader';
import { KernelLoadError, SimdnetError, ValueError } from './errors.js';

export type KernelBuild = 'simd' | 'relaxed-simd';
export type KernelBuildChoice = KernelBuild | 'auto';
/** A wasm file: a build, or its threaded twin (shared memory, atomics) for a thread pool. */
export type KernelFile = KernelBuild | 'simd-threads' | 'relaxed-simd-threads';

type Ptr = number;

/** The module's exports (assembly/index.ts), typed. Pointers are byte offsets. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  gemmNN(c: Ptr, a: Ptr, b: Ptr, m: number, n: number, k: number, accumulate: boolean): void;
  gemmTN(c: Ptr, a: Ptr, b: Ptr, m: number, n: number, k: number, accumulate: boolean): void;
  /** Columns [first, end) of gemmNN's C, first a multiple of 4 (a thread's share). */
  gemmNNColumns(c: Ptr, a: Ptr, b: Ptr, m: number, n: number, k: number, first: number, end: number, accumulate: boolean): void;
  /** gemmTN where A's rows are `lda` floats long (lda ≥ m): a thread's rows of a weight gradient. */
  gemmTNStrided(c: Ptr, a: Ptr, b: Ptr, m: number, n: number, k: number, lda: number, accumulate: boolean): void;
  gemmNT(c: Ptr, a: Ptr, b: Ptr, m: number, n: number, k: number, accumulate: boolean, packed: Ptr): void;
  transpose(dst: Ptr, src: Ptr, rows: number, cols: number): void;
  /**
   * Rows of the GEMM's register tiles: `strided` (4 or 6) for products whose A rows are a row
   * apart (gemmNN), `adjacent` (4, 5 or 6) for those whose are adjacent floats (gemmTN). A speed
   * choice only (src/gemm-tile.ts).
   */
  gemmSetTiles(strided: number, adjacent: number): void;
  gemmTileRows(adjacent: boolean): number;
  /**
   * Whether products copy A's row blocks before their tiles sweep them: `strided` gemmNN's
   * (transposed, then run with the adjacent tile), `adjacent` gemmTN's where a sweep spans many
   * pages. A speed choice only (src/gemm-tile.ts).
   */
  gemmSetPacking(strided: boolean, adjacent: boolean): void;
  /** 1 or 0. */
  gemmPacks(adjacent: boolean): number;
  /** Row blocks the products copied first (per column block and K piece) since the last call. */
  gemmTakePackedRowBlocks(): number;
  /** Whether `threadCount` threads share a dense forward product of rows×outSize by columns (assembly/layers/dense.ts). */
  denseSharesByColumns(threadCount: number, rows: number, outSize: number): boolean;
  /** Bytes of the compressed (nonzero entries only) form of x[rows×cols]. */
  csrByteSize(x: Ptr, rows: number, cols: number): number;
  csrCompress(csr: Ptr, x: Ptr, rows: number, cols: number): void;
  csrNonzeros(csr: Ptr): number;
  csrGatheredNonzeros(csr: Ptr, indices: Ptr, rows: number): number;
  csrGemmNN(c: Ptr, csr: Ptr, firstRow: number, m: number, w: Ptr, n: number, accumulate: boolean): void;
  csrGemmNNGathered(c: Ptr, csr: Ptr, indices: Ptr, m: number, w: Ptr, n: number, accumulate: boolean): void;
  /** Transposes a batch of the compressed rows into a columns block (csrGemmTNScratchBytes) for csrGemmTNColumns. */
  csrColumns(columns: Ptr, csr: Ptr, firstRow: number, m: number): void;
  csrColumnsGathered(columns: Ptr, csr: Ptr, indices: Ptr, m: number): void;
  csrGemmTNColumns(dw: Ptr, columns: Ptr, dz: Ptr, n: number, accumulate: boolean): void;
  /** Plain SGD on the rows of W[K×n] the columns block's batch touches; 0 (nothing done) unless lr is +0 or positive finite. */
  csrSgdUpdateTouchedRows(w: Ptr, dw: Ptr, columns: Ptr, n: number, lr: number): number;
  /** csrColumns then csrGemmTNColumns, `scratch` the columns block. */
  csrGemmTN(dw: Ptr, csr: Ptr, firstRow: number, m: number, dz: Ptr, n: number, accumulate: boolean, scratch: Ptr): void;
  csrGemmTNGathered(
    dw: Ptr, csr: Ptr, indices: Ptr, m: number, dz: Ptr, n: number, accumulate: boolean, scratch: Ptr,
  ): void;
  csrGemmTNScratchBytes(k: number, rows: number): number;
  addBiasRows(x: Ptr, bias: Ptr, rows: number, cols: number): void;
  columnSums(out: Ptr, x: Ptr, rows: number, cols: number, accumulate: boolean): void;
  sigmoidForward(y: Ptr, x: Ptr, count: number): void;
  sigmoidBackward(dx: Ptr, dy: Ptr, h: Ptr, count: number): void;
  reluForward(y: Ptr, x: Ptr, count: number): void;
  reluBackward(dx: Ptr, dy: Ptr, h: Ptr, count: number): void;
  tanhForward(y: Ptr, x: Ptr, count: number): void;
  tanhBackward(dx: Ptr, dy: Ptr, h: Ptr, count: number): void;
  softmaxCrossEntropyForward(probs: Ptr, logits: Ptr, labels: Ptr, rows: number, classes: number): number;
  softmaxCrossEntropyBackward(grad: Ptr, probs: Ptr, labels: Ptr, rows: number, classes: number, batch: number): void;
  countCorrect(scores: Ptr, labels: Ptr, rows: number, classes: number): number;
  binaryCrossEntropyForward(logits: Ptr, targets: Ptr, count: number): number;
  binaryCrossEntropyBackward(grad: Ptr, logits: Ptr, targets: Ptr, count: number, normalizer: number): void;
  countCorrectBinary(logits: Ptr, targets: Ptr, count: number): number;
  sigmoidProbabilities(probs: Ptr, logits: Ptr, count: number): void;
  squaredErrorSum(outputs: Ptr, targets: Ptr, count: number): number;
  meanSquaredErrorBackward(grad: Ptr, outputs: Ptr, targets: Ptr, count: number, normalizer: number): void;
  sgdUpdate(params: Ptr, grads: Ptr, count: number, lr: number): void;
  optimizerStep(record: Ptr, params: Ptr, grads: Ptr, count: number, lr: number): void;
  /** Returns how many of the last dense layers it differentiated (0, 1 or 2). */
  numericalGradientLastLayers(plan: Ptr, x: Ptr, labels: Ptr, rows: number, h: number, rowScratch: Ptr): number;
  kernelBuild(): number;
  /** Thread pools (assembly/threads.ts): this instance's index, the pool's size, its control block. */
  threadInit(index: number, count: number, controlBlock: Ptr, oversubscribed: boolean): void;
  /** Points this instance's gemm scratch at GEMM_SCRATCH_BYTES of its own. */
  gemmUseScratch(at: Ptr): void;
  /** A worker's loop: runs its share of every pass thread 0 launches, until told to exit. */
  workerLoop(): void;
  simdPeakChained(iterations: number): number;
  simdPeakAccumulate(iterations: number): number;
  simdPeakChainedRuntime(iterations: number): number;
  simdPeakAccumulateRuntime(iterations: number): number;
  heapBase(): Ptr;
  /** One conv2d layer of a plan on its input; backward with dInput 0 skips the input gradient. */
  conv2dForward(plan: Ptr, layer: number, input: Ptr, rows: number): void;
  conv2dBackward(plan: Ptr, layer: number, input: Ptr, dOutput: Ptr, dInput: Ptr, rows: number): void;
  /** A plan's header word, a layer record's pointer word, and what layer `layer` reads (layout.ts). */
  header(plan: Ptr, word: number): number;
  layerPointer(plan: Ptr, layer: number, word: number): Ptr;
  layerInput(plan: Ptr, layer: number, x: Ptr): Ptr;
  forward(plan: Ptr, x: Ptr, rows: number): Ptr;
  predict(plan: Ptr, x: Ptr, rows: number, out: Ptr): void;
  lossAndGradients(plan: Ptr, x: Ptr, targets: Ptr, rows: number): number;
  trainStep(plan: Ptr, x: Ptr, targets: Ptr, rows: number, lr: number): void;
  trainStepGathered(plan: Ptr, inputs: Ptr, targets: Ptr, indices: Ptr, rows: number, lr: number): void;
  evaluate(plan: Ptr, x: Ptr, targets: Ptr, rows: number, result: Ptr, scratch: Ptr): void;
}

/**
 * The layout constants the host uses, which the module exports as globals (assembly/layout.ts,
 * optim.ts, activation.ts): the host reads every value from the module and keeps no copy.
 */
export const LAYOUT_CONSTANTS = [
  'PLAN_LAYER_COUNT', 'PLAN_MAX_ROWS', 'PLAN_PARAMS', 'PLAN_GRADS', 'PLAN_PARAM_COUNT', 'PLAN_INPUT', 'PLAN_TARGETS',
  'PLAN_PACK', 'PLAN_LOSS', 'PLAN_OPTIMIZER', 'PLAN_LOSS_KIND', 'PLAN_LOSS_BUFFER', 'PLAN_INPUT_SIZE',
  'PLAN_SPARSE_INPUT', 'PLAN_SPARSE_INDICES', 'PLAN_SPARSE_FIRST_ROW', 'PLAN_SPARSE_SCRATCH',
  'PLAN_MODE', 'PLAN_RANDOM', 'PLAN_PARALLEL_ROWS', 'PLAN_HEADER_WORDS', 'MODE_EVALUATE', 'MODE_TRAIN', 'MODE_REPLAY', 'KIND_DROPOUT',
  'LAYER_RATE', 'LAYER_MASK',
  'KIND_DENSE', 'KIND_ACTIVATION',
  'KIND_CONV2D', 'KIND_MAXPOOL2D', 'KIND_AVGPOOL2D', 'KIND_FLATTEN', 'KIND_BATCHNORM',
  'LAYER_KIND', 'LAYER_IN', 'LAYER_OUT', 'LAYER_OUTPUT', 'LAYER_GRAD', 'LAYER_FUNCTION', 'LAYER_WEIGHTS', 'LAYER_BIAS',
  'LAYER_WEIGHT_GRAD', 'LAYER_BIAS_GRAD', 'LAYER_CHANNELS_IN', 'LAYER_HEIGHT_IN', 'LAYER_WIDTH_IN', 'LAYER_CHANNELS_OUT',
  'LAYER_HEIGHT_OUT', 'LAYER_WIDTH_OUT', 'LAYER_KERNEL_HEIGHT', 'LAYER_KERNEL_WIDTH', 'LAYER_STRIDE', 'LAYER_PADDING',
  'LAYER_SCRATCH', 'LAYER_EPSILON', 'LAYER_MOMENTUM', 'LAYER_RUNNING_MEAN', 'LAYER_RUNNING_VARIANCE',
  'LAYER_BATCHES_TRACKED', 'LAYER_WORDS',
  'LOSS_SOFTMAX_CROSS_ENTROPY', 'LOSS_SIGMOID_BINARY_CROSS_ENTROPY', 'LOSS_MEAN_SQUARED_ERROR',
  'EVAL_LOSS_SUM', 'EVAL_CORRECT', 'EVAL_ABSOLUTE_ERROR', 'EVAL_TARGET_SUM', 'EVAL_TARGET_SQUARES', 'EVAL_SLOTS',
  'OPTIMIZER_SGD', 'OPTIMIZER_ADAM', 'OPTIMIZER_RMSPROP', 'OPTIMIZER_ADAGRAD', 'OPT_ALPHA', 'OPT_LR_DECAY', 'OPT_MAX_GRAD_NORM', 'OPT_KIND', 'OPT_MOMENTUM', 'OPT_NESTEROV', 'OPT_WEIGHT_DECAY',
  'OPT_BETA1', 'OPT_BETA2', 'OPT_EPS', 'OPT_DECOUPLED', 'OPT_STEP', 'OPT_STATE1', 'OPT_STATE2', 'OPT_SLOTS',
  'GEMM_SCRATCH_BYTES', 'POOL_GENERATION', 'POOL_RELEASE', 'POOL_ERROR', 'POOL_PASS', 'POOL_BYTES', 'PASS_EXIT',
] as const;
export type LayoutConstant = (typeof LAYOUT_CONSTANTS)[number];

export interface Kernels {
  readonly build: KernelBuild;
  /** The compiled module: a thread pool's workers instantiate it again over the same memory. */
  readonly module: WebAssembly.Module;
  /** The threaded twin of the build, over a shared memory (a thread pool's). */
  readonly threaded: boolean;
  readonly exports: KernelExports;
  readonly layout: Readonly<Record<LayoutConstant, number>>;
  /** The activation functions the module implements: 'leaky-relu' for ACTIVATION_LEAKY_RELU, … */
  readonly activationCodes: ReadonlyMap<string, number>;
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

/** The file name of each build, in the package's build/ folder and in setWasmUrl's folder. */
export const WASM_FILES: Readonly<Record<KernelFile, string>> = {
  simd: 'simd.wasm', 'relaxed-simd': 'relaxed-simd.wasm',
  'simd-threads': 'simd-threads.wasm', 'relaxed-simd-threads': 'relaxed-simd-threads.wasm',
};

export type WasmLocation = string | URL | ((build: KernelFile) => string | URL);

let wasmLocation: WasmLocation | undefined;

/**
 * Where the kernel module is, for setups that do not serve the package's build/ folder at the
 * URL the library computes (esbuild without a file loader, a CDN, a copied bundle): a folder
 * URL ending in '/' that holds simd.wasm and relaxed-simd.wasm (and, for threads,
 * simd-threads.wasm and relaxed-simd-threads.wasm), or a function from the file's build
 * ('simd', 'relaxed-simd', 'simd-threads', 'relaxed-simd-threads') to its URL. Relative URLs resolve against the page. Call it before the first runtime is
 * created; `setWasmUrl(undefined)` restores the default.
 */
export function setWasmUrl(where: WasmLocation | undefined): void {
  wasmLocation = where;
}

function wasmUrl(build: KernelFile): URL {
  if (wasmLocation !== undefined) {
    const where = typeof wasmLocation === 'function' ? wasmLocation(build) : wasmLocation;
    const base = globalThis.location?.href;
    if (!URL.canParse(String(where), base)) {
      throw new ValueError(`setWasmUrl: '${String(where)}' is not a URL${base ? '' : ' (without a page, give an absolute one: http:, https: or file:)'}`);
    }
    return typeof wasmLocation === 'function' ? new URL(String(where), base) : new URL(WASM_FILES[build], new URL(String(where), base));
  }
  // Literal URLs so bundlers see and copy every file.
  if (build === 'relaxed-simd') return new URL('../build/relaxed-simd.wasm', import.meta.url);
  if (build === 'simd-threads') return new URL('../build/simd-threads.wasm', import.meta.url);
  if (build === 'relaxed-simd-threads') return new URL('../build/relaxed-simd-threads.wasm', import.meta.url);
  return new URL('../build/simd.wasm', import.meta.url);
}

export type WasmReader = (url: URL) => Promise<Uint8Array | Response>;

// Browsers (and bundlers, which rewrite the URL) fetch the module. Node's fetch cannot read
// file: URLs, so the Node entry point installs a file reader; keeping it out of this file is
// what keeps every Node built-in out of the browser bundle.
let readWasm: WasmReader = (url) => fetch(url);

export function setWasmReader(reader: WasmReader): void {
  readWasm = reader;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]; // "\0asm"

/**
 * The module's bytes. The whole response is read rather than streamed into the compiler, so a
 * server that sends the file with a MIME type other than application/wasm still works (29 KB:
 * streaming would save nothing measurable); every failure names the URL and the fix.
 */
async function wasmBytes(url: URL): Promise<Uint8Array> {
  const fix = `Serve the package's build/${WASM_FILES.simd} and build/${WASM_FILES['relaxed-simd']} ` +
    "there, or tell simdnet where they are with setWasmUrl('folder/') before creating a runtime (see the README's Troubleshooting)";
  let source: Uint8Array | Response;
  try {
    source = await readWasm(url);
  } catch (error) {
    throw new KernelLoadError(`cannot load the kernel module ${url.href}: ${(error as Error).message}. ${fix}`);
  }
  if (source instanceof Uint8Array) return source;
  if (!source.ok) throw new KernelLoadError(`cannot load the kernel module ${url.href}: HTTP ${source.status}. ${fix}`);
  const bytes = new Uint8Array(await source.arrayBuffer());
  if (!WASM_MAGIC.every((byte, i) => bytes[i] === byte)) {
    const html = /^\s*</.test(new TextDecoder().decode(bytes.subarray(0, 64)));
    throw new KernelLoadError(
      `${url.href} is not a WebAssembly module: the server returned ${html ? 'an HTML page' : 'something else'} for it. ${fix}`,
    );
  }
  return bytes;
}

/**
 * Loads a build. With `sharedMemory` it loads the build's threaded twin, which imports that
 * memory instead of creating its own, so a thread pool's workers can instantiate it over the
 * same memory.
 */
export async function loadKernels(choice: KernelBuildChoice = 'auto', sharedMemory?: WebAssembly.Memory): Promise<Kernels> {
  const build = resolveBuild(choice);
  const file: KernelFile = sharedMemory ? `${build}-threads` : build;
  const source = await wasmBytes(wasmUrl(file));
  const { exports, module } = await instantiate<Record<string, unknown>>(source, sharedMemory ? { env: { memory: sharedMemory } } : {});
  const layout = {} as Record<LayoutConstant, number>;
  for (const name of LAYOUT_CONSTANTS) {
    const global = exports[name];
    if (!(global instanceof WebAssembly.Global)) {
      throw new SimdnetError(`kernel module does not export ${name}: rebuild it with npm run build`);
    }
    layout[name] = global.value as number;
  }
  const activationCodes = new Map<string, number>();
  for (const [name, value] of Object.entries(exports)) {
    const match = /^ACTIVATION_(\w+)$/.exec(name);
    if (match && value instanceof WebAssembly.Global) activationCodes.set(match[1].toLowerCase().replace(/_/g, '-'), value.value);
  }
  const kernels = exports as unknown as KernelExports;
  if (kernels.kernelBuild() !== (build === 'relaxed-simd' ? 1 : 0)) {
    throw new SimdnetError(`${wasmUrl(file).href} is not the ${file} build`);
  }
  return { build, module, threaded: sharedMemory !== undefined, exports: kernels, layout, activationCodes };
}
