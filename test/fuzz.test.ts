// Seeded, bounded fuzzing of every loader of untrusted bytes: model files, checkpoints,
// safetensors and IDX files, mutated byte by byte, truncated, and edited field by field (then
// re-encoded with fresh checksums, so the edit reaches the checks behind them). Each case must
// either load something valid or throw a SimdnetError: never a RangeError, TypeError or wasm
// trap, never a hang (every loop is bounded by the input), never memory beyond a stated bound.
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx, IdxCollector, parseIdx } from '../src/data/idx.js';
import { SimdnetError } from '../src/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { dense, relu } from '../src/layers.js';
import { MLP } from '../src/mlp.js';
import { checkpointFromBytes, encodeModel, modelFromBytes } from '../src/model.js';
import { Network } from '../src/network.js';
import { Random } from '../src/random.js';
import type { Runtime } from '../src/runtime.js';
import { train } from '../src/train.js';
import { randomArray } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

const random = new Random(20261201);
const pick = <T>(items: readonly T[]): T => items[random.int(items.length)];

/** Runs `load`; true when it returned, false when it threw a SimdnetError, else fails the test. */
function typedOutcome(what: string, load: () => void): boolean {
  try {
    load();
    return true;
  } catch (error) {
    if (!(error instanceof SimdnetError)) {
      throw new Error(`${what}: threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
    }
    return false;
  }
}

/** 1–8 random bytes replaced, or the file cut short, or bytes appended. */
function mutateBytes(bytes: Uint8Array): Uint8Array {
  const kind = random.int(4);
  if (kind === 0) return bytes.subarray(0, random.int(bytes.length));
  if (kind === 1) {
    const out = new Uint8Array(bytes.length + 1 + random.int(16));
    out.set(bytes);
    for (let i = bytes.length; i < out.length; i++) out[i] = random.int(256);
    return out;
  }
  const out = bytes.slice();
  // Mostly in the first bytes (lengths, header): where the structure is.
  const span = kind === 2 ? Math.min(out.length, 64) : out.length;
  for (let n = 1 + random.int(8); n > 0; n--) out[random.int(span)] = random.int(256);
  return out;
}

const ODD_VALUES: unknown[] = [
  -1, 0, 1, 2.5, 1e9, 2 ** 32, -(2 ** 31), NaN, Infinity, null, '', 'x', true, [], {}, [1, 2], [0, 0, 0, 0],
  { kind: 'dense', units: 1e6 }, { kind: 'activation', function: 'nope' }, [784, 200000, 10], ['relu'], { type: 'adam', lr: -1 },
];

/** A JSON value with one part replaced by an odd value (or removed). */
function mutateJson(value: unknown, depth = 0): unknown {
  if (depth > 3 || value === null || typeof value !== 'object' || random.int(4) === 0) return pick(ODD_VALUES);
  if (Array.isArray(value)) {
    if (value.length === 0) return [pick(ODD_VALUES)];
    const out = value.slice();
    const i = random.int(out.length);
    if (random.int(5) === 0) out.splice(i, 1);
    else out[i] = mutateJson(out[i], depth + 1);
    return out;
  }
  const out = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(out);
  if (keys.length === 0) return pick(ODD_VALUES);
  const key = pick(keys);
  if (random.int(5) === 0) delete out[key];
  else out[key] = mutateJson(out[key], depth + 1);
  return out;
}

/** The file with one metadata field or one tensor edited, re-encoded with fresh checksums. */
function mutateStructure(bytes: Uint8Array): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes, 'fuzz');
  delete metadata.metadata_crc32; // files of earlier releases have none: the edit is then accepted as written
  const kind = random.int(3);
  if (kind === 0) {
    const key = pick(Object.keys(metadata));
    let parsed: unknown;
    try {
      parsed = JSON.parse(metadata[key]);
    } catch {
      parsed = metadata[key];
    }
    if (random.int(6) === 0) delete metadata[key];
    else metadata[key] = random.int(8) === 0 ? 'not json' : JSON.stringify(mutateJson(parsed));
  } else {
    const i = random.int(tensors.length);
    const t = tensors[i];
    const edit = random.int(4);
    if (edit === 0) tensors.splice(i, 1);
    else if (edit === 1) tensors[i] = { ...t, data: t.data instanceof Float32Array ? Int32Array.from(t.data) : Float32Array.from(t.data) };
    else if (edit === 2) {
      // Another shape with as many values, or one value fewer.
      const drop = random.int(2) === 0;
      const data = drop ? t.data.subarray(0, Math.max(0, t.data.length - 1)) : t.data;
      tensors[i] = { ...t, data, shape: drop ? [data.length] : [1, t.data.length] };
    } else {
      const data = t.data.slice();
      if (data.length) data[random.int(data.length)] = pick([NaN, Infinity, -1, 1e30, 2 ** 31 - 1]);
      tensors[i] = { ...t, data };
    }
  }
  return encodeSafetensors(tensors, metadata);
}

describe('fuzzing the loaders', () => {
  let runtime: Runtime;
  let seeds: { name: string; bytes: Uint8Array }[];
  // The arena may grow while loading valid mutants (small networks, freed again); a file that
  // made the library build what its metadata claims would blow far past this.
  const MEMORY_BOUND = 64 << 20;
  const trainData = { train: { inputs: randomArray(20 * 8, 3), targets: Uint8Array.from({ length: 20 }, (_, i) => i % 2) } };

  beforeAll(async () => {
    runtime = await testRuntime();
    const mlp = new MLP(runtime, { sizes: [8, 12, 2], activation: 'tanh', weightInitStd: 0.3, seed: 1 });
    let checkpoint: Uint8Array | undefined;
    mlp.useOptimizer({ type: 'adam' });
    train(mlp, trainData, {
      sampling: 'shuffled-epochs', epochs: 2, batchSize: 5,
      onEvaluation: (_, progress) => void (checkpoint ??= encodeModel(mlp, progress(), { cli: ['--lr', '0.1'] })),
    });
    const general = new Network(runtime, { input: 3, layers: [dense(4), relu(), dense(2)], loss: 'mse', init: 'xavier' });
    general.useOptimizer({ type: 'sgd', momentum: 0.9 });
    seeds = [
      { name: 'mlp model', bytes: encodeModel(mlp) },
      { name: 'mlp checkpoint', bytes: checkpoint! },
      { name: 'network model', bytes: encodeModel(general) },
    ];
    mlp.dispose();
    general.dispose();
  });

  it('mutated model files and checkpoints load a valid network or throw a SimdnetError', () => {
    const memoryBefore = runtime.arena.memory.buffer.byteLength;
    const outcomes = { loaded: 0, refused: 0, resumed: 0 };
    for (let n = 0; n < 2400; n++) {
      const seed = seeds[n % seeds.length];
      const bytes = n % 2 === 0 ? mutateBytes(seed.bytes) : mutateStructure(seed.bytes);
      const what = `case ${n} (${seed.name})`;
      typedOutcome(`${what}: decodeSafetensors`, () => decodeSafetensors(bytes));
      typedOutcome(`${what}: modelFromBytes`, () => modelFromBytes(runtime, bytes).dispose());
      const loaded = typedOutcome(`${what}: checkpointFromBytes`, () => {
        const { net, progress } = checkpointFromBytes(runtime, bytes);
        try {
          // A network that loads is usable: finite predictions.
          const out = net.predict(randomArray(2 * net.inputSize, n));
          expect(out.every(Number.isFinite), what).toBe(true);
          // A checkpoint that loads either resumes or is refused with a typed error.
          if (progress && net.inputSize === 8) {
            const resumed = typedOutcome(`${what}: resume`, () => {
              train(net, trainData, { sampling: 'shuffled-epochs', epochs: 3, batchSize: 5, resume: progress });
            });
            if (resumed) outcomes.resumed++;
          }
        } finally {
          net.dispose();
        }
      });
      outcomes[loaded ? 'loaded' : 'refused']++;
      expect(runtime.arena.memory.buffer.byteLength, what).toBeLessThan(memoryBefore + MEMORY_BOUND);
    }
    // The fuzzer reached both sides of the checks.
    expect(outcomes.loaded).toBeGreaterThan(50);
    expect(outcomes.refused).toBeGreaterThan(1000);
    expect(outcomes.resumed).toBeGreaterThan(5);
  });

  it('mutated IDX files parse to a consistent tensor or throw a SimdnetError, whole or in chunks', () => {
    const sources = [
      encodeIdx({ dtype: 'uint8', dims: [6, 3, 2], data: Uint8Array.from({ length: 36 }, (_, i) => i) }),
      encodeIdx({ dtype: 'uint8', dims: [9], data: Uint8Array.from({ length: 9 }, (_, i) => i) }),
      encodeIdx({ dtype: 'float32', dims: [2, 3], data: Float32Array.from([1, -2, 3.5, NaN, 0, 7]) }),
      encodeIdx({ dtype: 'int16', dims: [4], data: Int16Array.from([1, -2, 300, -32768]) }),
      encodeIdx({ dtype: 'float64', dims: [1, 2], data: Float64Array.from([1e300, -0]) }),
    ];
    let parsed = 0;
    for (let n = 0; n < 3000; n++) {
      const bytes = mutateBytes(pick(sources));
      const ok = typedOutcome(`IDX case ${n}`, () => {
        const tensor = parseIdx(bytes);
        expect(tensor.data.length).toBe(tensor.dims.reduce((a, b) => a * b, 1));
      });
      if (ok) parsed++;
      // The chunked collector agrees with parsing the whole and never holds more than the file.
      typedOutcome(`IDX case ${n} in chunks`, () => {
        const collector = new IdxCollector('chunks');
        for (let at = 0, size = 1; at < bytes.length; at += size, size = 1 + random.int(7)) collector.push(bytes.subarray(at, at + size));
        const whole = collector.finish();
        expect(Array.from(whole)).toEqual(Array.from(bytes));
        expect(whole.buffer.byteLength).toBeLessThanOrEqual(Math.max(2 * bytes.length, 4096));
        parseIdx(whole);
      });
    }
    expect(parsed).toBeGreaterThan(100);
  });
});
