// The training side of the demo: owns the network and the dataset, trains with trainAsync so
// that pause, stop and predict messages are answered between steps. A new network (from the
// form or from a file) replaces the current one only once it exists and training has begun:
// a failure keeps the network the page already has.
import {
  ACTIVATIONS, encodeModel, fetchMnist, formatLayers, lenet5, LENET5_INPUT_SHAPE, MLP, modelFromBytes, Network,
  sharedRuntime, trainAsync, TwoLayerNet, type Activation, type EvaluationRecord, type Mnist, type Runtime,
} from 'simdnet';

/** The networks the page trains: the classic two-layer one, or the LeNet-5 convolutional one. */
export type Model = 'two-layer' | 'lenet5';

export interface StartOptions {
  model: Model;
  /** The two-layer network's hidden units (LeNet-5 has its own layers). */
  hidden: number;
  activation: Activation;
  optimizer: 'sgd' | 'adam';
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
  | { type: 'load'; bytes: Uint8Array; mnistUrl: string };

/**
 * The first layer's weights (params.W1): a dense layer's [784 × units], or a convolution's
 * filters [filters × 1 × kernel height × kernel width].
 */
export type FirstLayer =
  | { kind: 'dense'; weights: Float32Array; units: number }
  | { kind: 'conv2d'; weights: Float32Array; filters: number; kernel: [number, number] };

/** What the network has learned, computed on the test set after training or loading. */
export interface Insights {
  firstLayer: FirstLayer;
  /** confusion[true * 10 + predicted], over the whole test set. */
  confusion: Int32Array;
  /** The first GALLERY test images, [GALLERY × 784] in [0,1], with labels and predictions. */
  images: Float32Array;
  labels: Int32Array;
  predictions: Int32Array;
}

export const GALLERY = 40;

const post = (message: unknown, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

let runtime: Runtime | undefined;
let mnist: Promise<Mnist> | undefined;
let net: Network | undefined;
let stopRequested = false;
let pause: { promise: Promise<void>; release: () => void } | undefined;

/** A network as the page names it: "784-100-10 sigmoid", "LeNet-5 relu", or its layer list. */
function describe(network: Network): string {
  if (network instanceof MLP) return `${network.sizes.join('-')} ${network.activations.join('/')}`;
  const preset = ACTIVATIONS.find((act) => JSON.stringify(network.layerSpecs) === JSON.stringify(lenet5(act)));
  return preset ? `LeNet-5 ${preset}` : formatLayers(network.layerSpecs);
}

function loadData(url: string): Promise<Mnist> {
  if (!mnist) {
    post({ type: 'status', text: 'downloading MNIST (11 MB)…' });
    mnist = fetchMnist(url, { suffix: '.gz' });
    mnist.catch(() => (mnist = undefined)); // a failed download is retried next time
  }
  return mnist;
}

function replaceNet(next: Network) {
  if (net !== next) net?.dispose();
  net = next;
}

async function start(options: StartOptions): Promise<void> {
  runtime ??= await sharedRuntime();
  const data = await loadData(options.mnistUrl);
  const candidate = options.model === 'lenet5'
    ? new Network(runtime, { inputShape: LENET5_INPUT_SHAPE, layers: lenet5(options.activation), init: 'pytorch', seed: options.seed })
    : new TwoLayerNet(runtime, {
      inputSize: 784, hiddenSize: options.hidden, outputSize: 10, activation: options.activation, seed: options.seed,
    });
  stopRequested = false;
  // Live speed counts training steps only: the time between two consecutive onStep calls is one
  // step unless an evaluation or a turn of the event loop (messages, a pause) came in between.
  let interrupted = true;
  let lastStep = 0;
  let stepMs = 0;
  let steps = 0;
  let lastPost = 0;
  let losses: number[] = [];
  const flush = (iteration: number) => {
    post({ type: 'progress', iteration, total: options.iterations, losses: Float32Array.from(losses), msPerStep: steps ? stepMs / steps : NaN });
    losses = [];
  };
  try {
    const history = await trainAsync(candidate, data, {
      iterations: options.iterations, batchSize: options.batchSize, learningRate: options.learningRate, seed: options.seed,
      optimizer: { type: options.optimizer },
      yieldEvery: 50,
      onStep: (iteration, loss) => {
        if (iteration === 1) replaceNet(candidate); // the options were valid: this is the network now
        const now = performance.now();
        if (!interrupted) {
          stepMs += now - lastStep;
          steps++;
        }
        interrupted = false;
        lastStep = now;
        losses.push(loss);
        if (now - lastPost >= 100) {
          lastPost = now;
          flush(iteration);
        }
      },
      onEvaluation: (record: EvaluationRecord) => {
        interrupted = true;
        post({ type: 'evaluation', record });
      },
      control: async () => {
        interrupted = true;
        if (pause) await pause.promise;
        return !stopRequested;
      },
    });
    flush(history.iterations);
    post({
      type: 'done', stopped: stopRequested, iterations: history.iterations, total: options.iterations,
      seconds: history.seconds, msPerIteration: history.msPerIteration, final: history.final,
      stepsPerEpoch: Math.ceil(data.train.count / options.batchSize),
    });
    postInsights(data);
  } catch (error) {
    if (net !== candidate) candidate.dispose();
    throw error;
  }
}

function postInsights(data: Mnist) {
  if (!net) return;
  const { test } = data;
  const confusion = new Int32Array(100);
  const batch = 1000;
  const predictions = new Int32Array(test.count);
  for (let start = 0; start < test.count; start += batch) {
    const rows = Math.min(batch, test.count - start);
    const probabilities = net.predict(test.images.subarray(start * 784, (start + rows) * 784));
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (probabilities[r * 10 + k] > probabilities[r * 10 + best]) best = k;
      predictions[start + r] = best;
      confusion[test.labels[start + r] * 10 + best]++;
    }
  }
  const shape = net.paramShape('W1');
  const weights = net.params.W1.slice();
  const firstLayer: FirstLayer = shape.length === 4
    ? { kind: 'conv2d', weights, filters: shape[0], kernel: [shape[2], shape[3]] }
    : { kind: 'dense', weights, units: shape[1] };
  const insights: Insights = {
    firstLayer, confusion,
    images: test.images.slice(0, GALLERY * 784), labels: Int32Array.from(test.labels.subarray(0, GALLERY)),
    predictions: predictions.slice(0, GALLERY),
  };
  post({ type: 'insights', insights }, [weights.buffer, insights.images.buffer]);
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
      case 'load': {
        runtime ??= await sharedRuntime();
        const loaded = modelFromBytes(runtime, request.bytes, 'the model file');
        if (loaded.inputSize !== 784 || loaded.outputSize !== 10) {
          const what = describe(loaded);
          loaded.dispose();
          throw new Error(`the model file holds a ${what} network; this page needs 784 inputs and 10 classes`);
        }
        replaceNet(loaded);
        post({ type: 'loaded', network: describe(loaded) });
        postInsights(await loadData(request.mnistUrl));
        break;
      }
    }
  } catch (error) {
    post({ type: 'error', message: (error as Error).message, haveNet: net !== undefined });
  }
};

sharedRuntime().then((r) => {
  runtime = r;
  post({ type: 'ready', build: r.kernels.build, threads: r.threads });
}, (error) => post({ type: 'error', message: (error as Error).message, haveNet: false }));
