// Node's worker threads for a runtime's thread pool (thread-pool.ts). A worker is a few lines
// of JavaScript evaluated from this string, so it runs the same from the compiled package and
// from the TypeScript sources; it instantiates the kernel module over the shared memory and
// stays in workerLoop. If anything in it throws, it marks the pool failed and wakes every
// waiting thread, so the caller gets a ThreadError instead of a hang.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setDefaultThreads } from './runtime.js';
import { setWorkerSpawner, stopPool, type WorkerStart } from './thread-pool.js';

// A dynamic import, not require: the source is evaluated as a module when the process runs with
// --input-type=module, and as a script otherwise.
const WORKER_SOURCE = `
${stopPool.toString()}
(async () => {
  const { parentPort, workerData } = await import('node:worker_threads');
  const { module, memory, index, threads, controlBlock, scratch, words, fault } = workerData;
  const control = () => new Int32Array(memory.buffer, controlBlock, 8);
  try {
    const { exports } = await WebAssembly.instantiate(module, { env: { memory } });
    exports.threadInit(index, threads, controlBlock);
    exports.gemmUseScratch(scratch);
    // Before 'ready': the first pass may start as soon as it is posted.
    const generation = Atomics.load(control(), words.generation);
    parentPort.postMessage('ready');
    if (fault === 'throw') {
      Atomics.wait(control(), words.generation, generation);
      throw new Error('this worker was told to fail');
    }
    exports.workerLoop();
  } catch (error) {
    stopPool(control(), words.error, words.generation, words.release, index);
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
})();
`;

function spawn(start: WorkerStart): { ready: Promise<void>; terminate(): void } {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: start });
  // A pool never keeps the process alive: its workers sleep in Atomics.wait between passes.
  worker.unref();
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', (message) => (message === 'ready' ? resolve() : reject(new Error(String(message?.error)))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the worker exited with code ${code}`)));
  });
  return { ready, terminate: () => void worker.terminate() };
}

setWorkerSpawner(spawn);
// Past 8 threads the barriers of a step cost more than a batch of a few hundred rows shares out.
setDefaultThreads(Math.min(8, availableParallelism()));
