// npm run bench:threads: the passes with 1 and 2 (or --threads N) threads, side by side, in one
// process: the 784-100-10 and 784-128-256-10 training steps (batch 100, as train() runs them, and
// the first one's passes alone),
// one dense layer's forward over 10000×784 (the NN product 10000×784×100 and its bias), a 784-100
// weight and input gradient (TN and NT, through lossAndGradients on 10000 rows), and the
// 70000-image evaluation of the 784-100-10 network. Best of several repeats, with the machine's
// load printed next to it: on a shared machine, rerun where it is quiet. Then three measurements
// behind constants: from how much work a pass is worth sharing (src/runtime.ts,
// MINIMUM_SHARED_WORK), how a product with few rows is best cut between threads
// (assembly/layers/dense.ts, COLUMN_SHARE_ROWS), and how long a pool's workers spin after a
// pass before they sleep (assembly/threads.ts).
import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createRuntime, dense, Network, ResidentDataset, Random, sigmoid, relu, train, type Runtime } from 'simdnet';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '2' }, repeats: { type: 'string', default: '5' } } });
const counts = [1, Number(values.threads)];
const repeats = Number(values.repeats);

function randomSet(rows: number, inputs: number, classes: number) {
  const random = new Random(1);
  return {
    inputs: Float32Array.from({ length: rows * inputs }, () => random.uniform()),
    targets: Int32Array.from({ length: rows }, () => random.int(classes)),
  };
}

function best(run: () => number): number {
  let fastest = Infinity;
  for (let i = 0; i < repeats; i++) fastest = Math.min(fastest, run());
  return fastest;
}

/** The network's plan: its passes are timed on the plan's own staged input. */
function planOf(net: Network): { offset: number; workspace(rows?: number): { input: number; targets: number } } {
  return (net as unknown as { plan: ReturnType<typeof planOf> }).plan;
}

function timed(body: () => void): number {
  const start = performance.now();
  body();
  return performance.now() - start;
}

const cases: { name: string; unit: string; run: (runtime: Runtime) => number }[] = [
  {
    name: '784-100-10 sigmoid step, batch 100', unit: 'ms/step',
    run: (runtime) => {
      const net = new Network(runtime, { input: 784, layers: [dense(100), sigmoid(), dense(10)] });
      const set = randomSet(10000, 784, 10);
      const ms = best(() => train(net, { train: set }, { iterations: 300, batchSize: 100, learningRate: 0.1, evaluateTrain: false }).msPerIteration);
      net.dispose();
      return ms;
    },
  },
  // The step's profile: its passes one by one on a staged batch (forward; forward, loss and
  // backward; all that and the update), 200 calls back to back.
  ...(['forward', 'lossAndGradients', 'trainStep'] as const).map((pass) => ({
    name: `784-100-10 sigmoid, batch 100: the ${pass} pass alone`, unit: 'ms',
    run: (runtime: Runtime) => {
      const net = new Network(runtime, { input: 784, layers: [dense(100), sigmoid(), dense(10)] });
      const set = randomSet(100, 784, 10);
      const plan = planOf(net);
      const { input, targets } = plan.workspace(100);
      new Float32Array(runtime.arena.memory.buffer, input, set.inputs.length).set(set.inputs);
      new Int32Array(runtime.arena.memory.buffer, targets, set.targets.length).set(set.targets);
      const exports = runtime.kernels.exports;
      const call = {
        forward: () => exports.forward(plan.offset, input, 100),
        lossAndGradients: () => exports.lossAndGradients(plan.offset, input, targets, 100),
        trainStep: () => exports.trainStep(plan.offset, input, targets, 100, 0.1),
      }[pass];
      const ms = best(() => timed(() => { for (let i = 0; i < 200; i++) call(); }) / 200);
      net.dispose();
      return ms;
    },
  })),
  {
    name: '784-128-256-10 relu step, batch 100', unit: 'ms/step',
    run: (runtime) => {
      const net = new Network(runtime, { input: 784, layers: [dense(128), relu(), dense(256), relu(), dense(10)] });
      const set = randomSet(10000, 784, 10);
      const ms = best(() => train(net, { train: set }, { iterations: 200, batchSize: 100, learningRate: 0.01, evaluateTrain: false }).msPerIteration);
      net.dispose();
      return ms;
    },
  },
  {
    name: 'NN 10000×784×100 (+bias): one dense layer forward', unit: 'ms',
    run: (runtime) => {
      const net = new Network(runtime, { input: 784, layers: [dense(100)], maxRows: 10000 });
      const { inputs } = randomSet(10000, 784, 100);
      // The pass alone, as evaluate() runs it, on the plan's staged input.
      const plan = planOf(net);
      const { input } = plan.workspace();
      new Float32Array(runtime.arena.memory.buffer, input, inputs.length).set(inputs);
      const ms = best(() => timed(() => runtime.kernels.exports.forward(plan.offset, input, 10000)));
      net.dispose();
      return ms;
    },
  },
  {
    name: 'TN 784×100×10000 + NT 10000×784×100: 784-100-784 gradients on 10000 rows', unit: 'ms',
    run: (runtime) => {
      const net = new Network(runtime, { input: 784, layers: [dense(100), dense(784)], loss: 'mse', maxRows: 10000 });
      const { inputs } = randomSet(10000, 784, 2);
      const ms = best(() => timed(() => net.gradient(inputs, inputs)));
      net.dispose();
      return ms;
    },
  },
  {
    name: '784-100-10 evaluation, 70000 images', unit: 'ms',
    run: (runtime) => {
      const net = new Network(runtime, { input: 784, layers: [dense(100), sigmoid(), dense(10)] });
      const set = new ResidentDataset(net, randomSet(70000, 784, 10));
      const ms = best(() => timed(() => net.evaluateResident(set.inputs, set.targets, set.count)));
      set.dispose();
      net.dispose();
      return ms;
    },
  },
];

