// The training side of the demo: owns the network and the dataset, trains with trainAsync so
// that pause, stop and predict messages are answered between steps.
import {
  encodeModel, fetchMnist, modelFromBytes, sharedRuntime, trainAsync, TwoLayerNet,
  type Activation, type MLP, type Mnist, type Runtime,
} from 'simdnet';

export interface StartOptions {
  hidden: number;
  activation: Activation;
  learningRate: number;
  batchSize: number;
  iterations: number;
  seed: number;
  /** The folder holding the gzipped MNIST files, resolved by the page (mnist/ next to it). */
  mnistUrl: string;
}

export type Request =
  | { type: 'start'; options: StartOptions }
  | { type: 'pause' } | { type: 'resume' } | { type: 'stop' }
  | { type: 'predict'; pixels: Float32Array }
  | { type: 'save' }
  | { type: 'load'; bytes: Uint8Array };

const post = (message: unknown, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

let runtime: Runtime | undefined;
let mnist: Promise<Mnist> | undefined;
let net: MLP | undefined;
let stopRequested = false;
let pause: { promise: Promise<void>; release: () => void } | undefined;

async function start(options: StartOptions): Promise<void> {
  runtime ??= await sharedRuntime();
  mnist ??= fetchMnist(options.mnistUrl, { suffix: '.gz' });
  mnist.catch(() => (mnist = undefined)); // a failed download is retried by the next Train
  post({ type: 'status', text: 'loading MNIST…' });
  const data = await mnist;
  net?.dispose();
  net = new TwoLayerNet(runtime, {
    inputSize: 784, hiddenSize: options.hidden, outputSize: 10, activation: options.activation, seed: options.seed,
  });
  stopRequested = false;
  let lastPost = 0;
  let stepStarted = performance.now();
  let stepsSince = 0;
  const history = await trainAsync(net, data, {
    iterations: options.iterations, batchSize: options.batchSize, learningRate: options.learningRate, seed: options.seed,
    yieldEvery: 50,
    onStep: (iteration, loss) => {
      stepsSince++;
      const now = performance.now();
      if (now - lastPost < 100) return;
      // Wall time per step since the last report, evaluations and pauses included.
      const msPerIteration = (now - stepStarted) / stepsSince;
      lastPost = stepStarted = now;
      stepsSince = 0;
      post({ type: 'progress', iteration, total: options.iterations, loss, msPerIteration });
    },
    onEvaluation: (record) => post({ type: 'evaluation', record }),
    control: async () => {
      if (pause) await pause.promise;
      return !stopRequested;
    },
  });
  post({
    type: 'done', iterations: history.iterations, seconds: history.seconds, msPerIteration: history.msPerIteration,
    final: history.final,
  });
}

self.onmessage = async (event: MessageEvent<Request>) => {
  const request = event.data;
  try {
    switch (request.type) {
      case 'start':
        await start(request.options);
        break;
      case 'pause':
        if (!pause) {
          let release = () => {};
          const promise = new Promise<void>((resolve) => (release = resolve));
          pause = { promise, release };
        }
        break;
      case 'resume':
        pause?.release();
        pause = undefined;
        break;
      case 'stop':
        stopRequested = true;
        pause?.release();
        pause = undefined;
        break;
      case 'predict':
        if (net) post({ type: 'prediction', probabilities: net.predict(request.pixels) });
        break;
      case 'save':
        if (net) {
          const bytes = encodeModel(net);
          post({ type: 'saved', bytes }, [bytes.buffer]);
        }
        break;
      case 'load':
        runtime ??= await sharedRuntime();
        net?.dispose();
        net = modelFromBytes(runtime, request.bytes, 'uploaded model');
        post({ type: 'loaded', sizes: net.sizes, activations: net.activations });
        break;
    }
  } catch (error) {
    post({ type: 'error', message: (error as Error).message });
  }
};

sharedRuntime().then((r) => {
  runtime = r;
  post({ type: 'ready', build: r.kernels.build });
}, (error) => post({ type: 'error', message: (error as Error).message }));
