// A browser's Web Workers for a runtime's thread pool (thread-pool.ts), from a Blob URL holding
// runWorker's source, so there is no worker file for a bundler to find. Threads need what
// Atomics.wait needs: a shared memory (the page cross-origin isolated, which takes the
// Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp headers)
// and a thread allowed to block, i.e. not the page's main thread. Elsewhere the runtime has one
// thread and a console note says why.
import type { WorkerSpawner, WorkerStart } from './thread-pool.js';
import { workerSource } from './thread-worker.js';

const scope = globalThis as { crossOriginIsolated?: boolean; document?: unknown; navigator?: { hardwareConcurrency?: number } };

/** This platform's Web Workers: a spawner, or a note saying why not; and its cores. */
export function browserWorkers(): { spawn?: WorkerSpawner; note: string; cores: number } {
  // Node has no global Worker: its entry installs worker_threads (thread-worker-node.ts).
  const cores = scope.navigator?.hardwareConcurrency ?? 1;
  if (typeof Worker !== 'function') return { note: 'this platform has no worker threads', cores };
  if (scope.document !== undefined) {
    return { note: "the page's main thread may not wait for other threads: create the network in a Web Worker", cores };
  }
  if (!scope.crossOriginIsolated) {
    return {
      note: 'the page is not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp',
      cores,
    };
  }
  let url: string | undefined;
  const spawn = (start: WorkerStart) => {
    url ??= URL.createObjectURL(new Blob([workerSource('self.onmessage = (event) => runWorker(event.data, (message) => postMessage(message));')], { type: 'text/javascript' }));
    const worker = new Worker(url);
    const ready = new Promise<void>((resolve, reject) => {
      worker.onmessage = (event) => (event.data === 'ready' ? resolve() : reject(new Error(String(event.data?.error))));
      worker.onerror = (event) => reject(new Error(event.message));
    });
    worker.postMessage(start);
    return { ready, terminate: () => worker.terminate() };
  };
  return { spawn, note: '', cores };
}
