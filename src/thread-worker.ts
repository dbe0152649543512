// What a worker of a thread pool runs (thread-pool.ts), written once for every platform: the
// spawners (thread-worker-node.ts, thread-worker-browser.ts) evaluate it from its source text.
import type { WorkerStart } from './thread-pool.js';
import type { KernelExports } from './wasm.js';

/**
 * Marks the pool failed (1 + the failing thread's index) and wakes every waiting thread: both
 * words a thread may sleep on change, so no wait outlives the error, and each barrier then traps.
 * Workers call it too (workerSource).
 */
export function stopPool(words: Int32Array, error: number, generation: number, release: number, thread: number): void {
  Atomics.compareExchange(words, error, 0, thread + 1);
  Atomics.add(words, generation, 1);
  Atomics.add(words, release, 1);
  Atomics.notify(words, generation);
  Atomics.notify(words, release);
}

/**
 * A worker's whole life: instantiate the module over the shared memory, take its place in the
 * pool, say 'ready', then run passes until told to exit. If anything throws, it stops the pool
 * so the caller gets a ThreadError instead of a hang. It runs in the worker from its source
 * text (workerSource), so it may use nothing but its arguments, stopPool and globals.
 */
export async function runWorker(start: WorkerStart, post: (message: unknown) => void): Promise<void> {
  const { module, memory, index, threads, controlBlock, scratch, tiles, oversubscribed, words, fault } = start;
  const control = () => new Int32Array(memory.buffer, controlBlock, 8);
  try {
    const { exports } = (await WebAssembly.instantiate(module, { env: { memory } })) as unknown as { exports: KernelExports };
    exports.threadInit(index, threads, controlBlock, oversubscribed);
    exports.gemmUseScratch(scratch);
    exports.gemmSetTiles(tiles.strided, tiles.adjacent);
    exports.gemmSetPacking(tiles.packStrided, tiles.packAdjacent);
    // Before 'ready': the first pass may start as soon as it is posted.
    const generation = Atomics.load(control(), words.generation);
    post('ready');
    if (fault === 'throw') {
      Atomics.wait(control(), words.generation, generation);
      throw new Error('this worker was told to fail');
    }
    exports.workerLoop();
  } catch (error) {
    stopPool(control(), words.error, words.generation, words.release, index);
    post({ error: String((error as Error)?.message ?? error) });
  }
}

/**
 * A worker script: stopPool and runWorker as source text, then `main`, which calls runWorker. A
 * minifier may rename both functions: stopPool keeps its own (runWorker's body calls it by that
 * name) and runWorker is bound to the name main uses.
 */
export function workerSource(main: string): string {
  return `${stopPool.toString()}\nconst runWorker = ${runWorker.toString()};\n${main}\n`;
}
