// The page: the form, progress and charts of a run, a drawing canvas classified by the network
// in the worker, and what the network has learned (first-layer weights, test images, confusion).
import {
  accuracyChart, createRuntime, lossChart, preprocessDigit, Random, TwoLayerNet,
  type EvaluationRecord, type KernelBuild,
} from 'simdnet';
import { parameterBitsAfterSteps } from './determinism.js';
import type { Insights, Model, Request, StartOptions } from './worker.js';
import { drawConfusion, drawFirstLayer, drawGallery } from './insights.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (request: Request, transfer: Transferable[] = []) => worker.postMessage(request, transfer);
const mnistUrl = new URL('mnist/', document.baseURI).href;
const status = $('status');
const CHART = { width: 420, height: 300 };

// The run on screen.
const evaluations: EvaluationRecord[] = [];
let losses = new Float32Array(0);
let final: EvaluationRecord | undefined;
let stepsPerEpoch = 600;
let training = false;
let paused = false;
let haveNet = false;
// Wall time of the run without its pauses, for the time left.
let runStarted = 0;
let pausedAt = 0;
let pausedMs = 0;

function setState(state: string, text: string) {
  status.dataset.state = state;
  status.textContent = text;
}

function drawCharts() {
  const run = { evaluations, final, stepsPerEpoch };
  $('accuracy-chart').innerHTML = accuracyChart(run, { title: 'accuracy per epoch', ...CHART });
  $('loss-chart').innerHTML = lossChart(run, losses, { title: 'loss per step (smoothed) and per epoch', ...CHART });
}

function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function appendLosses(chunk: Float32Array) {
  const next = new Float32Array(losses.length + chunk.length);
  next.set(losses);
  next.set(chunk, losses.length);
  losses = next;
}

