// torch.optim's update rules written out in float64, straight from PyTorch's documented
// algorithms (SGD with momentum, dampening 0, Nesterov and L2 weight decay; Adam with L2 weight
// decay; AdamW with decoupled decay; RMSprop, not centered, with momentum; Adagrad with its
// learning-rate decay and initial accumulator), each after torch.nn.utils.clip_grad_norm_ when
// maxGradNorm is set, over one flat parameter vector. It shares nothing with simdnet's wasm
// optimizers, so tests can check those update by update.
import type { ResolvedOptimizer } from '../../src/optimizer.js';

export class ReferenceOptimizer {
  private step = 0;
  /** SGD: the momentum buffer (absent until the first step, as in torch); Adam: exp_avg; RMSprop: its momentum buffer. */
  private first: Float64Array | undefined;
  /** Adam: exp_avg_sq; RMSprop: square_avg; Adagrad: sum. */
  private readonly second: Float64Array;

  constructor(private readonly options: ResolvedOptimizer, count: number) {
    this.second = new Float64Array(count).fill(options.type === 'adagrad' ? options.initialAccumulatorValue : 0);
    if (options.type !== 'sgd') this.first = new Float64Array(count);
  }

  /** One update of `params` in place from `grads` at learning rate lr. */
  update(params: Float64Array, grads: ArrayLike<number>, lr: number): void {
    this.step++;
    const clipped = this.clipped(grads);
    if (this.options.type === 'sgd') this.sgd(params, clipped, lr);
    else if (this.options.type === 'rmsprop') this.rmsprop(params, clipped, lr);
    else if (this.options.type === 'adagrad') this.adagrad(params, clipped, lr);
    else this.adam(params, clipped, lr);
  }

  /** clip_grad_norm_: scaled by max/(‖g‖₂ + 1e-6) when that is below 1. */
  private clipped(grads: ArrayLike<number>): ArrayLike<number> {
    const { maxGradNorm } = this.options;
    if (maxGradNorm === 0) return grads;
    let squares = 0;
    for (let i = 0; i < grads.length; i++) squares += grads[i] ** 2;
    const coefficient = maxGradNorm / (Math.sqrt(squares) + 1e-6);
    return coefficient < 1 ? Float64Array.from(grads, (g) => g * coefficient) : grads;
  }

  private rmsprop(params: Float64Array, grads: ArrayLike<number>, lr: number): void {
    const { alpha, eps, weightDecay, momentum } = this.options;
    const buffer = this.first!;
    const squareAverage = this.second;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i] + weightDecay * params[i];
      squareAverage[i] = alpha * squareAverage[i] + (1 - alpha) * g * g;
      const average = Math.sqrt(squareAverage[i]) + eps;
      if (momentum !== 0) {
        buffer[i] = momentum * buffer[i] + g / average;
        params[i] -= lr * buffer[i];
      } else {
        params[i] -= (lr * g) / average;
      }
    }
  }

  private adagrad(params: Float64Array, grads: ArrayLike<number>, lr: number): void {
    const { eps, weightDecay, lrDecay } = this.options;
    const sum = this.second;
    const clr = lr / (1 + (this.step - 1) * lrDecay);
    for (let i = 0; i < params.length; i++) {
      const g = grads[i] + weightDecay * params[i];
      sum[i] += g * g;
      params[i] -= (clr * g) / (Math.sqrt(sum[i]) + eps);
    }
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
