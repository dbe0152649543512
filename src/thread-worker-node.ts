// Node's worker threads for a runtime's thread pool (thread-pool.ts). A worker evaluates
// runWorker from its source text, so it runs the same from the compiled package and from the
// TypeScript sources, with no file to locate.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setWorkerSpawner, type WorkerStart } from './thread-pool.js';
import { workerSource } from './thread-worker.js';

// A dynamic import, not require: the source is evaluated as a module when the process runs with
// --input-type=module, and as a script otherwise.
const WORKER_SOURCE = workerSource(`(async () => {
  const { parentPort, workerData } = await import('node:worker_threads');
  await runWorker(workerData, (message) => parentPort.postMessage(message));
})();`);

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

setWorkerSpawner(spawn, availableParallelism());
