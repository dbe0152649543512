// torch.optim's update rules written out in float64, straight from PyTorch's documented
// algorithms (SGD with momentum, dampening 0, Nesterov and L2 weight decay; Adam with L2 weight
// decay; AdamW with decoupled decay), over one flat parameter vector. It shares nothing with
// simdnet's wasm optimizers, so tests can check those update by update.
import type { ResolvedOptimizer } from '../../src/optimizer.js';

export class ReferenceOptimizer {
  private step = 0;
  /** SGD: the momentum buffer (absent until the first step, as in torch); Adam: exp_avg. */
  private first: Float64Array | undefined;
  /** Adam: exp_avg_sq. */
  private readonly second: Float64Array;

  constructor(private readonly options: ResolvedOptimizer, count: number) {
    this.second = new Float64Array(count);
    if (options.type !== 'sgd') this.first = new Float64Array(count);
  }

  /** One update of `params` in place from `grads` at learning rate lr. */
  update(params: Float64Array, grads: ArrayLike<number>, lr: number): void {
    this.step++;
    if (this.options.type === 'sgd') this.sgd(params, grads, lr);
    else this.adam(params, grads, lr);
  }

  private sgd(params: Float64Array, grads: ArrayLike<number>, lr: number): void {
    const { momentum, nesterov, weightDecay } = this.options;
    const firstStep = this.first === undefined;
    if (momentum !== 0 && firstStep) this.first = new Float64Array(params.length);
    for (let i = 0; i < params.length; i++) {
      let g = grads[i] + weightDecay * params[i];
      if (momentum !== 0) {
        const buffer = firstStep ? g : momentum * this.first![i] + g;
        this.first![i] = buffer;
        g = nesterov ? g + momentum * buffer : buffer;
      }
      params[i] -= lr * g;
    }
  }

  private adam(params: Float64Array, grads: ArrayLike<number>, lr: number): void {
    const { betas: [beta1, beta2], eps, weightDecay, type } = this.options;
    const m = this.first!;
    const v = this.second;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    for (let i = 0; i < params.length; i++) {
      let g = grads[i];
      if (type === 'adamw') params[i] *= 1 - lr * weightDecay;
      else g += weightDecay * params[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      const mHat = m[i] / correction1;
      const vHat = v[i] / correction2;
      params[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  }
}
