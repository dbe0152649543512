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