worker.onmessage = (event) => {
  const message = event.data;
  switch (message.type) {
    case 'ready':
      // Threads when the page is cross-origin isolated (the demo's servers send the headers).
      $('build').textContent = (message.build === 'relaxed-simd' ? 'relaxed SIMD, with fused multiply-add' : 'SIMD') +
        (message.threads > 1 ? `, ${message.threads} threads` : '');
      $('build').dataset.build = message.build;
      $('build').dataset.threads = String(message.threads);
      break;
    case 'status':
      setState('loading', message.text);
      break;
    case 'progress': {
      appendLosses(message.losses);
      const { iteration, total } = message;
      $('bar').style.width = `${(100 * iteration) / total}%`;
      drawCharts();
      if (paused) break;
      const elapsed = (performance.now() - runStarted - pausedMs) / 1000;
      const left = iteration > 0 ? (elapsed / iteration) * (total - iteration) : NaN;
      const loss = losses.length ? losses[losses.length - 1] : NaN;
      status.dataset.msPerStep = String(message.msPerStep);
      setState('training', `iteration ${iteration} / ${total}   loss ${loss.toFixed(4)}\n` +
        `${Number.isFinite(message.msPerStep) ? message.msPerStep.toFixed(3) : '…'} ms per training step   ` +
        `time left ${Number.isFinite(left) ? formatSeconds(left) : '…'}`);
      break;
    }
    case 'evaluation':
      evaluations.push(message.record);
      drawCharts();
      break;
    case 'done': {
      training = false;
      paused = false;
      haveNet = true;
      final = message.final;
      stepsPerEpoch = message.stepsPerEpoch;
      drawCharts();
      const f = message.final;
      status.dataset.testAccuracy = String(f.test.accuracy);
      status.dataset.msPerIteration = String(message.msPerIteration);
      const what = message.stopped
        ? `stopped at iteration ${message.iterations} of ${message.total}`
        : `done: ${message.iterations} iterations`;
      setState(message.stopped ? 'stopped' : 'done', `${what} in ${message.seconds.toFixed(1)} s, ` +
        `${message.msPerIteration.toFixed(3)} ms per training step\n` +
        `test accuracy ${(100 * f.test.accuracy).toFixed(2)}%, train ${(100 * f.train.accuracy).toFixed(2)}%`);
      updateButtons();
      classify();
      break;
    }
    case 'insights': {
      const insights = message.insights as Insights;
      drawFirstLayer($('weights') as HTMLCanvasElement, insights.firstLayer, $('weights-caption'));
      drawGallery($('gallery'), insights);
      drawConfusion($('confusion') as HTMLTableElement, insights.confusion);
      break;
    }
    case 'prediction':
      showProbabilities(message.probabilities);
      break;
    case 'saved': {
      const url = URL.createObjectURL(new Blob([message.bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'model.safetensors';
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 0);
      break;
    }
    case 'loaded':
      haveNet = true;
      setState('done', `loaded a ${message.network} network`);
      updateButtons();
      classify();
      break;
    case 'error':
      training = false;
      paused = false;
      haveNet = message.haveNet;
      setState('error', `error: ${message.message}${haveNet ? '\n(the previous network is still here)' : ''}`);
      clearProbabilities();
      updateButtons();
      break;
  }
};

function updateButtons() {
  ($('start') as HTMLButtonElement).disabled = training;
  ($('pause') as HTMLButtonElement).disabled = !training;
  ($('stop') as HTMLButtonElement).disabled = !training;
  ($('save') as HTMLButtonElement).disabled = training || !haveNet;
  ($('load') as HTMLInputElement).disabled = training;
  $('pause').textContent = paused ? 'Resume' : 'Pause';
}

/** The form's values, or the message saying which field is wrong. */
function readForm(): StartOptions | string {
  const field = (id: string, name: string, kind: 'count' | 'positive' | 'integer'): number | string => {
    const text = ($(id) as HTMLInputElement).value;
    const value = Number(text);
    const ok = text.trim() !== '' && Number.isFinite(value) &&
      (kind === 'positive' ? value > 0 : Number.isInteger(value) && (kind === 'integer' || value >= 1));
    if (ok) return value;
    const want = kind === 'positive' ? 'a number above 0' : kind === 'count' ? 'a whole number, at least 1' : 'a whole number';
    return `${name} must be ${want}, got '${text}'`;
  };
  const values = {
    hidden: field('hidden', 'hidden units', 'count'), learningRate: field('lr', 'learning rate', 'positive'),
    batchSize: field('batch', 'batch size', 'count'), iterations: field('iterations', 'iterations', 'count'),
    seed: field('seed', 'seed', 'integer'),
  };
  const problem = Object.values(values).find((v) => typeof v === 'string');
  if (problem !== undefined) return problem as string;
  return {
    ...(values as Record<keyof typeof values, number>),
    model: ($('model') as HTMLSelectElement).value as Model,
    activation: ($('activation') as HTMLSelectElement).value as StartOptions['activation'],
    optimizer: ($('optimizer') as HTMLSelectElement).value as StartOptions['optimizer'],
    mnistUrl,
  };
}

// Choosing a network sets the fields to what trains it well (LeNet-5: the README's recipe,
// ReLU and Adam at lr 0.001, for two epochs rather than the two-layer network's 17: one of its
// steps takes about 35× a two-layer step, bench/RESULTS.md); each stays editable.
const MODEL_DEFAULTS: Record<Model, { activation: string; optimizer: string; lr: string; iterations: string }> = {
  'two-layer': { activation: 'sigmoid', optimizer: 'sgd', lr: '0.1', iterations: '10000' },
  lenet5: { activation: 'relu', optimizer: 'adam', lr: '0.001', iterations: '1200' },
};
($('model') as HTMLSelectElement).onchange = () => {
  const model = ($('model') as HTMLSelectElement).value as Model;
  const defaults = MODEL_DEFAULTS[model];
  ($('activation') as HTMLSelectElement).value = defaults.activation;
  ($('optimizer') as HTMLSelectElement).value = defaults.optimizer;
  ($('lr') as HTMLInputElement).value = defaults.lr;
  ($('iterations') as HTMLInputElement).value = defaults.iterations;
  ($('hidden') as HTMLInputElement).disabled = model !== 'two-layer';
};

$('start').onclick = () => {
  const options = readForm();
  if (typeof options === 'string') {
    setState('error', `error: ${options}${haveNet ? '\n(the previous network is still here)' : ''}`);
    clearProbabilities();
    return;
  }
  evaluations.length = 0;
  losses = new Float32Array(0);
  final = undefined;
  stepsPerEpoch = Math.ceil(60000 / options.batchSize);
  $('bar').style.width = '0';
  drawCharts();
  training = true;
  paused = false;
  runStarted = performance.now();
  pausedMs = 0;
  updateButtons();
  setState('loading', 'starting…');
  send({ type: 'start', options });
};
$('pause').onclick = () => {
  paused = !paused;
  send({ type: paused ? 'pause' : 'resume' });
  if (paused) {
    pausedAt = performance.now();
    setState('paused', `paused at iteration ${losses.length}: press Resume to go on`);
  } else {
    pausedMs += performance.now() - pausedAt;
    setState('training', `resuming at iteration ${losses.length}…`);
  }
  updateButtons();
};
$('stop').onclick = () => send({ type: 'stop' });
$('save').onclick = () => send({ type: 'save' });
($('load') as HTMLInputElement).onchange = async (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = ''; // choosing the same file again loads it again
  if (file) send({ type: 'load', bytes: new Uint8Array(await file.arrayBuffer()), mnistUrl });
};

// Drawing: white ink on black, as MNIST.
const canvas = $('draw') as HTMLCanvasElement;
const context = canvas.getContext('2d', { willReadFrequently: true })!;
function clearProbabilities() {
  $('probabilities').innerHTML = '';
  $('probabilities').dataset.ready = 'false';
}
function clearCanvas() {
  context.fillStyle = '#000';
  context.fillRect(0, 0, canvas.width, canvas.height);
  clearProbabilities();
}
clearCanvas();
$('clear').onclick = clearCanvas;
let last: [number, number] | undefined;
canvas.onpointerdown = (event) => {
  canvas.setPointerCapture(event.pointerId);
  last = [event.offsetX, event.offsetY];
};
canvas.onpointermove = (event) => {
  if (!last) return;
  context.strokeStyle = '#fff';
  context.lineWidth = 18;
  context.lineCap = 'round';
  context.beginPath();
  context.moveTo(...last);
  context.lineTo(event.offsetX, event.offsetY);
  context.stroke();
  last = [event.offsetX, event.offsetY];
  classify();
};
canvas.onpointerup = () => {
  last = undefined;
  classify();
};

function classify() {
  const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = data[4 * i] / 255;
  const pixels = preprocessDigit(ink, width, height);
  if (pixels) send({ type: 'predict', pixels }, [pixels.buffer]);
}

function showProbabilities(probabilities: Float32Array) {
  let best = 0;
  probabilities.forEach((p, i) => (best = p > probabilities[best] ? i : best));
  $('probabilities').innerHTML = Array.from(probabilities, (p, digit) =>
    `<div><b>${digit === best ? '→' : '&nbsp;'} ${digit}</b><span class="bar" style="width:${(p * 180).toFixed(0)}px"></span>${p.toFixed(3)}</div>`).join('');
  $('probabilities').dataset.ready = 'true';
  $('probabilities').dataset.sum = String(probabilities.reduce((a, b) => a + b, 0));
  $('probabilities').dataset.count = String(probabilities.length);
}

drawCharts();
updateButtons();

// For the cross-runtime test (test/browser/demo.test.ts).
(window as unknown as { simdnetDeterminism: unknown }).simdnetDeterminism = (build: KernelBuild, steps: number) =>
  parameterBitsAfterSteps({ createRuntime, Random, TwoLayerNet }, build, steps);
