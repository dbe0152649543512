// The thread pool's own logic against a stand-in spawner and a stand-in module, with no worker
// thread: what each worker is told, the blocks it takes and gives back, how a failed pass is
// reported, and what the guarded exports pass through. The real workers are threads.test.ts's.
// This file imports no Node entry, so until a test installs a spawner there is none, as in a
// page without Web Workers.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ThreadError } from '../src/errors.js';
import { defaultThreads, setWorkerSpawner, threadsUnavailable, ThreadPool, type WorkerHandle, type WorkerStart } from '../src/thread-pool.js';
import type { KernelExports, Kernels } from '../src/wasm.js';

// Word offsets and sizes of a stand-in control block, all different so that no two can be confused.
const LAYOUT = { POOL_BYTES: 64, GEMM_SCRATCH_BYTES: 4096, POOL_GENERATION: 5, POOL_RELEASE: 7, POOL_ERROR: 9, POOL_PASS: 11, PASS_EXIT: -1 };
const PASSES = ['forward', 'predict', 'lossAndGradients', 'trainStep', 'trainStepGathered', 'evaluate', 'numericalGradientLastLayers'] as const;

/** A module whose exports record their calls (a pass returns 40 + its index), and an arena over a shared memory that records its blocks. */
function standIn() {
  const calls: unknown[][] = [];
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const exports: Record<string, unknown> = {
    memory,
    threadInit: (...args: unknown[]) => void calls.push(['threadInit', ...args]),
    gemmTileRows: (adjacent: boolean) => (adjacent ? 5 : 6),
    gemmPacks: (adjacent: boolean) => (adjacent ? 0 : 1),
    heapBase: () => 1024,
  };
  PASSES.forEach((name, i) => {
    exports[name] = (...args: unknown[]) => {
      calls.push([name, ...args]);
      return 40 + i;
    };
  });
  const module = {} as WebAssembly.Module;
  const kernels = { build: 'simd', module, threaded: true, exports, layout: LAYOUT } as unknown as Kernels;
  const blocks = new Map<number, number>();
  let next = 1024;
  const arena = {
    memory,
    alloc(bytes: number) {
      const at = next;
      next += bytes;
      blocks.set(at, bytes);
      return at;
    },
    release(at: number) {
      expect(blocks.delete(at), `block ${at} released once`).toBe(true);
    },
  };
  return { kernels, exports: exports as unknown as KernelExports, arena: arena as never, blocks, calls, memory };
}

