// The settings a checkpoint stores as flags (cli-settings.ts), without training anything: every
// setting written in its canonical form, only the flags that go with it, and a resume's
// conflicting flag described by the group it belongs to.
import { describe, expect, it } from 'vitest';
import { settingConflict, settingsArgs, type RunSettings } from '../src/cli-settings.js';
import { parseLayerList } from '../src/layer-grammar.js';

/** The settings of `simdnet train` with no flags. */
const defaults: RunSettings = {
  sizes: [784, 100, 10], activation: 'sigmoid', init: 'normal', weightStd: 0.01, seed: 0,
  optimizer: { type: 'sgd', momentum: 0, nesterov: false }, learningRate: 0.1, schedule: 'constant',
  gradient: 'backprop', batchSize: 100, iterations: 10000, dropLast: false, validate: false, rawPixels: false,
};
const DEFAULT_ARGS = [
  '--layers', '784,100,10', '--activation', 'sigmoid', '--init', 'normal', '--weight-std', '0.01', '--seed', '0',
  '--optimizer', 'sgd', '--lr', '0.1', '--schedule', 'constant', '--gradient', 'backprop', '--batch', '100', '--iterations', '10000',
];
const with_ = (changes: Partial<RunSettings>): RunSettings => ({ ...defaults, ...changes });

describe('settingsArgs', () => {
  it('the defaults, every group in its fixed order', () => {
    expect(settingsArgs(defaults)).toEqual(DEFAULT_ARGS);
  });

  it('a preset model instead of widths, still with its activation', () => {
    expect(settingsArgs(with_({ model: 'lenet5', activation: 'relu' })).slice(0, 4)).toEqual(['--model', 'lenet5', '--activation', 'relu']);
  });

  it('a layer list in its canonical text, and no --activation (the list names its own)', () => {
    const layerSpecs = parseLayerList('dense(16)   relu dense(10)').map((p) => p.layer);
    expect(settingsArgs(with_({ layerSpecs })).slice(0, 4)).toEqual(['--layers', 'dense(16) relu dense(10)', '--init', 'normal']);
  });

  it('SGD momentum, Nesterov and weight decay, each only when set', () => {
    const args = settingsArgs(with_({ optimizer: { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.001 } }));
    expect(args.slice(10, 17)).toEqual(['--optimizer', 'sgd', '--momentum', '0.9', '--nesterov', '--weight-decay', '0.001']);
    // A weight decay of 0 is a choice too (AdamW's default is 0.01), so it is stored.
    expect(settingsArgs(with_({ optimizer: { type: 'adamw', weightDecay: 0 } })).slice(10, 14)).toEqual(['--optimizer', 'adamw', '--weight-decay', '0']);
  });

  it('--momentum and --nesterov only for SGD: another optimizer\'s momentum is not an SGD flag', () => {
    expect(settingsArgs(with_({ optimizer: { type: 'rmsprop', momentum: 0.5 } })).slice(10, 13)).toEqual(['--optimizer', 'rmsprop', '--lr']);
    const notSgd = { type: 'adam', momentum: 0.5, nesterov: true } as unknown as RunSettings['optimizer'];
    expect(settingsArgs(with_({ optimizer: notSgd })).slice(10, 13)).toEqual(['--optimizer', 'adam', '--lr']);
  });

  it('the numerical step, the evaluation interval, epochs with and without --drop-last', () => {
    expect(settingsArgs(with_({ gradient: 'numerical', numericalStep: 0.001 }))).toEqual(
      expect.arrayContaining(['--gradient', 'numerical', '--numerical-step', '0.001']),
    );
    expect(settingsArgs(with_({ evaluateEvery: 50 })).slice(-4)).toEqual(['--iterations', '10000', '--eval-every', '50']);
    // With epochs, the iteration count and evaluation interval are not the run's settings.
    expect(settingsArgs(with_({ epochs: 3, evaluateEvery: 50 })).slice(-2)).toEqual(['--epochs', '3']);
    expect(settingsArgs(with_({ epochs: 3, dropLast: true })).slice(-3)).toEqual(['--epochs', '3', '--drop-last']);
  });

  it('--validate, --data and --raw-pixels at the end, when set', () => {
    expect(settingsArgs(with_({ validate: true, dataDir: '/d', rawPixels: true }))).toEqual([...DEFAULT_ARGS, '--validate', '--data', '/d', '--raw-pixels']);
  });
});

describe('settingConflict', () => {
  const given = (...flags: string[]) => new Set(flags);

  it('no conflict when the flags agree, or when the differing setting was not given', () => {
    expect(settingConflict(defaults, defaults, given('lr', 'hidden', 'seed'))).toBeUndefined();
    expect(settingConflict(defaults, with_({ learningRate: 0.2 }), given('seed'))).toBeUndefined();
  });

  it('names both values of the first group that differs and was given', () => {
    const flags = with_({ learningRate: 0.2, batchSize: 10 });
    expect(settingConflict(defaults, flags, given('lr', 'batch'))).toBe('the run was trained with --lr 0.1, the flags give --lr 0.2');
    expect(settingConflict(defaults, flags, given('batch'))).toBe('the run was trained with --batch 100, the flags give --batch 10');
  });

  it('any flag of a group asks for the group\'s value', () => {
    const flags = with_({ optimizer: { type: 'sgd', momentum: 0.5, nesterov: false } });
    expect(settingConflict(defaults, flags, given('momentum'))).toBe(
      'the run was trained with --optimizer sgd, the flags give --optimizer sgd --momentum 0.5',
    );
  });

  it('a setting absent on one side is "no --flag"', () => {
    expect(settingConflict(defaults, with_({ validate: true }), given('validate'))).toBe(
      'the run was trained with no --validate, the flags give --validate',
    );
    expect(settingConflict(with_({ dataDir: '/d' }), defaults, given('data'))).toBe('the run was trained with --data /d, the flags give no --data');
  });
});
