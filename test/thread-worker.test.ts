// What a worker runs (runWorker, stopPool), run here on the test's own thread against a stand-in
// module whose exports record their calls: the order of its setup, 'ready' posted before the
// loop, and every failure stopping the pool and posting its message. The real workers are
// threads.test.ts's.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WorkerStart } from '../src/thread-pool.js';
import { runWorker, stopPool, workerSource } from '../src/thread-worker.js';

const WORDS = { generation: 2, release: 5, error: 7 };
const CONTROL_BLOCK = 64;

/** A worker's start, over a shared memory, and a module whose workerLoop runs `loop`. */
function standIn(loop: () => void, fault?: 'throw') {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const control = new Int32Array(memory.buffer, CONTROL_BLOCK, 8);
  const events: unknown[][] = [];
  const exports = {
    threadInit: (...args: unknown[]) => void events.push(['threadInit', ...args]),
    gemmUseScratch: (...args: unknown[]) => void events.push(['gemmUseScratch', ...args]),
    gemmSetTiles: (...args: unknown[]) => void events.push(['gemmSetTiles', ...args]),
    gemmSetPacking: (...args: unknown[]) => void events.push(['gemmSetPacking', ...args]),
    workerLoop: () => {
      events.push(['workerLoop']);
      loop();
    },
  };
  const module = {} as WebAssembly.Module;
  const instantiate = vi.spyOn(WebAssembly, 'instantiate').mockImplementation(async (...args: unknown[]) => {
    events.push(['instantiate', ...args]);
    return { exports } as never;
  });
  const start: WorkerStart = {
    module, memory, index: 2, threads: 3, controlBlock: CONTROL_BLOCK, scratch: 4096, tiles: { strided: 6, adjacent: 5, packStrided: true, packAdjacent: false }, oversubscribed: true, words: WORDS, fault,
  };
  const post = (message: unknown) => void events.push(['post', message]);
  return { start, post, events, control, instantiate, module, memory };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('runWorker', () => {
  it('instantiates the module over the memory, takes its place, says ready, then runs the loop', async () => {
    const { start, post, events, module, memory } = standIn(() => undefined);
    await runWorker(start, post);
    expect(events).toEqual([
      ['instantiate', module, { env: { memory } }],
      ['threadInit', 2, 3, CONTROL_BLOCK, true],
      ['gemmUseScratch', 4096],
      ['gemmSetTiles', 6, 5],
      ['gemmSetPacking', true, false],
      ['post', 'ready'],
      ['workerLoop'],
    ]);
    expect((events[0][2] as { env: { memory: unknown } }).env.memory).toBe(memory);
  });

  it('a loop that throws stops the pool (its error word names this thread) and posts the message', async () => {
    const { start, post, events, control } = standIn(() => {
      throw new WebAssembly.RuntimeError('unreachable');
    });
    control[WORDS.generation] = 10;
    control[WORDS.release] = 20;
    await runWorker(start, post);
    expect(events.at(-1)).toEqual(['post', { error: 'unreachable' }]);
    expect(Array.from(control)).toEqual([0, 0, 11, 0, 0, 21, 0, 3]);
  });

  it('a thrown value that is not an Error is posted as text', async () => {
    for (const [thrown, text] of [['a string', 'a string'], [undefined, 'undefined'], [null, 'null']] as const) {
      const { start, post, events } = standIn(() => {
        throw thrown;
      });
      await runWorker(start, post);
      expect(events.at(-1)).toEqual(['post', { error: text }]);
    }
  });

  it('a module that does not instantiate stops the pool before ready', async () => {
    const { start, post, events, control, instantiate } = standIn(() => undefined);
    instantiate.mockRejectedValue(new WebAssembly.LinkError('no memory import'));
    await runWorker(start, post);
    expect(events).toEqual([['post', { error: 'no memory import' }]]);
    expect(control[WORDS.error]).toBe(3);
  });

  it("the test fault: reads the generation before 'ready', sleeps until the first pass, then fails without running the loop", async () => {
    const { start, events, control, memory } = standIn(() => undefined, 'throw');
    control[WORDS.generation] = 4;
    // Another thread starts the first pass once 'ready' has arrived (word 0 set, which runWorker
    // never touches): until then the worker must sleep, and it fails only after the pass began.
    const starter = new Worker(`
      const { workerData } = require('node:worker_threads');
      const control = new Int32Array(workerData.memory.buffer, ${CONTROL_BLOCK}, 8);
      Atomics.wait(control, 0, 0);
      Atomics.add(control, ${WORDS.generation}, 1);
      Atomics.notify(control, ${WORDS.generation});`, { eval: true, workerData: { memory } });
    const post = (message: unknown) => {
      events.push(['post', message, Atomics.load(control, WORDS.generation)]);
      if (message === 'ready') {
        Atomics.store(control, 0, 1);
        Atomics.notify(control, 0);
      }
    };
    await runWorker(start, post);
    await once(starter, 'exit');
    // The error is posted after the first pass (5) and stopPool (6) moved the generation on.
    expect(events.slice(5)).toEqual([['post', 'ready', 4], ['post', { error: 'this worker was told to fail' }, 6]]);
    expect(control[WORDS.error]).toBe(3);
  });
});

describe('stopPool', () => {
  it('writes 1 + the thread into the error word unless another thread did first, and moves both wait words', () => {
    const words = new Int32Array(new SharedArrayBuffer(32));
    stopPool(words, 3, 0, 1, 0);
    expect(Array.from(words)).toEqual([1, 1, 0, 1, 0, 0, 0, 0]);
    stopPool(words, 3, 0, 1, 4);
    expect(Array.from(words)).toEqual([2, 2, 0, 1, 0, 0, 0, 0]);
  });

  it('wakes a thread waiting on either word', async () => {
    const words = new Int32Array(new SharedArrayBuffer(32));
    const waits = [Atomics.waitAsync(words, 0, 0), Atomics.waitAsync(words, 1, 0)];
    stopPool(words, 3, 0, 1, 0);
    expect(await Promise.all(waits.map((wait) => wait.value))).toEqual(['ok', 'ok']);
  });
});

describe('workerSource', () => {
  it('is both functions by the names runWorker calls them, then main', () => {
    const source = workerSource('main();');
    expect(source).toBe(`${stopPool.toString()}\nconst runWorker = ${runWorker.toString()};\nmain();\n`);
    // Evaluated as a script, it defines stopPool and runWorker and runs main.
    const run = new Function('main', `${source.replace('main();', '')} return [stopPool, runWorker];`) as (main: unknown) => unknown[];
    expect(run(undefined).map((f) => typeof f)).toEqual(['function', 'function']);
  });
});
