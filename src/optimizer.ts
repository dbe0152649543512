// Optimizer settings, named and defaulted as torch.optim names them. The update itself runs in
// wasm (assembly/optim.ts) over the whole parameter block; the learning rate is given per step,
// so a schedule is just a different number each step.
import { ShapeError, ValueError } from './errors.js';
import type { Runtime } from './runtime.js';

/** Every optimizer can clip gradients by their global norm first (clip_grad_norm_). */
interface Clipping {
  /** Scale the gradients down when their global L2 norm exceeds this (default: no clipping). */
  maxGradNorm?: number;
}

export type OptimizerOptions = Clipping & (
  | { type: 'sgd'; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { type: 'adam' | 'adamw'; betas?: [number, number]; eps?: number; weightDecay?: number }
  | { type: 'rmsprop'; alpha?: number; eps?: number; weightDecay?: number; momentum?: number }
  | { type: 'adagrad'; lrDecay?: number; eps?: number; weightDecay?: number; initialAccumulatorValue?: number }
);

export type OptimizerType = OptimizerOptions['type'];
export const OPTIMIZERS: readonly OptimizerType[] = ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'];

/** Every field filled in with PyTorch's defaults (AdamW's weight decay is 0.01; Adagrad's eps 1e-10). */
export interface ResolvedOptimizer {
  type: OptimizerType;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  alpha: number;
  lrDecay: number;
  initialAccumulatorValue: number;
  /** 0: no clipping. */
  maxGradNorm: number;
}

/** How many state buffers (each the parameter block's size) the optimizer keeps. */
export function stateBuffers(type: OptimizerType): number {
  return type === 'sgd' || type === 'adagrad' ? 1 : 2;
}

export function resolveOptimizer(options: OptimizerOptions): ResolvedOptimizer {
  if (!options || !OPTIMIZERS.includes(options.type)) {
    throw new ValueError(`unknown optimizer '${(options as { type?: unknown })?.type}': expected ${OPTIMIZERS.join(', ')}`);
  }
  const o = options as Partial<ResolvedOptimizer> & { type: OptimizerType };
  const type = o.type;
  const resolved: ResolvedOptimizer = {
    type,
    momentum: type === 'sgd' || type === 'rmsprop' ? o.momentum ?? 0 : 0,
    nesterov: type === 'sgd' ? o.nesterov ?? false : false,
    weightDecay: o.weightDecay ?? (type === 'adamw' ? 0.01 : 0),
    betas: type === 'adam' || type === 'adamw' ? o.betas ?? [0.9, 0.999] : [0.9, 0.999],
    eps: type === 'sgd' ? 1e-8 : o.eps ?? (type === 'adagrad' ? 1e-10 : 1e-8),
    alpha: type === 'rmsprop' ? o.alpha ?? 0.99 : 0.99,
    lrDecay: type === 'adagrad' ? o.lrDecay ?? 0 : 0,
    initialAccumulatorValue: type === 'adagrad' ? o.initialAccumulatorValue ?? 0 : 0,
    maxGradNorm: o.maxGradNorm ?? 0,
  };
  const inRange = (name: string, value: number, ok: boolean) => {
    if (!Number.isFinite(value) || !ok) throw new ValueError(`${name} is ${value}: out of range for ${resolved.type}`);
  };
  inRange('momentum', resolved.momentum, resolved.momentum >= 0 && resolved.momentum < 1);
  inRange('weightDecay', resolved.weightDecay, resolved.weightDecay >= 0);
  inRange('betas[0]', resolved.betas[0], resolved.betas[0] >= 0 && resolved.betas[0] < 1);
  inRange('betas[1]', resolved.betas[1], resolved.betas[1] >= 0 && resolved.betas[1] < 1);
  inRange('eps', resolved.eps, resolved.eps > 0);
  inRange('alpha', resolved.alpha, resolved.alpha >= 0 && resolved.alpha < 1);
  inRange('lrDecay', resolved.lrDecay, resolved.lrDecay >= 0);
  inRange('initialAccumulatorValue', resolved.initialAccumulatorValue, resolved.initialAccumulatorValue >= 0);
  inRange('maxGradNorm', resolved.maxGradNorm, resolved.maxGradNorm >= 0);
  if (resolved.nesterov && resolved.momentum === 0) throw new ValueError('nesterov momentum needs momentum > 0');
  return resolved;
}

/**
 * An optimizer's memory in wasm: its record of f64 slots (assembly/optim.ts: kind,
 * hyperparameters, step count, state pointers) and its state buffers, which mirror the
 * parameter block. The network's plan points at the record; the training step updates it.
 */
export class OptimizerRecord {
  readonly offset: number;
  private readonly state: number[];

  constructor(
    private readonly runtime: Runtime,
    readonly options: ResolvedOptimizer,
    private readonly paramFloats: number,
  ) {
    const { arena, kernels } = runtime;
    const layout = kernels.layout;
    this.offset = arena.alloc(layout.OPT_SLOTS * 8);
    this.state = [];
    for (let b = 0; b < stateBuffers(options.type); b++) this.state.push(arena.alloc(paramFloats * 4));
    if (options.initialAccumulatorValue !== 0) {
      new Float32Array(arena.memory.buffer, this.state[0], paramFloats).fill(options.initialAccumulatorValue);
    }
    const slots = this.slots();
    slots[layout.OPT_KIND] = {
      sgd: layout.OPTIMIZER_SGD, adam: layout.OPTIMIZER_ADAM, adamw: layout.OPTIMIZER_ADAM,
      rmsprop: layout.OPTIMIZER_RMSPROP, adagrad: layout.OPTIMIZER_ADAGRAD,
    }[options.type];
    slots[layout.OPT_MOMENTUM] = options.momentum;
    slots[layout.OPT_NESTEROV] = options.nesterov ? 1 : 0;
    slots[layout.OPT_WEIGHT_DECAY] = options.weightDecay;
    slots[layout.OPT_BETA1] = options.betas[0];
    slots[layout.OPT_BETA2] = options.betas[1];
    slots[layout.OPT_EPS] = options.eps;
    slots[layout.OPT_DECOUPLED] = options.type === 'adamw' ? 1 : 0;
    slots[layout.OPT_ALPHA] = options.alpha;
    slots[layout.OPT_LR_DECAY] = options.lrDecay;
    slots[layout.OPT_MAX_GRAD_NORM] = options.maxGradNorm;
    slots[layout.OPT_STEP] = 0;
    slots[layout.OPT_STATE1] = this.state[0];
    slots[layout.OPT_STATE2] = this.state[1] ?? 0;
  }

  /** Steps taken so far. */
  get step(): number {
    return this.slots()[this.runtime.kernels.layout.OPT_STEP];
  }

  /** Copies of the state buffers (momentum buffer; Adam's two moments). */
  stateCopies(): Float32Array[] {
    return this.state.map((at) => new Float32Array(this.runtime.arena.memory.buffer, at, this.paramFloats).slice());
  }

  /** Sets the step count and state, checked first: finite values, Adam's second moment ≥ 0. */
  restore(step: number, state: Float32Array[]): void {
    if (!Number.isSafeInteger(step) || step < 0) throw new ValueError(`optimizer step is ${step}: must be an integer >= 0`);
    if (state.length !== this.state.length || state.some((s) => s.length !== this.paramFloats)) {
      throw new ShapeError(`optimizer state does not fit ${this.options.type} on this network (${this.state.length} buffers of ${this.paramFloats} floats)`);
    }
    state.forEach((values, b) => {
      for (let i = 0; i < values.length; i++) {
        const squares = this.holdsSquares(b);
        if (!Number.isFinite(values[i]) || (squares && values[i] < 0)) {
          throw new ValueError(`optimizer state ${b + 1}[${i}] is ${values[i]}: must be finite${squares ? ' and >= 0' : ''}`);
        }
      }
    });
    const buffer = this.runtime.arena.memory.buffer;
    this.state.forEach((at, b) => new Float32Array(buffer, at, this.paramFloats).set(state[b]));
    this.slots()[this.runtime.kernels.layout.OPT_STEP] = step;
  }

  /** Whether state buffer b holds running squares, which are never negative. */
  private holdsSquares(b: number): boolean {
    const type = this.options.type;
    return ((type === 'adam' || type === 'adamw') && b === 1) || ((type === 'rmsprop' || type === 'adagrad') && b === 0);
  }

  release(): void {
    const { arena } = this.runtime;
    arena.release(this.offset);
    for (const at of this.state) arena.release(at);
  }

  private slots(): Float64Array {
    return new Float64Array(this.runtime.arena.memory.buffer, this.offset, this.runtime.kernels.layout.OPT_SLOTS);
  }
}
