// The table loader in a real browser: bundled by Vite for the browser (Papa Parse's browser
// build, no Node built-in), run in Debian's Chromium, and compared bit for bit with Node.
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build, type Rollup } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableFromCsv } from '../../src/data/table.js';
import { applyTableTransform } from '../../src/data/table-transform.js';
import { TABLE_CSV, TABLE_OPTIONS } from './table-case.js';

let browser: Browser;
let bundle: string;

beforeAll(async () => {
  const output = await build({
    configFile: false,
    logLevel: 'error',
    build: {
      write: false,
      minify: false,
      lib: { entry: resolve(import.meta.dirname, 'table-page.ts'), formats: ['iife'], name: 'tablePage' },
    },
  }) as Rollup.RollupOutput[];
  bundle = output[0].output[0].code;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
});

describe('the table loader in Chromium', () => {
  it('bundles without Node built-ins and gives the same bits as Node', async () => {
    expect(bundle).not.toMatch(/["']node:|require\(["'](fs|stream|buffer)["']\)/);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.setContent('<!doctype html><title>table</title>');
    await page.addScriptTag({ content: bundle });
    const inBrowser = await page.evaluate(() => (globalThis as { tableResult?: unknown }).tableResult);
    expect(errors).toEqual([]);
    const table = tableFromCsv(TABLE_CSV, TABLE_OPTIONS);
    expect(inBrowser).toEqual({
      featureNames: ['city=Lima', 'city=Oslo, NO', 'day', 'rain'],
      skipped: { count: 1, rows: [2], byColumn: { city: 0, day: 0, rain: 1, weather: 0 } },
      train: Array.from(table.train.inputs),
      test: Array.from(table.test!.inputs),
      targets: Array.from(table.train.targets),
      reapplied: Array.from(applyTableTransform(table.transform, [{ city: 'Oslo, NO', day: '2020-06-30', rain: '3.5' }])),
    });
  });
});
