// A runtime is one instance of the kernel module plus the arena over its memory. Networks and
// datasets that share a runtime share that memory, so a network can train on a dataset that is
// already resident without copying it again.
import { Arena } from './arena.js';
import { chooseGemmTile } from './gemm-tile.js';
import { loadKernels, type KernelBuildChoice, type Kernels } from './wasm.js';

export interface Runtime {
  readonly kernels: Kernels;
  readonly arena: Arena;
}

export async function createRuntime(build: KernelBuildChoice = 'auto'): Promise<Runtime> {
  const kernels = await loadKernels(build);
  const runtime = { kernels, arena: new Arena(kernels.exports.memory, kernels.exports.heapBase()) };
  chooseGemmTile(runtime);
  return runtime;
}

const shared = new Map<KernelBuildChoice, Promise<Runtime>>();

/** The process-wide runtime for a build choice, created on first use. */
export function sharedRuntime(build: KernelBuildChoice = 'auto'): Promise<Runtime> {
  let runtime = shared.get(build);
  if (!runtime) {
    runtime = createRuntime(build);
    shared.set(build, runtime);
  }
  return runtime;
}
