// Drawing what a network has learned: its first layer's weights as 28×28 images, test images
// with its answers, and the confusion matrix over the test set.
import type { Insights } from './worker.js';

const SIDE = 28;
const MAX_UNITS = 196; // a 14×14 grid: a 784-100-10 network shows all of its hidden units

/** Each hidden unit's 784 input weights (column j of W1) as a tile: red positive, blue negative. */
export function drawWeights(canvas: HTMLCanvasElement, { weights, hidden }: Insights, caption: HTMLElement) {
  const units = Math.min(hidden, MAX_UNITS);
  const columns = Math.ceil(Math.sqrt(units));
  const tile = SIDE + 1;
  canvas.width = canvas.height = columns * tile - 1;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(canvas.width, canvas.height);
  image.data.fill(255);
  for (let unit = 0; unit < units; unit++) {
    let scale = 0;
    for (let p = 0; p < SIDE * SIDE; p++) scale = Math.max(scale, Math.abs(weights[p * hidden + unit]));
    const x0 = (unit % columns) * tile;
    const y0 = Math.floor(unit / columns) * tile;
    for (let p = 0; p < SIDE * SIDE; p++) {
      const v = scale > 0 ? weights[p * hidden + unit] / scale : 0;
      const at = 4 * ((y0 + Math.floor(p / SIDE)) * canvas.width + x0 + (p % SIDE));
      const fade = Math.round(255 * (1 - Math.abs(v)));
      image.data.set(v >= 0 ? [255, fade, fade, 255] : [fade, fade, 255, 255], at);
    }
  }
  context.putImageData(image, 0, 0);
  canvas.dataset.units = String(units);
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
