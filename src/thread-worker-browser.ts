// A browser's Web Workers for a runtime's thread pool (thread-pool.ts), from a Blob URL holding
// runWorker's source, so there is no worker file for a bundler to find. Threads need what
// Atomics.wait needs: a shared memory (the page cross-origin isolated, which takes the
// Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp headers)
// and a thread allowed to block, i.e. not the page's main thread. Elsewhere the runtime has one
// thread and a console note says why.
import { setDefaultThreads } from './runtime.js';
import { setWorkerSpawner, workerSource, type WorkerStart } from './thread-pool.js';

const scope = globalThis as { crossOriginIsolated?: boolean; document?: unknown; navigator?: { hardwareConcurrency?: number } };

// Node has no global Worker: its entry installs worker_threads (thread-worker-node.ts).
if (typeof Worker === 'function' && scope.document !== undefined) {
  setWorkerSpawner(undefined, "the page's main thread may not wait for other threads: create the network in a Web Worker");
} else if (typeof Worker === 'function' && !scope.crossOriginIsolated) {
  setWorkerSpawner(undefined, 'the page is not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp');
} else if (typeof Worker === 'function') {
  let url: string | undefined;
  setWorkerSpawner((start: WorkerStart) => {
    url ??= URL.createObjectURL(new Blob([workerSource('self.onmessage = (event) => runWorker(event.data, (message) => postMessage(message));')], { type: 'text/javascript' }));
    const worker = new Worker(url);
    const ready = new Promise<void>((resolve, reject) => {
      worker.onmessage = (event) => (event.data === 'ready' ? resolve() : reject(new Error(String(event.data?.error))));
      worker.onerror = (event) => reject(new Error(event.message));
    });
    worker.postMessage(start);
    return { ready, terminate: () => worker.terminate() };
  });
  // Past 8 threads the barriers of a step cost more than a batch of a few hundred rows shares out.
  setDefaultThreads(Math.min(8, scope.navigator?.hardwareConcurrency ?? 1));
}
