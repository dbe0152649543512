// SVG line charts. accuracyChartSvg is the classic matplotlib training plot: accuracy per
// epoch on a fixed 0–1 axis, a solid line with circles for train and a dashed one with squares for
// test, legend at the lower right. lineChartSvg is for long series such as the loss per
// iteration: the y axis fits the data and the series are thinned to what a plot can show.
// Both are self-contained: no fonts, styles or scripts to load.
import { ValueError } from './errors.js';

export interface Series {
  label: string;
  values: ArrayLike<number>;
  /** x position of each value; default 0, 1, 2, … */
  x?: ArrayLike<number>;
  dashed?: boolean;
  /** Mark each point; default: accuracy charts do, line charts do not. */
  markers?: boolean;
}

export interface ChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  yMin?: number;
  yMax?: number;
  /** Tick labels for the x positions 0, 1, …, instead of the numbers. */
  xLabels?: string[];
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728']; // matplotlib's first default colors
const MAX_POINTS = 1000; // per series: about two per horizontal pixel at the default width
const MARGIN = { left: 64, right: 20, top: 40, bottom: 50 };

/** How the two kinds of chart differ beyond their options. */
interface Layout {
  yMin: number;
  yMax: number;
  /** Few points: mark each one and draw a bold line. Many: a thin line only. */
  markers: boolean;
  /** The corner the data leaves free: accuracy rises toward the top right, loss falls away from it. */
  legend: 'lower right' | 'upper right';
}

export function accuracyChartSvg(series: Series[], options: ChartOptions = {}): string {
  return renderChart(series, options, { yMin: options.yMin ?? 0, yMax: options.yMax ?? 1, markers: true, legend: 'lower right' });
}

export function lineChartSvg(series: Series[], options: ChartOptions = {}): string {
  let low = Infinity;
  let high = -Infinity;
  for (const s of series) {
    for (const v of Array.from(s.values)) if (Number.isFinite(v)) [low, high] = [Math.min(low, v), Math.max(high, v)];
  }
  if (low > high) [low, high] = [0, 1]; // nothing to plot
  if (low === high) [low, high] = [low - (Math.abs(low) || 1) / 2, high + (Math.abs(high) || 1) / 2];
  const step = niceStep((high - low) / 5);
  const yMin = options.yMin ?? Math.floor(low / step) * step;
  const yMax = options.yMax ?? Math.ceil(high / step) * step;
  return renderChart(series, options, { yMin, yMax, markers: false, legend: 'upper right' });
}

