// A small SVG line chart: train/test accuracy per epoch, as the references plot with
// matplotlib (solid line with circles for train, dashed with squares for test, y from 0 to 1,
// legend at the lower right). Self-contained: no fonts or scripts to load.

export interface Series {
  label: string;
  values: number[];
  dashed?: boolean;
}

export interface ChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  yMin?: number;
  yMax?: number;
  /** Tick labels for the x positions 0, 1, …; default the indices. */
  xLabels?: string[];
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

export function accuracyChartSvg(series: Series[], options: ChartOptions = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 420;
  const yMin = options.yMin ?? 0;
  const yMax = options.yMax ?? 1;
  const margin = { left: 60, right: 20, top: 40, bottom: 50 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const points = Math.max(1, ...series.map((s) => s.values.length));
  const xMax = Math.max(1, points - 1);
  const x = (i: number) => margin.left + (i / xMax) * plotW;
  const y = (v: number) => margin.top + (1 - (Math.min(Math.max(v, yMin), yMax) - yMin) / (yMax - yMin || 1)) * plotH;
  const f = (v: number) => v.toFixed(1);

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  if (options.title) parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="14">${escapeXml(options.title)}</text>`);

  // Grid and ticks: y every tenth of the range, x at up to ~10 integer epochs.
  for (let i = 0; i <= 10; i++) {
    const v = yMin + ((yMax - yMin) * i) / 10;
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#ddd"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${f(y(v) + 4)}" text-anchor="end">${+v.toFixed(2)}</text>`);
  }
  const xStep = Math.max(1, Math.ceil(xMax / 10));
  for (let i = 0; i <= xMax; i += xStep) {
    parts.push(`<line x1="${f(x(i))}" x2="${f(x(i))}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#eee"/>`);
    parts.push(`<text x="${f(x(i))}" y="${margin.top + plotH + 16}" text-anchor="middle">${escapeXml(options.xLabels?.[i] ?? String(i))}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  if (options.xLabel) parts.push(`<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel) {
    parts.push(`<text x="16" y="${margin.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${margin.top + plotH / 2})">${escapeXml(options.yLabel)}</text>`);
  }

  series.forEach((s, index) => {
    const color = COLORS[index % COLORS.length];
    const finite = s.values.map((v, i) => [i, v] as const).filter(([, v]) => Number.isFinite(v));
    if (finite.length > 1) {
      const path = finite.map(([i, v], k) => `${k ? 'L' : 'M'}${f(x(i))},${f(y(v))}`).join(' ');
      parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    for (const [i, v] of finite) {
      parts.push(index % 2 === 0
        ? `<circle cx="${f(x(i))}" cy="${f(y(v))}" r="3" fill="${color}"/>`
        : `<rect x="${f(x(i) - 3)}" y="${f(y(v) - 3)}" width="6" height="6" fill="${color}"/>`);
    }
  });

  // Legend, lower right.
  const legendX = margin.left + plotW - 130;
  const legendY = margin.top + plotH - 12 - 20 * series.length;
  parts.push(`<rect x="${legendX - 8}" y="${legendY - 6}" width="130" height="${20 * series.length + 8}" fill="white" stroke="#ccc"/>`);
  series.forEach((s, index) => {
    const color = COLORS[index % COLORS.length];
    const ly = legendY + 20 * index + 8;
    parts.push(`<line x1="${legendX}" x2="${legendX + 28}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${legendX + 36}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
