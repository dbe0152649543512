// The CLI's flag checks, each refusal with its exact line and status 2, before anything is read
// or trained: the number kinds, the flags that go only with another, the names a flag takes, and
// the flags of an MNIST run that a table run refuses. (Refusals that need the data or a
// checkpoint are in cli-misuse.test.ts, those of layer lists in cli-layers.test.ts.)
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

/** main(['train', …args]): refused with `message` as its one line on stderr, status 2, nothing on stdout. */
async function expectUsageError(args: string[], message: string) {
  const result = await runCli('train', ...args);
  expect(result).toEqual({ code: 2, out: '', err: `simdnet: ${message}` });
}

describe('numbers', () => {
  it.each([
    [['--hidden', '1.5'], "--hidden expects a positive integer, got '1.5'"],
    [['--hidden=-3'], "--hidden expects a positive integer, got '-3'"],
    [['--iterations', 'Infinity'], "--iterations expects a positive integer, got 'Infinity'"],
    [['--batch', ' '], "--batch expects a positive integer, got ' '"],
    [['--lr', '0'], "--lr expects a positive number, got '0'"],
    [['--lr=-0.1'], "--lr expects a positive number, got '-0.1'"],
    [['--lr', ''], "--lr expects a positive number, got ''"],
    [['--weight-std=-1'], "--weight-std expects a number >= 0, got '-1'"],
    [['--weight-decay=-0.01'], "--weight-decay expects a number >= 0, got '-0.01'"],
    [['--momentum=-0.5'], "--momentum expects a number >= 0, got '-0.5'"],
    [['--seed=-1'], "--seed expects a number >= 0, got '-1'"],
    [['--threads', '0'], "--threads expects a positive integer, got '0'"],
    [['--epochs', '2.5'], "--epochs expects a positive integer, got '2.5'"],
    [['--eval-every', '0'], "--eval-every expects a positive integer, got '0'"],
    [['--layers', '784,,10'], "--layers expects a positive integer, got ''"],
  ])('%j', async (args, message) => expectUsageError(args, message));
});

describe('names', () => {
  it.each([
    [['--model', 'alexnet'], "--model must be lenet5, got 'alexnet'"],
    [['--init', 'zeros'], "--init must be one of normal, xavier, he, pytorch, got 'zeros'"],
    [['--schedule', 'step'], "--schedule must be constant or cosine, got 'step'"],
    [['--build', 'sse'], "--build must be auto, simd or relaxed-simd, got 'sse'"],
  ])('%j', async (args, message) => expectUsageError(args, message));

  it('a negative number after a flag is one line, not parseArgs\' three', async () => {
    await expectUsageError(['--lr', '-1'], "Option '--lr' argument is ambiguous (see --help)");
  });

  it('a second word after train is an unknown command', async () => {
    expect(await runCli('train', 'now')).toEqual({ code: 2, out: '', err: "simdnet: unknown command 'train now': the command is 'train' (see --help)" });
  });
});

