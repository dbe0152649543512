// The cross-runtime check, shared by the page (with the bundled library) and the Node side of
// the browser test (with the sources): a seeded network, a seeded batch, N steps, and the bits
// of every parameter afterwards.
import type { createRuntime as CreateRuntime, KernelBuild, Random as RandomClass, TwoLayerNet as Net } from '../src/index.js';

export interface Library {
  createRuntime: typeof CreateRuntime;
  Random: typeof RandomClass;
  TwoLayerNet: typeof Net;
}

export async function parameterBitsAfterSteps(lib: Library, build: KernelBuild, steps: number): Promise<number[]> {
  const runtime = await lib.createRuntime(build);
  const net = new lib.TwoLayerNet(runtime, { inputSize: 784, hiddenSize: 32, outputSize: 10, seed: 7 });
  const random = new lib.Random(1);
  const x = Float32Array.from({ length: 64 * 784 }, () => random.uniform());
  const t = Int32Array.from({ length: 64 }, (_, i) => i % 10);
  for (let i = 0; i < steps; i++) net.trainStep(x, t, 0.1);
  const bits = net.paramNames.flatMap((name) => Array.from(new Uint32Array(net.params[name].slice().buffer)));
  net.dispose();
  return bits;
}
