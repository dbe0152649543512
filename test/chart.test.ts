import { describe, expect, it } from 'vitest';
import { accuracyChartSvg, lineChartSvg } from '../src/chart.js';
import { ValueError } from '../src/errors.js';

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
  const svg = accuracyChartSvg(
    [{ label: 'train acc', values: train }, { label: 'test acc', values: test, dashed: true }],
    { title: '784-50-10 sigmoid', xLabel: 'epochs', yLabel: 'accuracy' },
  );

  it('is a well-formed, self-contained SVG document', () => {
    const names = elements(svg);
    expect(names[0]).toBe('svg');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="640" height="420" viewBox="0 0 640 420"/);
    expect(svg).not.toMatch(/<script|<style|href=/);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('draws one marker per point (circles, then squares) plus one per legend entry', () => {
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
    expect(() => accuracyChartSvg([], { yMax: NaN })).toThrow(ValueError);
    expect(() => accuracyChartSvg([], { width: 10 })).toThrow(ValueError);
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