/** A spawner that records what each worker is told; its workers are ready at once, or fail with `fail`. */
function recordingSpawner(fail?: string) {
  const starts: WorkerStart[] = [];
  const terminated: number[] = [];
  const spawn = (start: WorkerStart): WorkerHandle => {
    starts.push(start);
    const ready = fail ? Promise.reject(new Error(fail)) : Promise.resolve();
    ready.catch(() => undefined); // awaited by the pool; not an unhandled rejection meanwhile
    return { ready, terminate: () => void terminated.push(start.index) };
  };
  return { spawn, starts, terminated };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('without a spawner', () => {
  it('threads are unavailable, the default is 1 thread, and a pool refuses to start, naming why', async () => {
    expect(threadsUnavailable()).toBe('this platform has no worker threads');
    expect(defaultThreads()).toBe(1);
    const { kernels, arena, blocks } = standIn();
    await expect(ThreadPool.start(kernels, arena, 2)).rejects.toThrow(ThreadError);
    await expect(ThreadPool.start(kernels, arena, 2)).rejects.toThrow(/^cannot start worker threads: this platform has no worker threads$/);
    expect(blocks.size).toBe(0);
  });
});

describe('with a spawner', () => {
  it('threads are available, and the default is the cores, from 1 to 8', () => {
    const { spawn } = recordingSpawner();
    for (const [cores, threads] of [[3, 3], [8, 8], [9, 8], [64, 8], [1, 1], [0, 1]]) {
      setWorkerSpawner(spawn, cores);
      expect(threadsUnavailable()).toBeUndefined();
      expect(defaultThreads(), `${cores} cores`).toBe(threads);
    }
  });

  it('without SharedArrayBuffer, threads are unavailable whatever the spawner', () => {
    setWorkerSpawner(recordingSpawner().spawn, 4);
    const scope = globalThis as { SharedArrayBuffer?: unknown };
    const saved = scope.SharedArrayBuffer;
    delete scope.SharedArrayBuffer;
    try {
      expect(threadsUnavailable()).toBe('SharedArrayBuffer is not available');
      expect(defaultThreads()).toBe(1);
    } finally {
      scope.SharedArrayBuffer = saved;
    }
  });

  it('starts threads − 1 workers, each told its index, its own scratch block and the pool\'s words; the fault goes to worker 1 only', async () => {
    const { spawn, starts } = recordingSpawner();
    setWorkerSpawner(spawn, 2);
    const { kernels, arena, blocks, calls, memory } = standIn();
    const pool = await ThreadPool.start(kernels, arena, 3, 'throw');
    expect(pool.threads).toBe(3);
    const [controlBlock, ...scratches] = blocks.keys();
    expect([...blocks.values()]).toEqual([LAYOUT.POOL_BYTES, LAYOUT.GEMM_SCRATCH_BYTES, LAYOUT.GEMM_SCRATCH_BYTES]);
    // Thread 0 is the caller, initialized before any worker starts; 3 threads on 2 cores are oversubscribed.
    expect(calls).toEqual([['threadInit', 0, 3, controlBlock, true]]);
    const words = { generation: LAYOUT.POOL_GENERATION, release: LAYOUT.POOL_RELEASE, error: LAYOUT.POOL_ERROR };
    const told = { module: kernels.module, memory, threads: 3, controlBlock, tiles: { strided: 6, adjacent: 5, packStrided: true, packAdjacent: false }, oversubscribed: true, words };
    expect(starts).toEqual([
      { ...told, index: 1, scratch: scratches[0], fault: 'throw' },
      { ...told, index: 2, scratch: scratches[1], fault: undefined },
    ]);
    expect(starts[0].module).toBe(kernels.module);
    expect(starts[0].memory).toBe(memory);
    pool.close();
  });

  it('as many threads as cores are not oversubscribed', async () => {
    const { spawn, starts } = recordingSpawner();
    setWorkerSpawner(spawn, 2);
    const { kernels, arena, calls } = standIn();
    const pool = await ThreadPool.start(kernels, arena, 2);
    expect(calls[0]).toEqual(['threadInit', 0, 2, expect.any(Number), false]);
    expect(starts.map((start) => [start.index, start.oversubscribed, start.fault])).toEqual([[1, false, undefined]]);
    pool.close();
  });

  it('a worker that does not start: the pool is closed (workers ended, blocks freed) and the error names why', async () => {
    const { spawn, terminated } = recordingSpawner('no module here');
    setWorkerSpawner(spawn, 4);
    const { kernels, arena, blocks, calls } = standIn();
    const start = ThreadPool.start(kernels, arena, 3);
    await expect(start).rejects.toThrow(ThreadError);
    await expect(start).rejects.toThrow(/^a worker thread did not start: no module here$/);
    expect(terminated).toEqual([1, 2]);
    expect(blocks.size).toBe(0);
    expect(calls.at(-1)).toEqual(['threadInit', 0, 1, 0, false]);
  });

  it('close tells the workers to exit, ends them, frees every block once and leaves thread 0 alone, even when called twice', async () => {
    const { spawn, terminated } = recordingSpawner();
    setWorkerSpawner(spawn, 4);
    const { kernels, arena, blocks, calls, memory } = standIn();
    const pool = await ThreadPool.start(kernels, arena, 3);
    const [controlBlock] = blocks.keys();
    const words = new Int32Array(memory.buffer, controlBlock, LAYOUT.POOL_BYTES >> 2);
    words[LAYOUT.POOL_GENERATION] = 41;
    // A worker asleep in its loop, waiting for the next generation, must wake to see the exit.
    const asleep = Atomics.waitAsync(words, LAYOUT.POOL_GENERATION, 41);
    pool.close();
    expect(await asleep.value).toBe('ok');
    expect(words[LAYOUT.POOL_PASS]).toBe(LAYOUT.PASS_EXIT);
    expect(words[LAYOUT.POOL_GENERATION]).toBe(42);
    expect(terminated).toEqual([1, 2]);
    expect(blocks.size).toBe(0);
    expect(calls.at(-1)).toEqual(['threadInit', 0, 1, 0, false]);
    pool.close();
    expect(terminated).toEqual([1, 2]);
  });
});

describe('a failed pass', () => {
  async function startedPool() {
    setWorkerSpawner(recordingSpawner().spawn, 4);
    const stand = standIn();
    const pool = await ThreadPool.start(stand.kernels, stand.arena, 3);
    const [controlBlock] = stand.blocks.keys();
    // Past the control block's words: a view that read the wrong length would see them.
    const words = new Int32Array(stand.memory.buffer, controlBlock, LAYOUT.POOL_BYTES >> 2);
    return { pool, words, ...stand };
  }

  it('on the calling thread: that error, the workers stopped; every later failure is a ThreadError naming it', async () => {
    const { pool, words } = await startedPool();
    words[LAYOUT.POOL_GENERATION] = 10;
    words[LAYOUT.POOL_RELEASE] = 20;
    const trap = new WebAssembly.RuntimeError('unreachable');
    expect(pool.failure(trap)).toBe(trap);
    // stopPool: the error word names thread 0 (as 1), both words a thread may wait on move.
    expect([words[LAYOUT.POOL_ERROR], words[LAYOUT.POOL_GENERATION], words[LAYOUT.POOL_RELEASE]]).toEqual([1, 11, 21]);
    const later = pool.failure(new Error('anything'));
    expect(later).toBeInstanceOf(ThreadError);
    expect(later.message).toBe('a pass failed on the calling thread (unreachable); the thread pool is stopped: create a new runtime');
    expect(pool.failure(new Error('again'))).toBe(later);
    pool.close();
  });

  it('on a worker: a ThreadError naming the worker, the same one every time', async () => {
    const { pool, words } = await startedPool();
    words[LAYOUT.POOL_ERROR] = 3; // 1 + thread 2, the second worker (thread 0 is the caller)
    const failure = pool.failure(new WebAssembly.RuntimeError('unreachable'));
    expect(failure).toBeInstanceOf(ThreadError);
    expect(failure.message).toBe('worker thread 2 failed during a pass; the thread pool is stopped: create a new runtime');
    expect(pool.failure(new Error('again'))).toBe(failure);
    expect(words[LAYOUT.POOL_ERROR]).toBe(3);
    pool.close();
  });

  it('the guarded exports pass every argument and result through, and turn a throw into failure()', async () => {
    const { pool, exports, calls, words } = await startedPool();
    const guarded = pool.guard(exports);
    expect(guarded.heapBase).toBe(exports.heapBase);
    calls.length = 0;
    const args: Record<(typeof PASSES)[number], number[]> = {
      forward: [1, 2, 3], predict: [1, 2, 3, 4], lossAndGradients: [1, 2, 3, 4], trainStep: [1, 2, 3, 4, 5],
      trainStepGathered: [1, 2, 3, 4, 5, 6], evaluate: [1, 2, 3, 4, 5, 6], numericalGradientLastLayers: [1, 2, 3, 4, 5, 6],
    };
    const returned = PASSES.map((name) => (guarded[name] as (...a: number[]) => unknown)(...args[name]));
    expect(calls).toEqual(PASSES.map((name) => [name, ...args[name]]));
    // Only the passes with a result give one back.
    expect(returned).toEqual([40, undefined, 42, undefined, undefined, undefined, 46]);

    words[LAYOUT.POOL_ERROR] = 2;
    for (const name of PASSES) {
      (exports as unknown as Record<string, unknown>)[name] = () => {
        throw new WebAssembly.RuntimeError(`${name} trapped`);
      };
    }
    const thrown = pool.guard(exports);
    for (const name of PASSES) {
      expect(() => (thrown[name] as (...a: number[]) => unknown)(...args[name]), name).toThrow(/^worker thread 1 failed during a pass/);
    }
    pool.close();
  });
});
