// The demo in a real browser: Debian's Chromium driven by playwright-core (CI installs it with
// apt-get). The demo is built (`npm run demo:build`'s Vite build) and served by a plain static
// file server from a subfolder, as a user would host it; the page trains MNIST in its worker,
// classifies a drawn stroke, checks that Chromium and Node produce bit-identical weights from
// the same wasm, and the bundle holds no Node built-in.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/wasm-node.js';
import { fetchIdx } from '../../src/data/mnist-fetch.js';
import { Random } from '../../src/random.js';
import { createRuntime } from '../../src/runtime.js';
import { TwoLayerNet } from '../../src/two-layer-net.js';
import { parameterBitsAfterSteps } from '../../demo/determinism.js';
import { serveStatic, type StaticServer } from '../support/static-server.js';

const root = resolve(import.meta.dirname, '..', '..');
const config = join(root, 'demo', 'vite.config.ts');
const artifacts = join(root, 'test-results');
const site = join(artifacts, 'demo-site');
let server: StaticServer;
let browser: Browser;
let page: Page;
let siteUrl: string;

beforeAll(async () => {
  await rm(site, { recursive: true, force: true });
  await build({ configFile: config, logLevel: 'error', build: { outDir: site, emptyOutDir: true } });
  server = await serveStatic(artifacts);
  siteUrl = `${server.url}demo-site/`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(siteUrl);
  await page.waitForSelector('#build[data-build]', { timeout: 60_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the demo page in Chromium', () => {
  it('trains MNIST in a worker and classifies a drawn stroke', async () => {
    // Chromium runs relaxed SIMD without flags; the page says which build it uses.
    expect(await page.getAttribute('#build', 'data-build')).toBe('relaxed-simd');
    await page.fill('#iterations', '1200');
    await page.click('#start');
    await page.waitForSelector('#status[data-state="done"]', { timeout: 180_000 });
    const testAccuracy = Number(await page.getAttribute('#status', 'data-test-accuracy'));
    expect(testAccuracy).toBeGreaterThan(0.8);
    expect(Number(await page.getAttribute('#status', 'data-ms-per-iteration'))).toBeGreaterThan(0);
    expect(await page.locator('#chart svg circle').count()).toBeGreaterThan(0);

    await page.locator('#draw').scrollIntoViewIfNeeded();
    const box = (await page.locator('#draw').boundingBox())!;
    await page.mouse.move(box.x + 140, box.y + 50);
    await page.mouse.down();
    for (let i = 0; i <= 20; i++) await page.mouse.move(box.x + 140, box.y + 50 + i * 9);
    await page.mouse.up();
    await page.waitForSelector('#probabilities[data-ready="true"]');
    expect(Number(await page.getAttribute('#probabilities', 'data-count'))).toBe(10);
    expect(Math.abs(Number(await page.getAttribute('#probabilities', 'data-sum')) - 1)).toBeLessThan(1e-5);

    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'demo.png'), fullPage: true });
  });

  it.each(['simd', 'relaxed-simd'] as const)('%s: Chromium and Node train to bit-identical weights', async (kernelBuild) => {
    const steps = 5;
    // The page runs demo/determinism.ts with the bundled library, this test with the sources.
    const inBrowser = await page.evaluate(
      ([b, n]) => (window as unknown as { simdnetDeterminism(b: string, n: number): Promise<number[]> }).simdnetDeterminism(b, n),
      [kernelBuild, steps] as const,
    );
    const inNode = await parameterBitsAfterSteps({ createRuntime, Random, TwoLayerNet }, kernelBuild, steps);
    expect(inBrowser.length).toBe(inNode.length);
    expect(inBrowser).toEqual(inNode);
  });
});

describe('the built site', () => {
  it('holds both wasm files and the gzipped MNIST files, and no Node built-in', async () => {
    const assets = await readdir(join(site, 'assets'));
    expect(assets.filter((f) => f.endsWith('.wasm'))).toHaveLength(2);
    expect((await readdir(join(site, 'mnist'))).sort()).toEqual([
      't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
    ]);
    for (const file of assets.filter((f) => f.endsWith('.js'))) {
      const code = await readFile(join(site, 'assets', file), 'utf8');
      expect(code, file).not.toMatch(/["'`]node:[a-z]/);
      expect(code, file).not.toMatch(/\brequire\(\s*["'`](fs|path|os|zlib|module|url|crypto|child_process)["'`]\s*\)/);
      expect(code, file).not.toMatch(/\bfrom\s*["'`](fs|path|os|zlib|module|url)["'`]/);
    }
    const sizes = await Promise.all(assets.map(async (f) => {
      const bytes = await readFile(join(site, 'assets', f));
      return `${f}: ${bytes.length} B (${gzipSync(bytes).length} B gzip)`;
    }));
    console.log(`bundle sizes:\n${sizes.join('\n')}`);
  });

  it('is served by vite preview too (npm run demo:preview), MNIST included', async () => {
    const previewServer: PreviewServer = await preview({
      configFile: config, logLevel: 'error', build: { outDir: site }, preview: { port: 0, host: '127.0.0.1' },
    });
    try {
      const base = previewServer.resolvedUrls!.local[0];
      // vite preview sends .gz files with Content-Encoding: gzip; fetchIdx takes either form.
      expect((await fetchIdx(new URL('mnist/t10k-labels-idx1-ubyte.gz', base))).dims).toEqual([10000]);
      expect(await (await fetch(base)).text()).toContain('simdnet');
    } finally {
      await previewServer.close();
    }
  });
});
