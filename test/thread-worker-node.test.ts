// The Node spawner itself (the one thread-worker-node.ts installs), on workers that cannot
// start: each way a worker ends before 'ready' rejects its ready promise with what happened,
// rather than leaving the pool waiting. Workers that start are threads.test.ts's.
import { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import type { WorkerSpawner, WorkerStart } from '../src/thread-pool.js';

let spawn: WorkerSpawner | undefined;
vi.mock('../src/thread-pool.js', async (original) => ({
  ...(await original<typeof import('../src/thread-pool.js')>()),
  setWorkerSpawner: (installed: WorkerSpawner) => void (spawn = installed),
}));
await import('../src/thread-worker-node.js');

// A module with no exports: the worker instantiates it, then finds no threadInit to call.
const EMPTY_MODULE = new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
const start = (memory: WebAssembly.Memory | undefined): WorkerStart => ({
  module: EMPTY_MODULE, memory: memory as WebAssembly.Memory, index: 1, threads: 2, controlBlock: 0, scratch: 0, tiles: { strided: 4, adjacent: 4 },
  oversubscribed: false, words: { generation: 0, release: 2, error: 3 },
});
const sharedMemory = () => new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });

describe('the Node spawner', () => {
  it('is installed when the Node entry is imported', () => {
    expect(spawn).toBeTypeOf('function');
  });

  it("a worker that fails in runWorker: ready rejects with the worker's message; no worker keeps the process alive", async () => {
    const unref = vi.spyOn(Worker.prototype, 'unref');
    await expect(spawn!(start(sharedMemory())).ready).rejects.toThrow(/^exports\.threadInit is not a function$/);
    expect(unref).toHaveBeenCalledTimes(1);
    unref.mockRestore();
  });

  it('a worker that throws past runWorker: ready rejects with that error', async () => {
    // No memory: its failure report itself throws (no control block to mark), uncaught in the worker.
    await expect(spawn!(start(undefined)).ready).rejects.toThrow(/Cannot read properties of undefined \(reading 'buffer'\)/);
  });

  it('a worker ended before it is ready: ready rejects with its exit code', async () => {
    const worker = spawn!(start(sharedMemory()));
    worker.terminate();
    await expect(worker.ready).rejects.toThrow(/^the worker exited with code \d+$/);
  });
});
