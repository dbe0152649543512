// `simdnet train --table FILE --target COLUMN`: a network trained on the user's own table (CSV
// or JSON records), a classifier for a text target and a regression for a numeric one. The
// network is input → hidden layers → outputs, its input and output widths taken from the table;
// the model file carries the table transform, so prediction encodes new records as training did.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { evaluationHeader, formatEvaluation, progressBar, threadsText } from './cli-report.js';
import { loadTable } from './data/table-node.js';
import type { TableTask, TableTransform } from './data/table-transform.js';
import { writeFileAtomic } from './io/atomic.js';
import { activation, dense, type Activation, type LayerSpec } from './layers.js';
import { saveModel } from './model-node.js';
import { Network, type Init } from './network.js';
import type { OptimizerOptions } from './optimizer.js';
import { createRuntime } from './runtime.js';
import { encodeTorchSafetensors } from './torch.js';
import { train, type TrainHistory } from './train.js';
import { accuracyChart, lossChart } from './training-charts.js';
import type { KernelBuildChoice } from './wasm.js';

export interface TableRun {
  table: string;
  target: string;
  task?: TableTask;
  features?: string[];
  hidden: number[];
  activation: Activation;
  init: Init;
  weightStd: number;
  optimizer: OptimizerOptions;
  schedule: 'constant' | 'cosine';
  learningRate: number;
  batchSize: number;
  epochs: number;
  dropLast: boolean;
  seed: number;
  /** Seed of the train/validation/test split. */
  splitSeed: number;
  outDir: string;
  build: KernelBuildChoice;
  threads: number;
  progress: boolean;
}

/** Trains on the table and writes the run's files; returns their paths. */
export async function runTableTrain(run: TableRun): Promise<string[]> {
  const table = await loadTable(run.table, { target: run.target, task: run.task, features: run.features, seed: run.splitSeed });
  const outputs = table.task === 'classification' ? table.classNames!.length : 1;
  const layers: LayerSpec[] = [];
  for (const width of run.hidden) layers.push(dense(width), activation(run.activation));
  layers.push(dense(outputs));
  const runtime = await createRuntime(run.build, { threads: run.threads });
  const net = new Network(runtime, {
    input: table.featureNames.length, layers, loss: table.task === 'classification' ? 'softmax-cross-entropy' : 'mse',
    init: run.init, weightInitStd: run.weightStd, seed: run.seed,
  });
  const shape = [table.featureNames.length, ...run.hidden, outputs].join('-');
  console.log(
    `simdnet: ${table.task} of ${run.target} from ${table.featureNames.length} features, ${shape} ${run.activation}, ` +
      `${net.parameterCount} parameters, ${runtime.kernels.build} kernels, ${threadsText(runtime.threads)}\n` +
      `${table.train.count} train / ${table.validation?.count ?? 0} validation / ${table.test?.count ?? 0} test rows` +
      (table.skipped.count ? ` (${table.skipped.count} skipped for missing values)` : '') +
      `; ${run.epochs} shuffled epochs of batch ${run.batchSize}, ${run.optimizer.type} lr ${run.learningRate}`,
  );
  const stepsPerEpoch = run.dropLast ? Math.floor(table.train.count / run.batchSize) : Math.ceil(table.train.count / run.batchSize);
  const bar = run.progress ? progressBar(run.epochs * stepsPerEpoch) : undefined;
  let first = true;
  const history = train(net, { train: table.train, validation: table.validation, test: table.test }, {
    sampling: 'shuffled-epochs', epochs: run.epochs, batchSize: run.batchSize, dropLast: run.dropLast,
    learningRate: run.learningRate, optimizer: run.optimizer, schedule: run.schedule, seed: run.seed,
    onStep: bar?.step,
    onEvaluation: (record) => {
      // Every epoch is evaluated; print about twenty of them, and the last (so the bar is
      // cleared after the last step too).
      if (record.epoch % Math.max(1, Math.round(run.epochs / 20)) !== 0 && record.epoch !== run.epochs - 1) return;
      bar?.clear();
      if (first) console.log(evaluationHeader(record));
      first = false;
      console.log(formatEvaluation(record));
    },
  });
  // A table of a few rows leaves the test split empty: there is no test result to give.
  const test = history.final.test;
  const testResult = !test
    ? 'no test rows'
    : test.accuracy !== undefined
    ? `test accuracy ${test.accuracy.toFixed(4)}`
    : `test mse ${test.mse!.toFixed(4)}, mae ${test.mae!.toFixed(4)}, r2 ${test.r2!.toFixed(4)}`;
  console.log(`done: ${history.iterations} iterations in ${history.seconds.toFixed(2)} s; ${testResult}`);
  const written = await writeTableOutputs(net, history, run, table.transform, stepsPerEpoch, shape);
  net.dispose();
  runtime.dispose(); // its worker threads, if any
  return written;
}

async function writeTableOutputs(
  net: Network, history: TrainHistory, run: TableRun, transform: TableTransform, stepsPerEpoch: number, shape: string,
): Promise<string[]> {
  const dir = resolve(run.outDir);
  await mkdir(dir, { recursive: true });
  const modelPath = join(dir, 'model.safetensors');
  await saveModel(net, modelPath, undefined, { table: transform });
  const torchPath = join(dir, 'model.pt.safetensors');
  await writeFileAtomic(torchPath, encodeTorchSafetensors(net));
  const historyPath = join(dir, 'history.json');
  await writeFileAtomic(historyPath, JSON.stringify({
    table: run.table, target: run.target, task: transform.task, features: transform.featureNames,
    network: { input: net.inputSize, layers: net.layerSpecs, loss: net.lossKind, init: run.init, seed: run.seed },
    training: history.options, iterations: history.iterations, seconds: history.seconds, msPerIteration: history.msPerIteration,
    evaluations: history.evaluations, final: history.final, loss: Array.from(history.loss),
  }, null, 1) + '\n');
  const title = `${run.target}: ${shape} ${run.activation}, lr ${run.learningRate}`;
  const charts = { evaluations: history.evaluations, final: history.final, stepsPerEpoch };
  const lossPath = join(dir, 'loss.svg');
  await writeFileAtomic(lossPath, lossChart(charts, history.loss, { title }));
  const files = [modelPath, torchPath, historyPath, lossPath];
  if (net.lossKind !== 'mse') {
    const accuracyPath = join(dir, 'accuracy.svg');
    await writeFileAtomic(accuracyPath, accuracyChart(charts, { title }));
    files.push(accuracyPath);
  }
  return files;
}