console.log(`CPU: ${cpus()[0]?.model} × ${cpus().length}; load: ${execSync('uptime').toString().trim()}`);
console.log(`| pass | ${counts.map((n) => `${n} thread${n > 1 ? 's' : ''}`).join(' | ')} | speed-up |`);
console.log(`|---|${counts.map(() => '---:').join('|')}|---:|`);
for (const c of cases) {
  const times: number[] = [];
  for (const threads of counts) {
    const runtime = await createRuntime('auto', { threads });
    times.push(c.run(runtime));
    runtime.dispose();
  }
  console.log(`| ${c.name} (${c.unit}) | ${times.map((t) => t.toFixed(3)).join(' | ')} | ${(times[0] / times[times.length - 1]).toFixed(2)}× |`);
}
console.log(`load after: ${execSync('uptime').toString().trim()}`);

// Small networks' staged steps (batch 100, d-h-10 sigmoid), 1 thread against 2 made to share
// every pass (minimumSharedWork 0): where sharing starts to pay.
console.log('\n| staged step of a d-h-10 network, batch 100 | forward multiply-adds | 1 thread (ms) | shared by 2 (ms) | speed-up |');
console.log('|---|---:|---:|---:|---:|');
for (const [d, h] of [[16, 7], [64, 24], [100, 28], [128, 26], [196, 27], [784, 10]]) {
  const times = [];
  for (const [threads, minimumSharedWork] of [[1, undefined], [counts[1], 0]] as const) {
    const runtime = await createRuntime('auto', { threads, minimumSharedWork });
    const net = new Network(runtime, { input: d, layers: [dense(h), sigmoid(), dense(10)] });
    const set = randomSet(100, d, 10);
    const plan = planOf(net);
    const { input, targets } = plan.workspace(100);
    new Float32Array(runtime.arena.memory.buffer, input, set.inputs.length).set(set.inputs);
    new Int32Array(runtime.arena.memory.buffer, targets, set.targets.length).set(set.targets);
    const { trainStep } = runtime.kernels.exports;
    times.push(best(() => timed(() => { for (let i = 0; i < 300; i++) trainStep(plan.offset, input, targets, 100, 0.1); }) / 300));
    net.dispose();
    runtime.dispose();
  }
  console.log(`| ${d}-${h}-10 | ${(100 * h * (d + 10)).toExponential(1)} | ${times[0].toFixed(4)} | ${times[1].toFixed(4)} | ${(times[0] / times[1]).toFixed(2)}× |`);
}

// Each thread's half of a forward product alone, on one thread: by rows (gemmNN on half of A's
// rows: every thread packs all of B) or by columns (gemmNNColumns on half of C's columns, cut at
// a multiple of 8 as the layer cuts them: each packs its half of B). The full product's time over
// the slower half's is the speed-up two threads could reach that way.
console.log('\n| one thread\'s half of m×k·k×n | full (ms) | by rows | by columns |');
console.log('|---|---:|---:|---:|');
const single = await createRuntime('auto', { threads: 1 });
for (const [m, k, n] of [[64, 784, 128], [100, 128, 256], [128, 784, 128], [256, 784, 128], [100, 784, 100]]) {
  const { arena, kernels } = single;
  const [a, b, c] = [m * k, k * n, m * n].map((floats) => arena.alloc(floats * 4));
  const random = new Random(2);
  new Float32Array(arena.memory.buffer, a, m * k).forEach((_, i, v) => (v[i] = random.uniform()));
  new Float32Array(arena.memory.buffer, b, k * n).forEach((_, i, v) => (v[i] = random.uniform()));
  const { gemmNN, gemmNNColumns } = kernels.exports;
  const half = m >> 1;
  const columns = Math.round(n / 16) * 8;
  const calls = 50;
  const time = (product: () => void) => best(() => timed(() => { for (let i = 0; i < calls; i++) product(); }) / calls);
  const full = time(() => gemmNN(c, a, b, m, n, k, false));
  const rows = Math.max(
    time(() => gemmNN(c, a, b, half, n, k, false)),
    time(() => gemmNN(c + half * n * 4, a + half * k * 4, b, m - half, n, k, false)),
  );
  const cols = Math.max(
    time(() => gemmNNColumns(c, a, b, m, n, k, 0, columns, false)),
    time(() => gemmNNColumns(c, a, b, m, n, k, columns, n, false)),
  );
  console.log(`| ${m}×${k}·${k}×${n} | ${full.toFixed(3)} | ${(full / rows).toFixed(2)}× | ${(full / cols).toFixed(2)}× (columns ${columns} + ${n - columns}) |`);
  for (const at of [a, b, c]) arena.release(at);
}
single.dispose();

// The spin: the process's CPU time over a quiet 100 ms after one pass, beyond the calling
// thread's own (which sleeps): what the waiting workers burn before they fall asleep.
const pool = await createRuntime('auto', { threads: counts[1] });
const net = new Network(pool, { input: 784, layers: [dense(128), sigmoid(), dense(10)] });
const batch = randomSet(100, 784, 10);
net.gradient(batch.inputs, Int32Array.from(batch.targets));
const before = process.cpuUsage();
await new Promise((done) => setTimeout(done, 100));
const after = process.cpuUsage(before);
console.log(`\nspin after a pass, ${counts[1]} threads on ${cpus().length} cores: ${((after.user + after.system) / 1000).toFixed(1)} ms of CPU in the 100 ms after it`);
net.dispose();
pool.dispose();
