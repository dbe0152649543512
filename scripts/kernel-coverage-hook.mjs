// Which kernel functions a test file runs, for scripts/mutate-kernels.mjs: loaded into every
// process of a coverage run (NODE_OPTIONS=--import), it notes each instance of a kernel build
// whose functions were instrumented to set a byte each when they run (the script's coverage
// build exports where those bytes are, __KERNEL_COVERAGE), and when the process ends it writes
// the numbers of the functions whose byte is set, with the test file the run is of
// (KERNEL_COVERAGE_TEST), to a file of its own in KERNEL_COVERAGE_DIR. Instances over one
// shared memory (a thread pool's) share the bytes too.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

const dir = process.env.KERNEL_COVERAGE_DIR;
const seen = [];

function note(instance, imports) {
  const at = instance?.exports?.__KERNEL_COVERAGE;
  const memory = instance?.exports?.memory ?? imports?.env?.memory;
  if (at instanceof WebAssembly.Global && memory instanceof WebAssembly.Memory) seen.push({ at: at.value, memory });
}

const instantiate = WebAssembly.instantiate;
WebAssembly.instantiate = async function (source, imports) {
  const result = await instantiate.call(this, source, imports);
  note(result instanceof WebAssembly.Instance ? result : result.instance, imports);
  return result;
};
const { instantiateStreaming } = WebAssembly;
if (instantiateStreaming) {
  WebAssembly.instantiateStreaming = async function (source, imports) {
    const result = await instantiateStreaming.call(this, source, imports);
    note(result.instance, imports);
    return result;
  };
}
const Instance = WebAssembly.Instance;
WebAssembly.Instance = new Proxy(Instance, {
  construct(target, args, newTarget) {
    const instance = Reflect.construct(target, args, newTarget);
    note(instance, args[1]);
    return instance;
  },
});

function write() {
  if (!dir || seen.length === 0) return;
  const units = new Set();
  for (const { at, memory } of seen) {
    const bytes = new Uint8Array(memory.buffer, at, Number(process.env.KERNEL_COVERAGE_UNITS));
    bytes.forEach((hit, unit) => hit && units.add(unit));
  }
  seen.length = 0;
  writeFileSync(join(dir, `${process.pid}-${threadId}-${Date.now()}.json`), JSON.stringify({ test: process.env.KERNEL_COVERAGE_TEST, units: [...units] }));
}
process.on('exit', write);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    write();
    process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
  });
}
