import { describe, expect, it } from 'vitest';
import { accuracyChartSvg, lineChartSvg } from '../src/chart.js';
import { ValueError } from '../src/errors.js';
import { parseSvg as parse } from './support/svg.js';

/**
 * A small well-formedness check: every tag is closed in order, attributes are quoted, text holds
 * no raw '<' or unescaped '&'. Returns the element names in document order.
 */
function elements(svg: string): string[] {
  const names: string[] = [];
  const open: string[] = [];
  const token = /<(\/?)([a-zA-Z]+)((?:\s+[a-zA-Z][a-zA-Z0-9:-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let end = 0;
  for (const match of svg.matchAll(token)) {
    const [whole, closing, name, , selfClosing, text] = match;
    end = match.index + whole.length;
    if (text !== undefined) {
      expect(text).not.toMatch(/&(?!(amp|lt|gt|quot);)/);
      continue;
    }
    if (closing) expect(open.pop()).toBe(name);
    else {
      names.push(name);
      if (!selfClosing) open.push(name);
    }
  }
  expect(end).toBe(svg.length); // the sticky regex stopped at nothing it could not read
  expect(open).toEqual([]);
  return names;
}

const count = (names: string[], name: string) => names.filter((n) => n === name).length;

describe('accuracyChartSvg', () => {
  const train = [0.1, 0.8, 0.9, 0.93];
  const test = [0.12, 0.82, 0.88, 0.9];
  // Drawn inside each test (not when the file is collected), so that the mutation run sees
  // which tests draw it.
  const draw = () => accuracyChartSvg(
    [{ label: 'train acc', values: train }, { label: 'test acc', values: test, dashed: true }],
    { title: '784-50-10 sigmoid', xLabel: 'epochs', yLabel: 'accuracy' },
  );

  it('is a well-formed, self-contained SVG document', () => {
    const svg = draw();
    const names = elements(svg);
    expect(names[0]).toBe('svg');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="640" height="420" viewBox="0 0 640 420"/);
    expect(svg).not.toMatch(/<script|<style|href=/);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('draws one marker per point (circles, then squares) plus one per legend entry', () => {
    const svg = draw();
    const names = elements(svg);
    expect(count(names, 'circle')).toBe(train.length + 1);
    expect(svg.match(/<rect [^>]*width="7" height="7"/g)).toHaveLength(test.length + 1);
    const paths = [...svg.matchAll(/<path d="([^"]*)"[^>]*>/g)];
    expect(paths).toHaveLength(2);
    expect(paths[0][1].match(/[ML]/g)).toHaveLength(train.length);
    expect(paths[0][0]).not.toContain('stroke-dasharray');
    expect(paths[1][0]).toContain('stroke-dasharray');
  });

  it('has ticks 0…1 on y and every epoch on x, a title, axis labels and a legend', () => {
    const svg = draw();
    for (const label of ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']) expect(svg).toContain(`>${label}</text>`);
    for (const epoch of ['0', '1', '2', '3']) expect(svg).toContain(`text-anchor="middle">${epoch}</text>`);
    for (const text of ['784-50-10 sigmoid', 'epochs', 'accuracy', 'train acc', 'test acc']) expect(svg).toContain(`>${text}</text>`);
  });

  it('puts y = 1 at the top and y = 0 at the bottom of the plot', () => {
    const cys = [...accuracyChartSvg([{ label: 'a', values: [0, 1] }]).matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(cys[0]).toBeGreaterThan(cys[1]);
  });

  it('escapes text', () => {
    const escaped = accuracyChartSvg([{ label: 'train <acc> & "more"', values: [0.5] }], { title: 'a < b & c > "d"' });
    elements(escaped);
    expect(escaped).toContain('train &lt;acc&gt; &amp; &quot;more&quot;');
    expect(escaped).toContain('a &lt; b &amp; c &gt; &quot;d&quot;');
  });

  it.each([
    ['no series', []],
    ['an empty series', [{ label: 'empty', values: [] }]],
    ['a single point', [{ label: 'one', values: [0.5] }]],
    ['only NaN', [{ label: 'nan', values: [NaN, NaN] }]],
  ])('draws %s without NaN coordinates', (_, series) => {
    const out = accuracyChartSvg(series);
    elements(out);
    expect(out).not.toMatch(/NaN|Infinity/);
  });

  it('breaks the line at a missing value and clamps values outside the axis', () => {
    const out = accuracyChartSvg([{ label: 'gap', values: [0.1, NaN, 0.3, 1.5] }]);
    const [, path] = /<path d="([^"]*)"/.exec(out)!;
    expect(path.match(/M/g)).toHaveLength(2);
    expect(count(elements(out), 'circle')).toBe(3 + 1);
    expect(out).not.toMatch(/NaN/);
  });

  it('rejects an empty y range or a size too small to draw', () => {
    expect(() => accuracyChartSvg([], { yMin: 1, yMax: 1 })).toThrow(ValueError);
    expect(() => accuracyChartSvg([], { yMax: NaN })).toThrow(new ValueError('chart y range must be finite with yMin < yMax, got 0..NaN'));
    // Each end finite, but not the range between them.
    expect(() => accuracyChartSvg([], { yMin: -1e308, yMax: 1e308 })).toThrow(new ValueError('chart y range must be finite with yMin < yMax, got -1e+308..1e+308'));
    expect(() => accuracyChartSvg([], { width: 10 })).toThrow(new ValueError('chart size must be at least 200×150, got 10×420'));
    expect(() => accuracyChartSvg([], { width: 199 })).toThrow(ValueError);
    expect(() => accuracyChartSvg([], { height: 149 })).toThrow(new ValueError('chart size must be at least 200×150, got 640×149'));
    expect(() => accuracyChartSvg([], { width: Infinity })).toThrow(ValueError);
    expect(() => accuracyChartSvg([], { height: Infinity })).toThrow(ValueError);
    expect(accuracyChartSvg([], { width: 200, height: 150 })).toMatch(/^<svg [^>]*width="200" height="150"/);
  });

  it('one element a line, the document ending in a newline', () => {
    const lines = accuracyChartSvg([{ label: 'a', values: [0.5] }]).split('\n');
    expect(lines[0]).toMatch(/^<svg /);
    expect(lines[1]).toBe('<rect width="640" height="420" fill="white"/>');
    expect(lines.slice(-2)).toEqual(['</svg>', '']);
  });

  it('a series with nothing finite draws no path', () => {
    expect(accuracyChartSvg([{ label: 'nan', values: [NaN, NaN] }])).not.toContain('<path');
  });
});

describe('lineChartSvg', () => {
  it('draws every point of a short series, fitting the y axis to the data', () => {
    const values = [2.3, 1.9, 1.2, 0.8, 0.55];
    const out = lineChartSvg([{ label: 'loss', values }], { title: 'loss', xLabel: 'iterations' });
    const names = elements(out);
    expect(count(names, 'circle')).toBe(0);
    expect(/<path d="([^"]*)"/.exec(out)![1].match(/[ML]/g)).toHaveLength(values.length);
    expect(out).toContain('>0.5</text>');
    expect(out).toContain('>2.5</text>');
    expect(out).not.toContain('>3.0</text>');
  });

  it('thins a long series to at most 1000 points, keeping its extremes', () => {
    const values = Array.from({ length: 100_000 }, (_, i) => 2 * Math.exp(-i / 20_000) + 0.1 * Math.sin(i));
    values[54_321] = 10;
    const out = lineChartSvg([{ label: 'loss', values }]);
    elements(out);
    const coordinates = [...(/<path d="([^"]*)"/.exec(out)![1]).matchAll(/[ML]([\d.]+),([\d.]+)/g)];
    expect(coordinates.length).toBeLessThanOrEqual(1000);
    expect(coordinates.length).toBeGreaterThan(500);
    const top = Math.min(...coordinates.map((c) => Number(c[2])));
    expect(top).toBe(40); // the spike reaches the top of the plot
    expect(out.length).toBeLessThan(40_000);
  });

  it.each([
    ['a constant series', [{ label: 'c', values: [3, 3, 3] }]],
    ['a single point', [{ label: 'one', values: [0] }]],
    ['nothing finite', [{ label: 'x', values: [NaN, Infinity] }]],
    ['no series', []],
  ])('draws %s without NaN coordinates', (_, series) => {
    const out = lineChartSvg(series);
    elements(out);
    expect(out).not.toMatch(/NaN|Infinity/);
  });
});

/**
 * The chart's geometry, from its layout: margins of 64 (left), 20 (right), 40 (top) and 50
 * (bottom) around the plot, y rising from yMin at the plot's bottom to yMax at its top, x from 0
 * at its left to xMax at its right, coordinates with one decimal.
 */
function geometry(width: number, height: number, yMin: number, yMax: number, xMax: number) {
  const [plotW, plotH] = [width - 64 - 20, height - 40 - 50];
  return {
    plotW, plotH, bottom: 40 + plotH,
    x: (i: number) => (64 + (i / xMax) * plotW).toFixed(1),
    y: (v: number) => (40 + (1 - (v - yMin) / (yMax - yMin)) * plotH).toFixed(1),
  };
}

describe('the layout, to the pixel', () => {
  const series = [{ label: 'ab', values: [0.5, 1] }, { label: 'c', values: [0.25, 0.5, 0.75], dashed: true }];
  const g = geometry(300, 200, 0, 1, 2);
  /** The chart's elements, drawn inside the test that reads them (see draw above). */
  const drawn = () => {
    const els = parse(accuracyChartSvg(series, { title: 'T', xLabel: 'X', yLabel: 'Y', width: 300, height: 200 }));
    return { els, of: (name: string) => els.filter((e) => e.name === name) };
  };

  it('the document, its background, the clip of the plot (with a marker\'s overhang) and the title', () => {
    const { els, of } = drawn();
    expect(els[0].attrs).toMatchObject({ width: '300', height: '200', viewBox: '0 0 300 200' });
    expect(els[1]).toMatchObject({ name: 'rect', attrs: { width: '300', height: '200', fill: 'white' } });
    expect(els[2]).toMatchObject({ name: 'clipPath', attrs: { id: 'plot-300x200' } });
    expect(els[3].attrs).toEqual({ x: '60', y: '36', width: String(g.plotW + 8), height: String(g.plotH + 8) });
    expect(els[4]).toMatchObject({ name: 'text', attrs: { x: '150', y: '24', 'font-size': '14' }, text: 'T' });
    expect(of('g')[0].attrs['clip-path']).toBe('url(#plot-300x200)');
  });

  it('a grid line, a tick and a label at each tenth-of-five of y, and at each x index', () => {
    const { els, of } = drawn();
    const lines = of('line');
    const yTicks = ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0'];
    yTicks.forEach((label, k) => {
      const ty = g.y(k * 0.2);
      expect(lines[2 * k].attrs).toEqual({ x1: '64', x2: String(64 + g.plotW), y1: ty, y2: ty, stroke: '#e0e0e0' });
      expect(lines[2 * k + 1].attrs).toEqual({ x1: '60', x2: '64', y1: ty, y2: ty, stroke: '#333' });
      expect(els.find((e) => e.name === 'text' && e.text === label)!.attrs).toEqual({ x: '57', y: (Number(ty) + 4).toFixed(1), 'text-anchor': 'end' });
    });
    [0, 1, 2].forEach((i) => {
      const tx = g.x(i);
      expect(lines[12 + 2 * i].attrs).toEqual({ x1: tx, x2: tx, y1: '40', y2: String(g.bottom), stroke: '#e0e0e0' });
      expect(lines[13 + 2 * i].attrs).toEqual({ x1: tx, x2: tx, y1: String(g.bottom), y2: String(g.bottom + 4), stroke: '#333' });
      expect(els.find((e) => e.name === 'text' && e.text === String(i) && e.attrs.x === tx)!.attrs).toEqual({ x: tx, y: String(g.bottom + 17), 'text-anchor': 'middle' });
    });
  });

  it('the plot\'s frame and the axis labels, the y label turned', () => {
    const { els, of } = drawn();
    expect(of('rect').find((r) => r.attrs.fill === 'none')!.attrs).toEqual({ x: '64', y: '40', width: String(g.plotW), height: String(g.plotH), fill: 'none', stroke: '#333' });
    expect(els.find((e) => e.text === 'X')!.attrs).toEqual({ x: String(64 + g.plotW / 2), y: '190', 'text-anchor': 'middle' });
    const cy = 40 + g.plotH / 2;
    expect(els.find((e) => e.text === 'Y')!.attrs).toEqual({ x: '16', y: String(cy), 'text-anchor': 'middle', transform: `rotate(-90 16 ${cy})` });
  });

  it('each series as a path through its points, bold with markers: circles, then squares', () => {
    const { of } = drawn();
    const [first, second] = of('path');
    expect(first.attrs).toEqual({ d: `M${g.x(0)},${g.y(0.5)}L${g.x(1)},${g.y(1)}`, fill: 'none', stroke: '#1f77b4', 'stroke-width': '2' });
    expect(second.attrs).toEqual({
      d: `M${g.x(0)},${g.y(0.25)}L${g.x(1)},${g.y(0.5)}L${g.x(2)},${g.y(0.75)}`, fill: 'none', stroke: '#ff7f0e', 'stroke-width': '2', 'stroke-dasharray': '6 4',
    });
    const circles = of('circle').map((c) => c.attrs);
    expect(circles.slice(0, 2)).toEqual([0.5, 1].map((v, i) => ({ cx: g.x(i), cy: g.y(v), r: '3.5', fill: '#1f77b4' })));
    const squares = of('rect').filter((r) => r.attrs.width === '7').map((r) => r.attrs);
    expect(squares.slice(0, 3)).toEqual([0.25, 0.5, 0.75].map((v, i) => ({
      x: (Number(g.x(i)) - 3.5).toFixed(1), y: (Number(g.y(v)) - 3.5).toFixed(1), width: '7', height: '7', fill: '#ff7f0e',
    })));
  });

  it('the legend at the lower right, sized to its longest label, one row per series', () => {
    const { els, of } = drawn();
    const width = 48 + 7 * 2;
    const [lx, ly] = [64 + g.plotW - width - 8, g.bottom - 8 - 20 * 2 - 8];
    expect(of('rect').find((r) => r.attrs.stroke === '#ccc')!.attrs).toEqual({ x: String(lx), y: String(ly), width: String(width), height: '48', fill: 'white', stroke: '#ccc' });
    const lines = of('line').slice(-2).map((l) => l.attrs);
    expect(lines).toEqual([
      { x1: String(lx + 8), x2: String(lx + 36), y1: String(ly + 14), y2: String(ly + 14), stroke: '#1f77b4', 'stroke-width': '2' },
      { x1: String(lx + 8), x2: String(lx + 36), y1: String(ly + 34), y2: String(ly + 34), stroke: '#ff7f0e', 'stroke-width': '2', 'stroke-dasharray': '6 4' },
    ]);
    expect(of('circle').at(-1)!.attrs).toMatchObject({ cx: (lx + 22).toFixed(1), cy: (ly + 14).toFixed(1) });
    expect(of('rect').at(-1)!.attrs).toMatchObject({ x: (lx + 22 - 3.5).toFixed(1), y: (ly + 34 - 3.5).toFixed(1) });
    expect(els.find((e) => e.text === 'ab')!.attrs).toEqual({ x: String(lx + 42), y: String(ly + 18) });
    expect(els.find((e) => e.text === 'c')!.attrs).toEqual({ x: String(lx + 42), y: String(ly + 38) });
  });

  it('a line chart: thin lines, its legend at the upper right, markers only where a series asks', () => {
    const out = parse(lineChartSvg([{ label: 'loss', values: [1, 0.5] }, { label: 'eval', values: [0.8, 0.6], markers: true }]));
    const paths = out.filter((e) => e.name === 'path');
    expect(paths.map((p) => p.attrs['stroke-width'])).toEqual(['1.2', '2']);
    expect(out.filter((e) => e.attrs.width === '7')).toHaveLength(2 + 1); // the second series': squares
    expect(out.filter((e) => e.name === 'circle')).toHaveLength(0);
    expect(out.find((e) => e.attrs.stroke === '#ccc')!.attrs).toMatchObject({ y: '48' });
    // A series with markers: false on an accuracy chart gets none, and a thin line.
    const unmarked = parse(accuracyChartSvg([{ label: 'a', values: [0.5, 0.6], markers: false }]));
    expect(unmarked.filter((e) => e.name === 'circle')).toHaveLength(0);
    expect(unmarked.find((e) => e.name === 'path')!.attrs['stroke-width']).toBe('1.2');
  });

  it('the series\' own x positions, and xMax from the finite ones only', () => {
    const out = parse(accuracyChartSvg([{ label: 'a', values: [0.5, 0.6, 0.7], x: [0, 2, NaN] }]));
    const x = geometry(640, 420, 0, 1, 2).x;
    expect(out.find((e) => e.name === 'path')!.attrs.d).toBe(`M${x(0)},${geometry(640, 420, 0, 1, 2).y(0.5)}L${x(2)},${geometry(640, 420, 0, 1, 2).y(0.6)}`);
    expect(out.filter((e) => e.name === 'circle')).toHaveLength(2 + 1);
  });

  it('x labels in place of the index numbers, escaped', () => {
    const out = parse(accuracyChartSvg([{ label: 'a', values: [0.5, 0.6] }], { xLabels: ['one', 'a<b'] }));
    expect(out.filter((e) => e.attrs.y === '387').map((e) => e.text)).toEqual(['one', 'a&lt;b']);
  });

  it('colors repeat after four series, markers alternate circle and square', () => {
    const out = parse(accuracyChartSvg([0, 1, 2, 3, 4].map((i) => ({ label: `s${i}`, values: [0.1 * i] }))));
    expect(out.filter((e) => e.name === 'path').map((p) => p.attrs.stroke)).toEqual(['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#1f77b4']);
    const marks = out.filter((e) => e.name === 'circle' || e.attrs.width === '7').slice(0, 5);
    expect(marks.map((m) => [m.name, m.attrs.fill])).toEqual([
      ['circle', '#1f77b4'], ['rect', '#ff7f0e'], ['circle', '#2ca02c'], ['rect', '#d62728'], ['circle', '#1f77b4'],
    ]);
  });
});

describe('lineChartSvg\'s y axis', () => {
  const yLabels = (values: number[]) => parse(lineChartSvg([{ label: 'v', values }])).filter((e) => e.attrs['text-anchor'] === 'end').map((e) => e.text);

  it('round steps of 1, 2 or 5 × 10^k around the data', () => {
    expect(yLabels([2.3, 0.55])).toEqual(['0.5', '1.0', '1.5', '2.0', '2.5']);
    expect(yLabels([0.013, 0.021])).toEqual(['0.012', '0.014', '0.016', '0.018', '0.020', '0.022']);
    // The range is -40..80 (steps of 20 around the data); its ticks, steps of 50 from the first at or above -40.
    expect(yLabels([-30, 70])).toEqual(['0', '50']);
  });

  it('a constant series is centred on a range of its size, 0 on one of 1', () => {
    expect(yLabels([3, 3])).toEqual(['1', '2', '3', '4', '5']);
    expect(yLabels([-3])).toEqual(['-5', '-4', '-3', '-2', '-1']);
    expect(yLabels([0])).toEqual(['-0.5', '0.0', '0.5']); // the range -0.6..0.6, ticked every 0.5
  });

  it('nothing finite: 0 to 1; the infinite values left out of the range', () => {
    expect(yLabels([NaN])).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expect(yLabels([Infinity, 1, 2, -Infinity])).toEqual(['1.0', '1.2', '1.4', '1.6', '1.8', '2.0']);
  });

  it('yMin and yMax given override the data', () => {
    const labels = parse(lineChartSvg([{ label: 'v', values: [2.3, 0.55] }], { yMin: 0, yMax: 4 })).filter((e) => e.attrs['text-anchor'] === 'end').map((e) => e.text);
    expect(labels).toEqual(['0', '1', '2', '3', '4']);
  });
});

describe('thinning a long series', () => {
  const points = (values: number[]) => {
    const d = parse(lineChartSvg([{ label: 'v', values }])).find((e) => e.name === 'path')!.attrs.d;
    return [...d.matchAll(/([ML])([\d.]+),/g)].map((m) => [m[1], Number(m[2])] as const);
  };
  const xOf = (i: number, xMax: number) => Number(geometry(640, 420, 0, 1, xMax).x(i));

  it('1000 values are drawn as they are; 1001 are thinned', () => {
    expect(points(new Array(1000).fill(1))).toHaveLength(1000);
    expect(points(Array.from({ length: 1001 }, (_, i) => i % 3)).length).toBeLessThan(1000);
  });

  it('each bucket of ceil(n / 500) values keeps its minimum and maximum, in order', () => {
    // 2000 values: buckets of 4, the maximum at 4k + 1, the minimum at 4k + 2 (or the other way).
    const values = Array.from({ length: 2000 }, (_, i) => (i % 4 === 1 ? (i % 8 === 1 ? 10 : -10) : i % 4 === 2 ? (i % 8 === 2 ? -10 : 10) : 0));
    const kept = points(values).map(([, x]) => x);
    expect(kept).toEqual(Array.from({ length: 500 }, (_, k) => [xOf(4 * k + 1, 1999), xOf(4 * k + 2, 1999)]).flat());
  });

  it('a flat bucket keeps one point, its first', () => {
    expect(points(new Array(2000).fill(1)).map(([, x]) => x)).toEqual(Array.from({ length: 500 }, (_, k) => xOf(4 * k, 1999)));
  });

  it('a bucket with nothing finite breaks the line; a non-finite value in a bucket is passed over', () => {
    const values = Array.from({ length: 2000 }, (_, i) => (i < 8 ? NaN : i === 9 ? Infinity : 1));
    const drawn = points(values);
    // Buckets 0 and 1 are all NaN: the line starts at bucket 2 (index 8), whose Infinity is skipped.
    expect(drawn[0]).toEqual(['M', xOf(8, 1999)]);
    expect(drawn).toHaveLength(498);
    expect(drawn.filter(([move]) => move === 'M')).toHaveLength(1); // the Infinity did not break the line
    const gap = values.map((v, i) => (i >= 1000 && i < 1004 ? NaN : 1));
    expect(points(gap).filter(([move]) => move === 'M').map(([, x]) => x)).toEqual([xOf(0, 1999), xOf(1004, 1999)]);
  });
});
