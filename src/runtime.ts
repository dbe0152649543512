// A runtime is one instance of the kernel module plus the arena over its memory. Networks and
// datasets that share a runtime share that memory, so a network can train on a dataset that is
// already resident without copying it again. A runtime with more than one thread runs the
// threaded twin of its build over a shared memory, with a pool of workers (thread-pool.ts) that
// share every pass; the results are bit-identical to one thread's.
import { Arena } from './arena.js';
import { ValueError } from './errors.js';
import { chooseGemmTiles } from './gemm-tile.js';
import { defaultThreads, threadsUnavailable, ThreadPool } from './thread-pool.js';
import { loadKernels, type KernelBuildChoice, type Kernels } from './wasm.js';

export interface Runtime {
  readonly kernels: Kernels;
  readonly arena: Arena;
  /** Threads its passes use: 1, or the pool's size. */
  readonly threads: number;
  /** Multiply-adds (of the dense and convolution layers' forward) from which a pass is shared. */
  readonly minimumSharedWork: number;
  /** Ends the worker threads (a one-thread runtime has none); its networks go on, on one thread. */
  dispose(): void;
}

export interface RuntimeOptions {
  /**
   * Threads for the passes (a positive integer). Default 1 for createRuntime; the network
   * factories and sharedRuntime default to defaultThreads(). Where threads are unavailable (no
   * SharedArrayBuffer, a page that is not cross-origin isolated, a page's main thread) the runtime
   * has one thread and says why once on the console.
   */
  threads?: number;
  /**
   * A pass is shared among the threads when its layers' forward takes at least this many
   * multiply-adds (default 2.5·10⁵); smaller passes run on the calling thread, since the barriers
   * would cost more than sharing saves. 0 shares every pass (the tests do).
   */
  minimumSharedWork?: number;
  /**
   * Debugging: every block of the arena, and every buffer of a network's workspace, is followed
   * by this many bytes of a known pattern (default 0: none); `arena.overwrittenRedZones()` lists
   * those a kernel has written into.
   */
  redZoneBytes?: number;
  /** Tests only: the first worker throws once the first pass has started. */
  workerFault?: 'throw';
}

// The maximum a shared memory is declared with (pages of 64 KB): 4 GB, wasm32's whole range, as
// the unshared builds may grow to. Engines reserve it as address space, not as memory.
const SHARED_MEMORY_PAGES = 65536;
// The pages the threaded builds import at least: asconfig.json's initialMemory, the module's static
// data (most of it gemm's 512 KB of packed panels). Instantiation refuses a smaller memory.
const SHARED_MEMORY_INITIAL_PAGES = 10;

// Training steps of small networks, 1 thread against 2 made to share every pass (npm run
// bench:threads, its second table: staged batch of 100, best of 5 × 300 steps on the 2-core Xeon
// at real-time priority, two runs): 0.80–0.81× at 1.8·10⁴ forward multiply-adds per step,
// 1.00–1.01× at 1.8·10⁵, 1.14–1.16× at 3.1·10⁵, 1.25–1.26× at 3.6·10⁵, 1.32–1.34× at 5.6·10⁵,
// 1.48–1.49× at 7.9·10⁵. Below the crossover a pass stays on one thread.
const MINIMUM_SHARED_WORK = 2.5e5;

export { defaultThreads };

let noted = false;

export async function createRuntime(build: KernelBuildChoice = 'auto', options: RuntimeOptions = {}): Promise<Runtime> {
  const threads = checkThreads(options.threads ?? 1);
  // Checked before any worker starts (a refusal after would leave them running), and on one thread too.
  const minimumSharedWork = options.minimumSharedWork ?? MINIMUM_SHARED_WORK;
  if (!(minimumSharedWork >= 0)) throw new ValueError(`minimumSharedWork is ${minimumSharedWork}: must be a number >= 0`);
  const unavailable = threads > 1 ? threadsUnavailable() : undefined;
  if (threads === 1 || unavailable) {
    if (unavailable && !noted) {
      noted = true;
      console.info(`simdnet: running on one thread, not ${threads}: ${unavailable}`);
    }
    const kernels = await loadKernels(build);
    const arena = new Arena(kernels.exports.memory, kernels.exports.heapBase(), options.redZoneBytes);
    chooseGemmTiles({ kernels, arena });
    return { kernels, arena, threads: 1, minimumSharedWork: Infinity, dispose: () => {} };
  }
  const memory = new WebAssembly.Memory({ initial: SHARED_MEMORY_INITIAL_PAGES, maximum: SHARED_MEMORY_PAGES, shared: true });
  const kernels = await loadKernels(build, memory);
  const arena = new Arena(memory, kernels.exports.heapBase(), options.redZoneBytes);
  chooseGemmTiles({ kernels, arena }); // before the workers start: they take the same tiles
  const pool = await ThreadPool.start(kernels, arena, threads, options.workerFault);
  const guarded: Kernels = { ...kernels, exports: pool.guard(kernels.exports) };
  return { kernels: guarded, arena, threads, minimumSharedWork, dispose: () => pool.close() };
}

function checkThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1) throw new ValueError(`threads is ${threads}: must be a positive integer`);
  return threads;
}

const shared = new Map<string, Promise<Runtime>>();

/** The process-wide runtime for a build choice and thread count (default defaultThreads()), created on first use. */
export function sharedRuntime(build: KernelBuildChoice = 'auto', threads = defaultThreads()): Promise<Runtime> {
  const key = `${build}/${checkThreads(threads)}`;
  let runtime = shared.get(key);
  if (!runtime) {
    runtime = createRuntime(build, { threads });
    shared.set(key, runtime);
  }
  return runtime;
}
