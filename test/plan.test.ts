// The workspace plan.ts lays out for a batch: its size checks, and every per-row buffer large
// enough for all the rows (a buffer too small overlaps the next one, which a one-row batch never
// shows): a batch's gradient is the mean of its rows' gradients, one row at a time.
import { beforeAll, describe, expect, it } from 'vitest';
import '../src/node.js'; // worker threads for the threaded runtimes
import { ShapeError, ValueError } from '../src/errors.js';
import { conv2d, dense, dropout, flatten, maxPool2d, networkGeometry, relu, tanh, type ImageShape, type LayerSpec } from '../src/layers.js';
import { Network } from '../src/network.js';
import { Plan } from '../src/plan.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { randomArray } from './support/reference.js';
import { buildUnderTest, testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

describe('the workspace', () => {
  it('is for a positive whole number of rows', () => {
    const net = new Network(runtime, { input: 3, layers: [dense(2)], loss: 'mse', seed: 1 });
    for (const rows of [0, -1, 1.5, NaN]) {
      expect(() => net.ensureRows(rows)).toThrow(ValueError);
      expect(() => net.ensureRows(rows)).toThrow(`rows is ${rows}: must be a positive integer`);
    }
    net.dispose();
  });

  it('refuses a batch whose widest layer would not fit, naming the rows', () => {
    // 2^50 rows of one input fit a safe integer of bytes; of the 16 outputs they do not.
    const net = new Network(runtime, { input: 1, layers: [dense(16)], loss: 'mse', seed: 1 });
    expect(() => net.ensureRows(2 ** 50)).toThrow(ShapeError);
    expect(() => net.ensureRows(2 ** 50)).toThrow(`a batch of ${2 ** 50} rows does not fit in WebAssembly memory`);
    net.dispose();
  });

  it('gives the smaller workspace back when it grows, so disposing frees everything', () => {
    const before = runtime.arena.allocatedBytes;
    const net = new Network(runtime, { input: 3, layers: [dense(4), dense(2)], loss: 'mse', seed: 1, maxRows: 1 });
    net.ensureRows(5);
    net.ensureRows(200);
    net.dispose();
    expect(runtime.arena.allocatedBytes).toBe(before);
  });
});

describe('a batch of 24 rows has the mean gradient of its rows', () => {
  const rows = 24;
  it.each<[string, { input: number; inputShape?: [number, number, number]; layers: LayerSpec[] }]>([
    ['mse with 3 outputs (the targets block)', { input: 4, layers: [dense(5), tanh(), dense(3)] }],
    ['dropout with p = 0 (the mask block)', { input: 4, layers: [dense(5), dropout(0), dense(3)] }],
    ['a max pool (its argmax block)', { input: 36, inputShape: [1, 6, 6], layers: [conv2d(2, 3), relu(), maxPool2d(2), flatten(), dense(3)] }],
  ])('%s', (_, shape) => {
    // A workspace of one row, which the batch makes grow to exactly its 24.
    const net = new Network(runtime, { ...shape, loss: 'mse', seed: 7, maxRows: 1 });
    const x = randomArray(rows * shape.input, 3);
    const t = randomArray(rows * 3, 4);
    const mean: Record<string, Float64Array> = {};
    for (let r = 0; r < rows; r++) {
      const g = net.gradient(x.subarray(r * shape.input, (r + 1) * shape.input), t.subarray(r * 3, (r + 1) * 3));
      for (const [name, values] of Object.entries(g)) {
        mean[name] ??= new Float64Array(values.length);
        values.forEach((v, i) => (mean[name][i] += v / rows));
      }
    }
    const batch = net.gradient(x, t);
    for (const name of net.paramNames) {
      const scale = Math.max(...mean[name].map(Math.abs));
      expect(scale, name).toBeGreaterThan(0);
      batch[name].forEach((v, i) => expect(Math.abs(v - mean[name][i]), `${name}[${i}]`).toBeLessThan(1e-5 * scale));
    }
    net.dispose();
  });
});

describe('the rows from which a pass is shared among threads', () => {
  /** The plan's PLAN_PARALLEL_ROWS word for these layers on `runtime`. */
  const parallelRows = (on: Runtime, input: number, layers: LayerSpec[], inputShape?: ImageShape) => {
    const plan = new Plan(on, input, layers, networkGeometry(input, layers, 'mse', inputShape), 'mse');
    const layout = on.kernels.layout;
    const word = new Int32Array(on.arena.memory.buffer, plan.offset, layout.PLAN_HEADER_WORDS)[layout.PLAN_PARALLEL_ROWS];
    plan.release();
    return word;
  };
  const denseLayers = [dense(4), tanh(), dense(2)]; // 3·4 + 4·2 = 20 multiply-adds a row
  // conv2d(2,3) on [1,6,6]: 2·1·3·3 weights at 4·4 positions = 288; dense 32 → 3: 96. 384 a row.
  const convLayers = [conv2d(2, 3), relu(), flatten(), dense(3)];

  it('is the fewest rows whose forward takes minimumSharedWork multiply-adds, at least 1 and at most 2^31 − 1', async () => {
    const cases: [number, number, number][] = [[1000, 50, 3], [21, 2, 1], [1e12, 0x7fffffff, 0x7fffffff]];
    for (const [work, denseRows, convRows] of cases) {
      const threaded = await createRuntime(buildUnderTest, { threads: 2, minimumSharedWork: work });
      try {
        expect(parallelRows(threaded, 3, denseLayers), `dense, ${work}`).toBe(denseRows);
        expect(parallelRows(threaded, 36, convLayers, [1, 6, 6]), `conv, ${work}`).toBe(convRows);
      } finally {
        threaded.dispose();
      }
    }
  });

  it('is 0 on one thread', () => {
    expect(parallelRows(runtime, 3, denseLayers)).toBe(0);
  });
});
