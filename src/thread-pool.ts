// A runtime's thread pool: workers that each instantiate the threaded kernel module over the
// runtime's shared memory and wait in its workerLoop (assembly/threads.ts). The calling thread
// is thread 0: an exported pass wakes the workers itself, so a training step is still one call
// from JavaScript and nothing here runs per step.
//
// How a worker is started is the platform's (Node's worker_threads, a browser's Worker): the
// entry points install a spawner; without one a runtime has one thread.
import type { Arena } from './arena.js';
import { ThreadError } from './errors.js';
import { type GemmTiles, gemmTiles } from './gemm-tile.js';
import { browserWorkers } from './thread-worker-browser.js';
import { stopPool } from './thread-worker.js';
import type { KernelExports, Kernels } from './wasm.js';

/** What a worker needs: the module, the memory and its place in the pool. */
export interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  index: number;
  threads: number;
  controlBlock: number;
  scratch: number;
  /** The GEMM's register tiles and packing that thread 0's instance uses (src/gemm-tile.ts). */
  tiles: GemmTiles;
  /** More threads in the pool than the machine has cores: waiting threads spin briefly (assembly/threads.ts). */
  oversubscribed: boolean;
  /** Control block word offsets (assembly/threads.ts POOL_*), read from the module. */
  words: { generation: number; release: number; error: number };
  /** Tests only: the worker waits for the first pass, then throws. */
  fault?: 'throw';
}

export interface WorkerHandle {
  /** Resolves once the worker waits in workerLoop; rejects if it could not start. */
  ready: Promise<void>;
  terminate(): void;
}

export type WorkerSpawner = (start: WorkerStart) => WorkerHandle;

// A browser's Web Workers unless the Node entry installs worker_threads.
const browser = browserWorkers();
let spawner: WorkerSpawner | undefined = browser.spawn;
// Why there are no threads, while no spawner is installed (the Node entry's always is).
const spawnerNote = browser.note;
let cores = browser.cores;

// Past 8 threads the barriers of a step cost more than a batch of a few hundred rows shares out.
const MOST_DEFAULT_THREADS = 8;

/** The Node entry installs its spawner and the machine's cores here. */
export function setWorkerSpawner(spawn: WorkerSpawner, machineCores: number): void {
  spawner = spawn;
  cores = machineCores;
}

/** Why threads are unavailable, or undefined when they are. */
export function threadsUnavailable(): string | undefined {
  if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is not available';
  return spawner ? undefined : spawnerNote;
}

/** The thread count runtimes get when none is asked for: 1 where threads are unavailable. */
export function defaultThreads(): number {
  return threadsUnavailable() ? 1 : Math.max(1, Math.min(MOST_DEFAULT_THREADS, cores));
}

export class ThreadPool {
  private failed: ThreadError | undefined;

  private constructor(
    private readonly kernels: Kernels,
    private readonly arena: Arena,
    readonly threads: number,
    private readonly controlBlock: number,
    private readonly blocks: number[],
    private readonly workers: WorkerHandle[],
  ) {}

  /** Starts `threads − 1` workers over the kernels' shared memory; thread 0 is the caller. */
  static async start(kernels: Kernels, arena: Arena, threads: number, fault?: 'throw'): Promise<ThreadPool> {
    const spawn = spawner;
    if (!spawn) throw new ThreadError(`cannot start worker threads: ${spawnerNote}`);
    const { layout, exports, module } = kernels;
    const controlBlock = arena.alloc(layout.POOL_BYTES);
    const blocks = [controlBlock];
    const oversubscribed = threads > cores;
    exports.threadInit(0, threads, controlBlock, oversubscribed);
    const workers: WorkerHandle[] = [];
    const words = { generation: layout.POOL_GENERATION, release: layout.POOL_RELEASE, error: layout.POOL_ERROR };
    for (let index = 1; index < threads; index++) {
      const scratch = arena.alloc(layout.GEMM_SCRATCH_BYTES);
      blocks.push(scratch);
      workers.push(spawn({
        module, memory: arena.memory, index, threads, controlBlock, scratch, tiles: gemmTiles(exports), oversubscribed, words,
        fault: index === 1 ? fault : undefined,
      }));
    }
    const pool = new ThreadPool(kernels, arena, threads, controlBlock, blocks, workers);
    try {
      await Promise.all(workers.map((worker) => worker.ready));
    } catch (error) {
      pool.close();
      throw new ThreadError(`a worker thread did not start: ${(error as Error).message}`);
    }
    return pool;
  }

