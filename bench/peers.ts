// What a user would pick instead of simdnet, doing the same work: a plain TypeScript triple
// loop, and TensorFlow.js on its WebAssembly backend (XNNPACK, SIMD, one thread), written the
// way its users write it.
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export type Layout = 'NN' | 'TN' | 'NT';

/** C[M×N] = op(A)·op(B), the obvious loops, as the references' np.dot would be without BLAS. */
export function naiveGemm(layout: Layout, a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const av = layout === 'TN' ? a[p * m + i] : a[i * k + p];
        const bv = layout === 'NT' ? b[j * k + p] : b[p * n + j];
        sum += av * bv;
      }
      c[i * n + j] = sum;
    }
  }
}

export async function initTfjs(): Promise<string> {
  setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  return `tfjs ${tf.version.tfjs} ${tf.getBackend()} (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, 1 thread)`;
}

/** A tfjs matMul on resident tensors of the same shapes; returns the function to time. */
export function tfjsGemm(layout: Layout, m: number, n: number, k: number): { run: () => void; dispose: () => void } {
  const a = tf.randomNormal(layout === 'TN' ? [k, m] : [m, k]);
  const b = tf.randomNormal(layout === 'NT' ? [n, k] : [k, n]);
  return {
    run: () => tf.matMul(a, b, layout === 'TN', layout === 'NT').dispose(),
    dispose: () => {
      a.dispose();
      b.dispose();
    },
  };
}

/** The same MLP as simdnet's, trained with variables + optimizer.minimize on one-hot batches. */
export function tfjsTrainer(sizes: number[], activation: 'sigmoid' | 'relu', learningRate: number) {
  const weights: tf.Variable[] = [];
  const biases: tf.Variable[] = [];
  for (let l = 0; l < sizes.length - 1; l++) {
    weights.push(tf.variable(tf.randomNormal([sizes[l], sizes[l + 1]], 0, 0.01)));
    biases.push(tf.variable(tf.zeros([sizes[l + 1]])));
  }
  const optimizer = tf.train.sgd(learningRate);
  const classes = sizes[sizes.length - 1];
  return {
    step(images: Float32Array, labels: Uint8Array, rows: number): number {
      const x = tf.tensor2d(images, [rows, sizes[0]]);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), classes));
      const cost = optimizer.minimize(() => {
        let h: tf.Tensor = x;
        weights.forEach((w, l) => {
          h = h.matMul(w).add(biases[l]);
          if (l < weights.length - 1) h = activation === 'sigmoid' ? tf.sigmoid(h) : tf.relu(h);
        });
        return tf.losses.softmaxCrossEntropy(y, h) as tf.Scalar;
      }, true)!;
      const value = cost.dataSync()[0];
      tf.dispose([x, y, cost]);
      return value;
    },
    dispose() {
      tf.dispose([...weights, ...biases]);
      optimizer.dispose();
    },
  };
}

/**
 * LeNet-5 as simdnet's --model lenet5 (conv 6@5×5 pad 2, relu, maxpool 2, conv 16@5×5, relu,
 * maxpool 2, dense 120, 84, 10), in tfjs's own NHWC layout, trained with variables +
 * optimizer.minimize and plain SGD on one-hot batches, on whichever backend is active.
 */
export function tfjsLenet5Trainer(learningRate: number) {
  const he = (shape: number[], fanIn: number) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn)));
  const filters = [he([5, 5, 1, 6], 25), he([5, 5, 6, 16], 150)];
  const filterBiases = [tf.variable(tf.zeros([6])), tf.variable(tf.zeros([16]))];
  const sizes = [400, 120, 84, 10];
  const weights = sizes.slice(1).map((units, l) => he([sizes[l], units], sizes[l]));
  const biases = sizes.slice(1).map((units) => tf.variable(tf.zeros([units])));
  const optimizer = tf.train.sgd(learningRate);
  return {
    step(images: Float32Array, labels: Uint8Array, rows: number): number {
      const x = tf.tensor4d(images, [rows, 28, 28, 1]);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), 10));
      const cost = optimizer.minimize(() => {
        let h: tf.Tensor4D = x;
        filters.forEach((w, l) => {
          h = tf.maxPool(tf.relu(tf.conv2d(h, w as tf.Tensor4D, 1, l === 0 ? 'same' : 'valid').add(filterBiases[l])), 2, 2, 'valid');
        });
        let z: tf.Tensor = h.reshape([rows, 400]);
        weights.forEach((w, l) => {
          z = z.matMul(w).add(biases[l]);
          if (l < weights.length - 1) z = tf.relu(z);
        });
        return tf.losses.softmaxCrossEntropy(y, z) as tf.Scalar;
      }, true)!;
      const value = cost.dataSync()[0];
      tf.dispose([x, y, cost]);
      return value;
    },
    dispose() {
      tf.dispose([...filters, ...filterBiases, ...weights, ...biases]);
      optimizer.dispose();
    },
  };
}

/** tfjs's conv2d forward on resident NHWC tensors of one LeNet-5 convolution's shapes. */
export function tfjsConv2d(rows: number, [channels, height, width]: number[], out: number, kernel: number, padding: 'same' | 'valid') {
  const x = tf.randomNormal([rows, height, width, channels]) as tf.Tensor4D;
  const w = tf.randomNormal([kernel, kernel, channels, out]) as tf.Tensor4D;
  return {
    run: () => tf.conv2d(x, w, 1, padding).dispose(),
    dispose: () => tf.dispose([x, w]),
  };
}

/** Makes `name` the active tfjs backend (wasm stays single-threaded, as initTfjs set it). */
export async function useTfjsBackend(name: 'wasm' | 'cpu'): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
}
