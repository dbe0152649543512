// Optimizer settings, named and defaulted as torch.optim names them. The update itself runs in
// wasm (assembly/optim.ts) over the whole parameter block; the learning rate is given per step,
// so a schedule is just a different number each step.
import { ValueError } from './errors.js';

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
