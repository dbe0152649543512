// Optimizer settings, named and defaulted as torch.optim names them. The update itself runs in
// wasm (assembly/optim.ts) over the whole parameter block; the learning rate is given per step,
// so a schedule is just a different number each step.
import { ShapeError, ValueError } from './errors.js';
import type { Runtime } from './runtime.js';

export type OptimizerOptions =
  | { type: 'sgd'; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { type: 'adam' | 'adamw'; betas?: [number, number]; eps?: number; weightDecay?: number };

export type OptimizerType = OptimizerOptions['type'];
export const OPTIMIZERS: readonly OptimizerType[] = ['sgd', 'adam', 'adamw'];

/** Every field filled in with PyTorch's defaults (AdamW's weight decay is 0.01). */
export interface ResolvedOptimizer {
  type: OptimizerType;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  betas: [number, number];
  eps: number;
}

export function resolveOptimizer(options: OptimizerOptions): ResolvedOptimizer {
  if (!options || !OPTIMIZERS.includes(options.type)) {
    throw new ValueError(`unknown optimizer '${(options as { type?: unknown })?.type}': expected ${OPTIMIZERS.join(', ')}`);
  }
  const resolved: ResolvedOptimizer = {
    type: options.type,
    momentum: options.type === 'sgd' ? options.momentum ?? 0 : 0,
    nesterov: options.type === 'sgd' ? options.nesterov ?? false : false,
    weightDecay: options.weightDecay ?? (options.type === 'adamw' ? 0.01 : 0),
    betas: options.type !== 'sgd' ? options.betas ?? [0.9, 0.999] : [0.9, 0.999],
    eps: options.type !== 'sgd' ? options.eps ?? 1e-8 : 1e-8,
  };
  const inRange = (name: string, value: number, ok: boolean) => {
    if (!Number.isFinite(value) || !ok) throw new ValueError(`${name} is ${value}: out of range for ${resolved.type}`);
  };
  inRange('momentum', resolved.momentum, resolved.momentum >= 0 && resolved.momentum < 1);
  inRange('weightDecay', resolved.weightDecay, resolved.weightDecay >= 0);
  inRange('betas[0]', resolved.betas[0], resolved.betas[0] >= 0 && resolved.betas[0] < 1);
  inRange('betas[1]', resolved.betas[1], resolved.betas[1] >= 0 && resolved.betas[1] < 1);
  inRange('eps', resolved.eps, resolved.eps > 0);
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
    this.state = [arena.alloc(paramFloats * 4)];
    if (options.type !== 'sgd') this.state.push(arena.alloc(paramFloats * 4));
    const slots = this.slots();
    slots[layout.OPT_KIND] = options.type === 'sgd' ? layout.OPTIMIZER_SGD : layout.OPTIMIZER_ADAM;
    slots[layout.OPT_MOMENTUM] = options.momentum;
    slots[layout.OPT_NESTEROV] = options.nesterov ? 1 : 0;
    slots[layout.OPT_WEIGHT_DECAY] = options.weightDecay;
    slots[layout.OPT_BETA1] = options.betas[0];
    slots[layout.OPT_BETA2] = options.betas[1];
    slots[layout.OPT_EPS] = options.eps;
    slots[layout.OPT_DECOUPLED] = options.type === 'adamw' ? 1 : 0;
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
        if (!Number.isFinite(values[i]) || (b === 1 && values[i] < 0)) {
          throw new ValueError(`optimizer state ${b + 1}[${i}] is ${values[i]}: must be finite${b === 1 ? ' and >= 0' : ''}`);
        }
      }
    });
    const buffer = this.runtime.arena.memory.buffer;
    this.state.forEach((at, b) => new Float32Array(buffer, at, this.paramFloats).set(state[b]));
    this.slots()[this.runtime.kernels.layout.OPT_STEP] = step;
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