describe('flags that go only with others', () => {
  it.each([
    [['--target', 'y'], '--target goes with --table'],
    [['--task', 'regression'], '--task goes with --table'],
    [['--features', 'a,b'], '--features goes with --table'],
    [['--split-seed', '1'], '--split-seed goes with --table'],
    [['--layers', '784'], "--layers needs at least an input and an output width, got '784'"],
    [['--model', 'lenet5', '--hidden', '10'], '--model lenet5 has its own layers: no --hidden or --layers'],
    [['--model', 'lenet5', '--layers', '784,10'], '--model lenet5 has its own layers: no --hidden or --layers'],
    [['--model', 'lenet5', '--gradient', 'numerical'], '--gradient numerical goes with the MLP, not --model'],
    [['--optimizer', 'adam', '--nesterov'], '--momentum and --nesterov go with --optimizer sgd'],
    [['--nesterov'], 'nesterov momentum needs momentum > 0'],
    [['--gradient', 'numerical', '--optimizer', 'adam'], '--gradient numerical trains with plain SGD: no --optimizer other than sgd, --momentum, --nesterov or --weight-decay'],
    [['--gradient', 'numerical', '--momentum', '0.9', '--nesterov'], '--gradient numerical trains with plain SGD: no --optimizer other than sgd, --momentum, --nesterov or --weight-decay'],
    [['--gradient', 'numerical', '--weight-decay', '0.1'], '--gradient numerical trains with plain SGD: no --optimizer other than sgd, --momentum, --nesterov or --weight-decay'],
    [['--layers', 'flatten dense(12)'], '--layers: the last layer gives 12 outputs: MNIST has 10 classes, end with dense(10)'],
    [['--optimizer', 'adam', '--momentum', '0.9'], '--momentum and --nesterov go with --optimizer sgd'],
    [['--gradient', 'finite'], "--gradient must be backprop or numerical, got 'finite'"],
    [['--gradient', 'numerical', '--momentum', '0'], '--gradient numerical trains with plain SGD: no --optimizer other than sgd, --momentum, --nesterov or --weight-decay'],
    [['--numerical-step', '0.1'], '--numerical-step goes with --gradient numerical'],
    [['--gradient', 'numerical', '--numerical-step', '0'], "--numerical-step expects a positive number, got '0'"],
    [['--build', 'auto', '--seed', '1.5'], "--seed expects an integer, got '1.5'"],
    [['--build', 'relaxed-simd', '--seed', '1.5'], "--seed expects an integer, got '1.5'"],
    [['--drop-last'], '--drop-last goes with --epochs'],
    [['--drop-last', '--iterations', '10'], '--drop-last goes with --epochs'],
    [['--epochs', '2', '--eval-every', '5'], '--eval-every goes with --iterations: with --epochs every epoch is evaluated'],
  ])('%j', async (args, message) => expectUsageError(args, message));

  it('a layer list the grammar refuses, the grammar\'s message after --layers', async () => {
    const result = await runCli('train', '--layers', 'dense(100) rleu dense(10)');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^simdnet: --layers: 'rleu' at column 12: unknown layer: expected one of dense, [a-z0-9, -]+$/);
  });

  it('the largest seed is taken', async () => {
    const result = await runCli('train', '--seed', '4294967295', '--data', '/nonexistent/mnist', '--out', '/tmp');
    expect(result.err).toBe('simdnet: MNIST directory /nonexistent/mnist does not exist');
  });

  it('--gradient numerical with a weight decay of 0 is plain SGD, not refused', async () => {
    // Refused for the data folder that does not exist, which is looked at only after the flags.
    const result = await runCli('train', '--gradient', 'numerical', '--weight-decay', '0', '--data', '/nonexistent/mnist', '--out', '/tmp');
    expect(result.err).toBe('simdnet: MNIST directory /nonexistent/mnist does not exist');
  });
});

describe('a table run refuses the flags of an MNIST run', () => {
  const table = ['--table', 'cars.json', '--target', 'mpg'];
  it.each([['--data', 'd'], ['--resume', 'r'], ['--iterations', '1'], ['--eval-every', '1'], ['--gradient', 'backprop'], ['--layers', '4,2']])('%s', async (flag, value) => {
    await expectUsageError([...table, flag, value], `${flag} does not go with --table (a table run trains --epochs on its own split)`);
  });

  it.each(['--raw-pixels', '--validate'])('%s', async (flag) => {
    await expectUsageError([...table, flag], `${flag} does not go with --table (a table run trains --epochs on its own split)`);
  });

  it('the first of them is named', async () => {
    await expectUsageError([...table, '--validate', '--layers', '4,2'], '--layers does not go with --table (a table run trains --epochs on its own split)');
  });

  it.each([
    [['--hidden', '1.5'], "--hidden expects a positive integer, got '1.5'"],
    [['--hidden', '8,0'], "--hidden expects a positive integer, got '0'"],
    [['--weight-std=-1'], "--weight-std expects a number >= 0, got '-1'"],
    [['--lr', '0'], "--lr expects a positive number, got '0'"],
    [['--batch', '1.5'], "--batch expects a positive integer, got '1.5'"],
    [['--epochs', '1.5'], "--epochs expects a positive integer, got '1.5'"],
  ])('a table run\'s numbers: %j', async (args, message) => {
    await expectUsageError([...table, ...args], message);
  });

  it('--task regression or classification is taken', async () => {
    for (const task of ['regression', 'classification']) {
      const result = await runCli('train', ...table, '--task', task, '--out', '/tmp');
      expect(result.err).not.toMatch(/--task/); // refused by the loader (no cars.json here), not the flags
    }
  });

  it('--table without --target', async () => {
    await expectUsageError(['--table', 'cars.json'], '--table needs --target COLUMN, the column to predict');
  });

  it('--drop-last goes with a table run, which trains epochs', async () => {
    const result = await runCli('train', ...table, '--drop-last', '--out', '/tmp');
    expect(result.code).toBe(1); // cars.json is not in the working folder: refused by the loader, not the flags
    expect(result.err).not.toMatch(/--drop-last/);
  });
});