  /**
   * The error a pass that threw becomes: a ThreadError naming the worker that failed, or, when
   * the pass failed on thread 0 itself, that failure, after stopping the waiting workers.
   */
  failure(error: unknown): Error {
    if (this.failed) return this.failed;
    const words = this.words();
    const failedThread = Atomics.load(words, this.kernels.layout.POOL_ERROR);
    if (failedThread === 0) {
      stopPool(words, this.kernels.layout.POOL_ERROR, this.kernels.layout.POOL_GENERATION, this.kernels.layout.POOL_RELEASE, 0);
      this.failed = new ThreadError(`a pass failed on the calling thread (${(error as Error).message}); the thread pool is stopped: create a new runtime`);
      return error as Error;
    }
    this.failed = new ThreadError(`worker thread ${failedThread - 1} failed during a pass; the thread pool is stopped: create a new runtime`);
    return this.failed;
  }

  /** Asks the workers to leave their loop, ends them and frees the pool's memory. */
  close(): void {
    const { layout } = this.kernels;
    const words = this.words();
    Atomics.store(words, layout.POOL_PASS, layout.PASS_EXIT);
    Atomics.add(words, layout.POOL_GENERATION, 1);
    Atomics.notify(words, layout.POOL_GENERATION);
    for (const worker of this.workers) worker.terminate();
    this.workers.length = 0;
    for (const block of this.blocks) this.arena.release(block);
    this.blocks.length = 0;
    this.kernels.exports.threadInit(0, 1, 0, false);
  }

  private words(): Int32Array {
    return new Int32Array(this.arena.memory.buffer, this.controlBlock, this.kernels.layout.POOL_BYTES >> 2);
  }

  /**
   * The pass exports, each turning a failure into failure(): a trap on thread 0 when a worker
   * failed (every barrier checks the error word), or thread 0's own. Fixed parameter lists, so a
   * step allocates nothing.
   */
  guard(exports: KernelExports): KernelExports {
    const pool = this;
    const { forward, predict, lossAndGradients, trainStep, trainStepGathered, evaluate, numericalGradientLastLayers } = exports;
    return {
      ...exports,
      forward(plan, x, rows) {
        try { return forward(plan, x, rows); } catch (error) { throw pool.failure(error); }
      },
      predict(plan, x, rows, out) {
        try { predict(plan, x, rows, out); } catch (error) { throw pool.failure(error); }
      },
      lossAndGradients(plan, x, targets, rows) {
        try { return lossAndGradients(plan, x, targets, rows); } catch (error) { throw pool.failure(error); }
      },
      trainStep(plan, x, targets, rows, lr) {
        try { trainStep(plan, x, targets, rows, lr); } catch (error) { throw pool.failure(error); }
      },
      trainStepGathered(plan, inputs, targets, indices, rows, lr) {
        try { trainStepGathered(plan, inputs, targets, indices, rows, lr); } catch (error) { throw pool.failure(error); }
      },
      evaluate(plan, x, targets, rows, result, scratch) {
        try { evaluate(plan, x, targets, rows, result, scratch); } catch (error) { throw pool.failure(error); }
      },
      numericalGradientLastLayers(plan, x, labels, rows, h, rowScratch) {
        try { return numericalGradientLastLayers(plan, x, labels, rows, h, rowScratch); } catch (error) { throw pool.failure(error); }
      },
    };
  }
}