function renderChart(series: Series[], options: ChartOptions, { yMin, yMax, markers, legend }: Layout): string {
  const width = options.width ?? 640;
  const height = options.height ?? 420;
  if (!(Number.isFinite(yMax - yMin) && yMin < yMax)) {
    throw new ValueError(`chart y range must be finite with yMin < yMax, got ${yMin}..${yMax}`);
  }
  if (!(width >= 200 && height >= 150 && Number.isFinite(width) && Number.isFinite(height))) {
    throw new ValueError(`chart size must be at least 200×150, got ${width}×${height}`);
  }
  // Named by the size, the only thing the clip depends on: charts inlined in one page share ids.
  const clipId = `plot-${width}x${height}`;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const bottom = MARGIN.top + plotH;
  const xOf = (s: Series, i: number) => (s.x ? s.x[i] : i);
  let xMax = 1;
  for (const s of series) for (let i = 0; i < s.values.length; i++) if (Number.isFinite(xOf(s, i))) xMax = Math.max(xMax, xOf(s, i));
  const x = (i: number) => MARGIN.left + (i / xMax) * plotW;
  // Values outside the y range leave the plot (clipped, as matplotlib's ylim), never drawn at its edge.
  const y = (v: number) => MARGIN.top + (1 - (v - yMin) / (yMax - yMin)) * plotH;
  const f = (v: number) => v.toFixed(1);

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    // The plot area and the half of a marker that overhangs it.
    `<clipPath id="${clipId}"><rect x="${MARGIN.left - 4}" y="${MARGIN.top - 4}" width="${plotW + 8}" height="${plotH + 8}"/></clipPath>`,
  ];
  if (options.title) parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="14">${escapeXml(options.title)}</text>`);
  for (const { value, label } of ticks(yMin, yMax, 5, 0)) {
    const ty = f(y(value));
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${ty}" y2="${ty}" stroke="#e0e0e0"/>`);
    parts.push(`<line x1="${MARGIN.left - 4}" x2="${MARGIN.left}" y1="${ty}" y2="${ty}" stroke="#333"/>`);
    parts.push(`<text x="${MARGIN.left - 7}" y="${f(y(value) + 4)}" text-anchor="end">${label}</text>`);
  }
  for (const { value, label } of ticks(0, xMax, 8, 1)) {
    const tx = f(x(value));
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${MARGIN.top}" y2="${bottom}" stroke="#e0e0e0"/>`);
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${bottom}" y2="${bottom + 4}" stroke="#333"/>`);
    const text = options.xLabels?.[value] === undefined ? label : escapeXml(options.xLabels[value]);
    parts.push(`<text x="${tx}" y="${bottom + 17}" text-anchor="middle">${text}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  if (options.xLabel) parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel) {
    const cy = MARGIN.top + plotH / 2;
    parts.push(`<text x="16" y="${cy}" text-anchor="middle" transform="rotate(-90 16 ${cy})">${escapeXml(options.yLabel)}</text>`);
  }

  parts.push(`<g clip-path="url(#${clipId})">`);
  series.forEach((s, index) => {
    const marked = s.markers ?? markers;
    const style = lineStyle(s, index, marked);
    const points = thin(s.values);
    // A non-finite value breaks the line, as in matplotlib.
    let path = '';
    let drawing = false;
    for (const [i, v] of points) {
      if (!Number.isFinite(v) || !Number.isFinite(xOf(s, i))) drawing = false;
      else {
        path += `${drawing ? 'L' : 'M'}${f(x(xOf(s, i)))},${f(y(v))}`;
        drawing = true;
      }
    }
    if (path) parts.push(`<path d="${path}" fill="none" ${style}/>`);
    if (marked) {
      for (const [i, v] of points) if (Number.isFinite(v) && Number.isFinite(xOf(s, i))) parts.push(marker(index, x(xOf(s, i)), y(v)));
    }
  });
  parts.push('</g>');

  if (series.length) {
    const legendW = 48 + 7 * Math.max(...series.map((s) => s.label.length));
    const legendX = MARGIN.left + plotW - legendW - 8;
    const legendY = legend === 'upper right' ? MARGIN.top + 8 : bottom - 8 - 20 * series.length - 8;
    parts.push(`<rect x="${legendX}" y="${legendY}" width="${legendW}" height="${20 * series.length + 8}" fill="white" stroke="#ccc"/>`);
    series.forEach((s, index) => {
      const ly = legendY + 14 + 20 * index;
      parts.push(`<line x1="${legendX + 8}" x2="${legendX + 36}" y1="${ly}" y2="${ly}" ${lineStyle(s, index, s.markers ?? markers)}/>`);
      if (s.markers ?? markers) parts.push(marker(index, legendX + 22, ly));
      parts.push(`<text x="${legendX + 42}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
    });
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function lineStyle(s: Series, index: number, bold: boolean): string {
  const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
  return `stroke="${COLORS[index % COLORS.length]}" stroke-width="${bold ? 2 : 1.2}"${dash}`;
}

/** Circles for even-numbered series, squares for odd ones: train 'o', test 's' as in the classic matplotlib plot. */
function marker(index: number, cx: number, cy: number): string {
  const color = COLORS[index % COLORS.length];
  return index % 2 === 0
    ? `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="3.5" fill="${color}"/>`
    : `<rect x="${(cx - 3.5).toFixed(1)}" y="${(cy - 3.5).toFixed(1)}" width="7" height="7" fill="${color}"/>`;
}

/**
 * [index, value] pairs, at most MAX_POINTS. A longer series keeps each bucket's minimum and
 * maximum, so spikes survive thinning as they would at screen resolution; a bucket with no
 * finite value becomes a NaN that breaks the line.
 */
function thin(values: ArrayLike<number>): [number, number][] {
  if (values.length <= MAX_POINTS) return Array.from(values, (v, i) => [i, v]);
  const bucket = Math.ceil(values.length / (MAX_POINTS / 2));
  const points: [number, number][] = [];
  for (let start = 0; start < values.length; start += bucket) {
    let low = -1;
    let high = -1;
    for (let i = start; i < Math.min(start + bucket, values.length); i++) {
      if (!Number.isFinite(values[i])) continue;
      if (low < 0 || values[i] < values[low]) low = i;
      if (high < 0 || values[i] > values[high]) high = i;
    }
    if (low < 0) points.push([start, NaN]);
    else for (const i of low === high ? [low] : [Math.min(low, high), Math.max(low, high)]) points.push([i, values[i]]);
  }
  return points;
}

/** The smallest of 1, 2, 5 × 10^k that is at least `rough`. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  // 10 × power always is: power is the largest power of ten at most `rough`.
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough * (1 - 1e-9))!;
}

/** About `count` round-numbered ticks in [low, high], labelled without floating-point noise. */
function ticks(low: number, high: number, count: number, minStep: number): { value: number; label: string }[] {
  const step = niceStep(Math.max((high - low) / count, minStep));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const result: { value: number; label: string }[] = [];
  for (let k = Math.ceil(low / step - 1e-9); k * step <= high + step * 1e-9; k++) {
    result.push({ value: k * step, label: (k * step).toFixed(decimals) });
  }
  return result;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
