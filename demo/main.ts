// The page: controls, a live chart, a drawing canvas classified by the network in the worker.
import {
  accuracyChartSvg, createRuntime, lineChartSvg, preprocessDigit, Random, TwoLayerNet,
  type EvaluationRecord, type KernelBuild,
} from 'simdnet';
import { parameterBitsAfterSteps } from './determinism.js';
import type { Request, StartOptions } from './worker.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (request: Request, transfer: Transferable[] = []) => worker.postMessage(request, transfer);
const status = $('status');
const evaluations: EvaluationRecord[] = [];
let training = false;
let paused = false;
let msPerIteration = NaN;

function setState(state: string, text: string) {
  status.dataset.state = state;
  status.textContent = text;
}

function drawChart() {
  const accuracy = accuracyChartSvg(
    [
      { label: 'train acc', values: evaluations.map((e) => e.train?.accuracy ?? NaN) },
      { label: 'test acc', values: evaluations.map((e) => e.test?.accuracy ?? NaN), dashed: true },
    ],
    { title: 'accuracy per epoch', xLabel: 'epochs', yLabel: 'accuracy', width: 420, height: 300 },
  );
  const loss = evaluations.length < 2 ? '' : lineChartSvg(
    [
      { label: 'train loss', values: evaluations.map((e) => e.train?.loss ?? NaN) },
      { label: 'test loss', values: evaluations.map((e) => e.test?.loss ?? NaN), dashed: true },
    ],
    { title: 'loss per epoch', xLabel: 'epochs', yLabel: 'loss', width: 420, height: 300 },
  );
  $('chart').innerHTML = accuracy + loss;
}

worker.onmessage = (event) => {
  const message = event.data;
  switch (message.type) {
    case 'ready':
      $('build').textContent = message.build === 'relaxed-simd' ? 'relaxed SIMD (FMA)' : 'SIMD';
      $('build').dataset.build = message.build;
      break;
    case 'status':
      setState('loading', message.text);
      break;
    case 'progress':
      setState('training', `iteration ${message.iteration} / ${message.total}, loss ${message.loss.toFixed(4)}, ` +
        `${message.msPerIteration.toFixed(3)} ms/iteration`);
      break;
    case 'evaluation': {
      const e = message.record as EvaluationRecord;
      evaluations.push(e);
      drawChart();
      break;
    }
    case 'done': {
      training = false;
      msPerIteration = message.msPerIteration;
      const f = message.final;
      status.dataset.testAccuracy = String(f.test.accuracy);
      status.dataset.msPerIteration = String(msPerIteration);
      setState('done', `done: ${message.iterations} iterations in ${message.seconds.toFixed(2)} s, ` +
        `${msPerIteration.toFixed(3)} ms/iteration\ntrain acc ${f.train.accuracy.toFixed(4)}, test acc ${f.test.accuracy.toFixed(4)}`);
      updateButtons();
      classify();
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
      URL.revokeObjectURL(url);
      break;
    }
    case 'loaded':
      setState('done', `loaded a ${message.sizes.join('-')} ${message.activations.join('/')} network`);
      updateButtons(true);
      classify();
      break;
    case 'error':
      training = false;
      setState('error', `error: ${message.message}`);
      updateButtons();
      break;
  }
};

function updateButtons(haveNet = status.dataset.state === 'done') {
  ($('start') as HTMLButtonElement).disabled = training;
  ($('pause') as HTMLButtonElement).disabled = !training;
  ($('stop') as HTMLButtonElement).disabled = !training;
  ($('save') as HTMLButtonElement).disabled = training || !haveNet;
  $('pause').textContent = paused ? 'Resume' : 'Pause';
}

$('start').onclick = () => {
  const number = (id: string) => Number(($(id) as HTMLInputElement).value);
  const options: StartOptions = {
    hidden: number('hidden'), activation: ($('activation') as HTMLSelectElement).value as StartOptions['activation'],
    learningRate: number('lr'), batchSize: number('batch'), iterations: number('iterations'), seed: number('seed'),
    mnistUrl: new URL('mnist/', document.baseURI).href,
  };
  evaluations.length = 0;
  drawChart();
  training = true;
  paused = false;
  updateButtons();
  send({ type: 'start', options });
};
$('pause').onclick = () => {
  paused = !paused;
  send({ type: paused ? 'pause' : 'resume' });
  updateButtons();
};
$('stop').onclick = () => send({ type: 'stop' });
$('save').onclick = () => send({ type: 'save' });
($('load') as HTMLInputElement).onchange = async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) send({ type: 'load', bytes: new Uint8Array(await file.arrayBuffer()) });
};

// Drawing: white ink on black, as MNIST.
const canvas = $('draw') as HTMLCanvasElement;
const context = canvas.getContext('2d', { willReadFrequently: true })!;
function clearCanvas() {
  context.fillStyle = '#000';
  context.fillRect(0, 0, canvas.width, canvas.height);
  $('probabilities').innerHTML = '';
  $('probabilities').dataset.ready = 'false';
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
    `<div><b>${digit === best ? '→' : '&nbsp;'} ${digit}</b><span class="bar" style="width:${(p * 200).toFixed(0)}px"></span>${p.toFixed(3)}</div>`).join('');
  $('probabilities').dataset.ready = 'true';
  $('probabilities').dataset.sum = String(probabilities.reduce((a, b) => a + b, 0));
  $('probabilities').dataset.count = String(probabilities.length);
}

drawChart();
updateButtons(false);

// For the cross-runtime test (test/browser/demo.test.ts).
(window as unknown as { simdnetDeterminism: unknown }).simdnetDeterminism = (build: KernelBuild, steps: number) =>
  parameterBitsAfterSteps({ createRuntime, Random, TwoLayerNet }, build, steps);
