// createRuntime and sharedRuntime without real worker threads: this file imports no Node entry,
// so there is no spawner until a test installs a stand-in one whose workers are ready at once
// and never run a pass. What a runtime's threads give is threads.test.ts's.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValueError } from '../src/errors.js';
import { createRuntime, sharedRuntime } from '../src/runtime.js';
import { setWorkerSpawner, type WorkerStart } from '../src/thread-pool.js';
import { resolveBuild } from '../src/wasm.js';
import { expectRejection } from './support/refusal.js';
import { buildUnderTest } from './support/runtime.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('without worker threads', () => {
  it('one thread is asked for by default, and says nothing (before any note was shown: it is shown once)', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    const runtime = await createRuntime(buildUnderTest);
    expect([runtime.threads, runtime.kernels.build]).toEqual([1, resolveBuild(buildUnderTest)]);
    expect(info).not.toHaveBeenCalled();
    runtime.dispose();
  });

  it('a runtime asked for threads has one, and says why once', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    const runtime = await createRuntime(buildUnderTest, { threads: 2 });
    expect([runtime.threads, runtime.minimumSharedWork, runtime.kernels.threaded]).toEqual([1, Infinity, false]);
    expect(info.mock.calls).toEqual([['simdnet: running on one thread, not 2: this platform has no worker threads']]);
    const again = await createRuntime(buildUnderTest, { threads: 3 });
    expect(again.threads).toBe(1);
    expect(info).toHaveBeenCalledTimes(1);
  });

  it('the default build is auto', async () => {
    expect((await createRuntime()).kernels.build).toBe(resolveBuild('auto'));
    expect((await sharedRuntime()).kernels.build).toBe(resolveBuild('auto'));
  });

  it('refuses a thread count that is not a positive integer, and a minimumSharedWork that is not a number >= 0, even on one thread', async () => {
    for (const threads of [0, -1, 1.5, Number.NaN]) {
      await expectRejection(createRuntime(buildUnderTest, { threads }), ValueError, `threads is ${threads}: must be a positive integer`);
      expect(() => sharedRuntime(buildUnderTest, threads)).toThrow(`threads is ${threads}: must be a positive integer`);
    }
    for (const minimumSharedWork of [-1, Number.NaN]) {
      await expectRejection(createRuntime(buildUnderTest, { minimumSharedWork }), ValueError, `minimumSharedWork is ${minimumSharedWork}: must be a number >= 0`);
    }
  });

  it('sharedRuntime gives one runtime per build and thread count, one thread by default here', async () => {
    const one = sharedRuntime(buildUnderTest, 1);
    expect(sharedRuntime(buildUnderTest, 1)).toBe(one);
    expect(sharedRuntime(buildUnderTest)).toBe(one);
    const two = sharedRuntime(buildUnderTest, 2);
    expect(two).not.toBe(one);
    expect(sharedRuntime(buildUnderTest, 2)).toBe(two);
    expect(sharedRuntime('simd', 1)).not.toBe(sharedRuntime('relaxed-simd', 1));
    expect((await one).threads).toBe(1);
  });
});

describe('with a spawner', () => {
  /** Installs a spawner whose workers are ready at once; returns what they were told and which were ended. */
  function standInWorkers() {
    const starts: WorkerStart[] = [];
    const terminated: number[] = [];
    setWorkerSpawner((start) => {
      starts.push(start);
      return { ready: Promise.resolve(), terminate: () => void terminated.push(start.index) };
    }, 4);
    return { starts, terminated };
  }

  it('a runtime of 3 threads: the threaded build over a shared memory, its pool, passes shared from 2.5·10⁵ multiply-adds', async () => {
    const { starts, terminated } = standInWorkers();
    const runtime = await createRuntime(buildUnderTest, { threads: 3, workerFault: 'throw' });
    expect([runtime.threads, runtime.minimumSharedWork, runtime.kernels.threaded]).toEqual([3, 2.5e5, true]);
    const memory = runtime.arena.memory;
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(runtime.kernels.exports.memory).toBe(memory);
    expect(starts.map((start) => [start.index, start.memory === memory, start.module === runtime.kernels.module, start.fault]))
      .toEqual([[1, true, true, 'throw'], [2, true, true, undefined]]);
    expect(terminated).toEqual([]);
    runtime.dispose();
    expect(terminated).toEqual([1, 2]);
  });

  it('sharedRuntime asks for its thread count', async () => {
    standInWorkers();
    expect((await sharedRuntime(buildUnderTest, 3)).threads).toBe(3);
  });

  it('minimumSharedWork is the runtime\'s when given, 0 included', async () => {
    standInWorkers();
    for (const minimumSharedWork of [0, 1234]) {
      const runtime = await createRuntime(buildUnderTest, { threads: 2, minimumSharedWork });
      expect(runtime.minimumSharedWork).toBe(minimumSharedWork);
      runtime.dispose();
    }
  });

  it('a refused minimumSharedWork starts no worker', async () => {
    const { starts } = standInWorkers();
    await expectRejection(createRuntime(buildUnderTest, { threads: 2, minimumSharedWork: -5 }), ValueError, 'minimumSharedWork is -5: must be a number >= 0');
    expect(starts).toEqual([]);
  });
});
