// Drawing what a network has learned: its first layer's weights (a dense layer's units as 28×28
// images, a convolution's filters as enlarged kernels), test images with its answers, and the
// confusion matrix over the test set.
import type { FirstLayer, Insights } from './worker.js';

const SIDE = 28;
const MAX_UNITS = 196; // a 14×14 grid: a 784-100-10 network shows all of its hidden units

/**
 * Tiles of `width`×`height` weights on a square grid, one pixel between them, each scaled by
 * its own largest magnitude: red positive, blue negative. weight(tile, y, x) reads one weight.
 */
function drawTiles(canvas: HTMLCanvasElement, tiles: number, [height, width]: [number, number], weight: (tile: number, y: number, x: number) => number) {
  const columns = Math.ceil(Math.sqrt(tiles));
  const side = columns * (Math.max(width, height) + 1) - 1;
  canvas.width = canvas.height = side;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(side, side);
  image.data.fill(255);
  const rows = Math.ceil(tiles / columns);
  // Rows of tiles centred vertically when they do not fill the square.
  const top = Math.floor((side - (rows * (height + 1) - 1)) / 2);
  for (let tile = 0; tile < tiles; tile++) {
    let scale = 0;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) scale = Math.max(scale, Math.abs(weight(tile, y, x)));
    const x0 = (tile % columns) * (width + 1);
    const y0 = top + Math.floor(tile / columns) * (height + 1);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = scale > 0 ? weight(tile, y, x) / scale : 0;
        const fade = Math.round(255 * (1 - Math.abs(v)));
        image.data.set(v >= 0 ? [255, fade, fade, 255] : [fade, fade, 255, 255], 4 * ((y0 + y) * side + x0 + x));
      }
    }
  }
  context.putImageData(image, 0, 0);
}

/** The first layer's weights: a dense layer's units as 28×28 images, or a convolution's filters. */
export function drawFirstLayer(canvas: HTMLCanvasElement, layer: FirstLayer, caption: HTMLElement) {
  canvas.dataset.kind = layer.kind;
  if (layer.kind === 'conv2d') {
    const [kh, kw] = layer.kernel;
    // W1 [filters × 1 × kh × kw]: the one input channel of a grey image.
    drawTiles(canvas, layer.filters, layer.kernel, (tile, y, x) => layer.weights[(tile * kh + y) * kw + x]);
    canvas.dataset.units = String(layer.filters);
    canvas.dataset.kernel = `${kh}x${kw}`;
    caption.textContent = `The ${layer.filters} filters of the first convolution, each ${kh}×${kw}: it slides each one over the ` +
      'image, and a square lights up where the ink matches it (red: ink there excites the filter, blue: it inhibits it).';
    return;
  }
  const { weights, units: hidden } = layer;
  const units = Math.min(hidden, MAX_UNITS);
  // Column `unit` of W1 [784 × hidden] is that unit's weights, one per pixel.
  drawTiles(canvas, units, [SIDE, SIDE], (unit, y, x) => weights[(y * SIDE + x) * hidden + unit]);
  canvas.dataset.units = String(units);
  delete canvas.dataset.kernel;
  caption.textContent = `${units === hidden ? `All ${hidden}` : `The first ${units} of ${hidden}`} hidden units: each square is ` +
    "one unit's 784 input weights as a 28×28 image (red: ink on that pixel excites the unit, blue: it inhibits it).";
}

export function drawGallery(container: HTMLElement, { images, labels, predictions }: Insights) {
  container.replaceChildren();
  let wrong = 0;
  labels.forEach((label, i) => {
    const figure = document.createElement('figure');
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = SIDE;
    const context = canvas.getContext('2d')!;
    const image = context.createImageData(SIDE, SIDE);
    for (let p = 0; p < SIDE * SIDE; p++) {
      const ink = Math.round(255 * (1 - images[i * SIDE * SIDE + p]));
      image.data.set([ink, ink, ink, 255], 4 * p);
    }
    context.putImageData(image, 0, 0);
    const caption = document.createElement('figcaption');
    const mistaken = predictions[i] !== label;
    caption.textContent = mistaken ? `${predictions[i]} (${label})` : String(predictions[i]);
    if (mistaken) {
      figure.className = 'wrong';
      wrong++;
    }
    figure.append(canvas, caption);
    container.append(figure);
  });
  container.dataset.count = String(labels.length);
  container.dataset.wrong = String(wrong);
}

export function drawConfusion(table: HTMLTableElement, confusion: Int32Array) {
  const header = '<tr><th></th>' + Array.from({ length: 10 }, (_, k) => `<th>${k}</th>`).join('') + '</tr>';
  let total = 0;
  let right = 0;
  const rows = Array.from({ length: 10 }, (_, truth) => {
    const row = confusion.subarray(truth * 10, truth * 10 + 10);
    const count = row.reduce((a, b) => a + b, 0);
    total += count;
    right += row[truth];
    const cells = Array.from(row, (n, predicted) => {
      const share = count ? n / count : 0;
      // Right answers in green by their share of the row, mistakes in red, 10x stronger since rarer.
      const color = predicted === truth
        ? `rgba(44,160,44,${share.toFixed(3)})`
        : `rgba(214,39,40,${Math.min(1, 10 * share).toFixed(3)})`;
      return `<td style="background:${color}">${n}</td>`;
    }).join('');
    return `<tr><th>${truth}</th>${cells}</tr>`;
  }).join('');
  table.innerHTML = header + rows;
  table.dataset.total = String(total);
  table.dataset.right = String(right);
}
