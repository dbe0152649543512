// The demo in a real browser: Debian's Chromium driven by playwright-core (CI installs it with
// apt-get). The demo is built (`npm run demo:build`'s Vite build) and served by a plain static
// file server from a subfolder, as a user would host it; the page trains MNIST in its worker,
// classifies a drawn stroke, checks that Chromium and Node produce bit-identical weights from
// the same wasm, and the bundle holds no Node built-in.
import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, createServer, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/wasm-node.js';
import { fetchIdx } from '../../src/data/mnist-fetch.js';
import { Random } from '../../src/random.js';
import { createRuntime } from '../../src/runtime.js';
import { TwoLayerNet } from '../../src/two-layer-net.js';
import { parameterBitsAfterSteps } from '../../demo/determinism.js';
import { readmeExample } from '../support/readme.js';
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
  // Every wait below guards against a hang, it is no time limit: the suite runs other test files
  // on the same cores meanwhile, so each waits as long as the slowest training below may take.
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.setDefaultTimeout(180_000);
  await page.goto(siteUrl);
  await page.waitForSelector('#build[data-build]', { timeout: 60_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Draws a vertical stroke on the canvas (a "1"), which the page classifies as it is drawn. */
async function drawStroke() {
  await page.locator('#draw').scrollIntoViewIfNeeded();
  const box = (await page.locator('#draw').boundingBox())!;
  await page.mouse.move(box.x + 140, box.y + 50);
  await page.mouse.down();
  for (let i = 0; i <= 20; i++) await page.mouse.move(box.x + 140, box.y + 50 + i * 9);
  await page.mouse.up();
  await page.waitForSelector('#probabilities[data-ready="true"]');
  return page.locator('#probabilities').innerText();
}

const state = () => page.getAttribute('#status', 'data-state');

describe('the demo page in Chromium', () => {
  it('trains MNIST in a worker, with progress, charts, and what the network learned', async () => {
    // Chromium runs relaxed SIMD without flags; the page says which build it uses.
    expect(await page.getAttribute('#build', 'data-build')).toBe('relaxed-simd');
    const drawTop = (await page.locator('#draw').boundingBox())!.y;
    await page.fill('#iterations', '3000');
    await page.click('#start');
    // While training: the iteration, the speed of training steps and the time left.
    await page.waitForSelector('#status[data-state="training"]', { timeout: 120_000 });
    await page.waitForFunction(() => /ms per training step +time left \d+:\d\d/.test(document.getElementById('status')!.textContent!));
    await page.waitForSelector('#status[data-state="done"]', { timeout: 180_000 });
    expect(await page.textContent('#status')).toMatch(/^done: 3000 iterations in [\d.]+ s, [\d.]+ ms per training step\ntest accuracy/);
    const testAccuracy = Number(await page.getAttribute('#status', 'data-test-accuracy'));
    expect(testAccuracy).toBeGreaterThan(0.85);
    // The live speed counted training steps only: close to the final figure, not inflated by evaluations.
    const live = Number(await page.getAttribute('#status', 'data-ms-per-step'));
    const final = Number(await page.getAttribute('#status', 'data-ms-per-iteration'));
    expect(final).toBeGreaterThan(0);
    expect(live / final).toBeGreaterThan(0.5);
    expect(live / final).toBeLessThan(2);
    expect(await page.getAttribute('#bar', 'style')).toContain('width: 100%');
    // Evaluations after iterations 1, 601, …, 2401 and the final one at 3000: six train points
    // (circles) and six test points (squares), plus one of each in the legend.
    expect(await page.locator('#accuracy-chart svg circle').count()).toBe(6 + 1);
    expect(await page.locator('#loss-chart svg').textContent()).toContain('step loss (smoothed)');
    // The first layer, test images with the answers, the confusion matrix: the worker computes
    // them after reporting done, so they may arrive a moment later on a busy machine.
    await page.waitForSelector('#weights:not([data-units="0"])');
    expect(await page.getAttribute('#weights', 'data-units')).toBe('100');
    expect(await page.getAttribute('#gallery', 'data-count')).toBe('40');
    expect(await page.locator('#gallery figure.wrong').count()).toBe(Number(await page.getAttribute('#gallery', 'data-wrong')));
    expect(await page.getAttribute('#confusion', 'data-total')).toBe('10000');
    expect(Number(await page.getAttribute('#confusion', 'data-right')) / 10000).toBeCloseTo(testAccuracy, 3);
    // Nothing moved when the charts and pictures appeared.
    expect((await page.locator('#draw').boundingBox())!.y).toBe(drawTop);

    const probabilities = await drawStroke();
    expect(Number(await page.getAttribute('#probabilities', 'data-count'))).toBe(10);
    expect(Math.abs(Number(await page.getAttribute('#probabilities', 'data-sum')) - 1)).toBeLessThan(1e-5);
    expect(probabilities).toMatch(/→ \d/);

    await mkdir(artifacts, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    const screenshot = join(artifacts, 'demo.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    // SIMDNET_UPDATE_SCREENSHOT=1 npx vitest run --project browser refreshes the README's picture.
    if (process.env.SIMDNET_UPDATE_SCREENSHOT) await copyFile(screenshot, join(root, 'docs', 'demo.png'));
  });

  it('saves the model as a download and loads it back from a file input', async () => {
    const before = await drawStroke();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    expect(download.suggestedFilename()).toBe('model.safetensors');
    const saved = join(artifacts, 'saved-model.safetensors');
    await download.saveAs(saved);
    await page.click('#clear');
    await page.setInputFiles('#load', saved);
    await page.waitForFunction(() => /^loaded a 784-100-10 sigmoid network/.test(document.getElementById('status')!.textContent!));
    expect(await drawStroke()).toBe(before);
  });

  it('a bad model file or a bad field reports the cause, clears the bars and keeps the network', async () => {
    const before = await drawStroke();
    await page.setInputFiles('#load', { name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model') });
    await page.waitForSelector('#status[data-state="error"]');
    expect(await page.textContent('#status')).toMatch(/^error: the model file: .+\n\(the previous network is still here\)$/);
    expect(await page.getAttribute('#probabilities', 'data-ready')).toBe('false');
    expect(await page.locator('#probabilities div').count()).toBe(0);
    await page.click('#clear');
    expect(await drawStroke()).toBe(before);

    await page.fill('#hidden', '0');
    await page.click('#start');
    expect(await state()).toBe('error');
    expect(await page.textContent('#status')).toMatch(/^error: hidden units must be a whole number, at least 1, got '0'/);
    expect(await page.getAttribute('#probabilities', 'data-ready')).toBe('false');
    await page.click('#clear');
    expect(await drawStroke()).toBe(before);
    expect(await page.isEnabled('#save')).toBe(true);
    await page.fill('#hidden', '100');
  });

  it('pauses (and says so), resumes, and stops (and says stopped, not done)', async () => {
    await page.fill('#iterations', '200000');
    await page.click('#start');
    await page.waitForSelector('#status[data-state="training"]', { timeout: 120_000 });
    await page.click('#pause');
    expect(await state()).toBe('paused');
    expect(await page.textContent('#pause')).toBe('Resume');
    await new Promise((resolve) => setTimeout(resolve, 300)); // let messages already sent arrive
    const bar = await page.getAttribute('#bar', 'style');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await page.getAttribute('#bar', 'style')).toBe(bar); // no progress while paused
    expect(await state()).toBe('paused');
    await page.click('#pause');
    await page.waitForSelector('#status[data-state="training"]');
    await page.click('#stop');
    await page.waitForSelector('#status[data-state="stopped"]', { timeout: 120_000 });
    expect(await page.textContent('#status')).toMatch(/^stopped at iteration \d+ of 200000 in [\d.]+ s/);
    await page.fill('#iterations', '10000');
  });

  it('trains LeNet-5, shows its six 5×5 first-layer filters, and saves and loads it', async () => {
    await page.selectOption('#model', 'lenet5');
    // The recipe's settings, set by the choice and still editable.
    expect(await page.inputValue('#activation')).toBe('relu');
    expect(await page.inputValue('#optimizer')).toBe('adam');
    expect(await page.inputValue('#lr')).toBe('0.001');
    expect(await page.inputValue('#iterations')).toBe('1200');
    expect(await page.isDisabled('#hidden')).toBe(true);
    await page.fill('#iterations', '150');
    await page.click('#start');
    await page.waitForSelector('#status[data-state="done"]', { timeout: 300_000 });
    expect(await page.textContent('#status')).toMatch(/^done: 150 iterations in [\d.]+ s/);
    // 150 Adam steps of batch 100 (a quarter of an epoch) already classify most test digits.
    const testAccuracy = Number(await page.getAttribute('#status', 'data-test-accuracy'));
    expect(testAccuracy).toBeGreaterThan(0.8);
    await page.waitForSelector('#weights[data-kind="conv2d"]');
    expect(await page.getAttribute('#weights', 'data-units')).toBe('6');
    expect(await page.getAttribute('#weights', 'data-kernel')).toBe('5x5');
    expect(await page.textContent('#weights-caption')).toMatch(/^The 6 filters of the first convolution, each 5×5/);
    // Six tiles of 5×5 on a 3×3 grid: a 17-pixel square, each tile scaled to its largest weight,
    // so every filter has a pixel at full red or full blue.
    const tiles = await page.evaluate(() => {
      const canvas = document.getElementById('weights') as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const saturated = (x0: number, y0: number) => {
        for (let y = y0; y < y0 + 5; y++) {
          for (let x = x0; x < x0 + 5; x++) {
            const [r, g, b] = data.subarray(4 * (y * canvas.width + x));
            if (g === 0 && (r === 0 || b === 0)) return true;
          }
        }
        return false;
      };
      const top = Math.floor((17 - 11) / 2);
      return { side: [canvas.width, canvas.height], saturated: [0, 1, 2, 3, 4, 5].map((t) => saturated((t % 3) * 6, top + Math.floor(t / 3) * 6)) };
    });
    expect(tiles).toEqual({ side: [17, 17], saturated: [true, true, true, true, true, true] });
    expect(Number(await page.getAttribute('#confusion', 'data-right')) / 10000).toBeCloseTo(testAccuracy, 3);
    const before = await drawStroke();
    await page.screenshot({ path: join(artifacts, 'demo-lenet5.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    const saved = join(artifacts, 'saved-lenet5.safetensors');
    await download.saveAs(saved);
    await page.click('#clear');
    await page.setInputFiles('#load', saved);
    await page.waitForFunction(() => /^loaded a LeNet-5 relu network/.test(document.getElementById('status')!.textContent!));
    expect(await drawStroke()).toBe(before);
    // Back to the two-layer network for the tests that follow.
    await page.selectOption('#model', 'two-layer');
    expect(await page.inputValue('#lr')).toBe('0.1');
    expect(await page.inputValue('#iterations')).toBe('10000');
    expect(await page.isDisabled('#hidden')).toBe(false);
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

describe("the README's plain page with an import map", () => {
  it('trains in Chromium with no build step, the wasm found next to the package code', async () => {
    // The page as written, at the root of a static server whose node_modules/ holds simdnet
    // (this checkout) and @assemblyscript/loader.
    const html = readmeExample('import-map page');
    const modules = join(root, 'node_modules');
    const pageServer = await serveStatic(modules, (request, response) => {
      if (request.url !== '/') return false;
      response.writeHead(200, { 'Content-Type': 'text/html' }).end(html);
      return true;
    }, { '/node_modules/simdnet/': root, '/node_modules/': modules });
    const plain = await browser.newPage();
    plain.setDefaultTimeout(180_000);
    try {
      await plain.goto(pageServer.url);
      await plain.waitForFunction(() => document.getElementById('out')!.textContent!.startsWith('accuracy'), undefined, { timeout: 60_000 });
      expect(Number((await plain.textContent('#out'))!.split(' ')[1])).toBeGreaterThan(0.9);
    } finally {
      await plain.close();
      await pageServer.close();
    }
  });
});

describe('the built site', () => {
  it('holds the wasm files (both builds and their threaded twins) and the gzipped MNIST files, and no Node built-in', async () => {
    const assets = await readdir(join(site, 'assets'));
    expect(assets.filter((f) => f.endsWith('.wasm'))).toHaveLength(4);
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

  it('the dev server (npm run demo) serves the same gzipped MNIST files', async () => {
    const dev = await createServer({ configFile: config, logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
    await dev.listen();
    try {
      const base = dev.resolvedUrls!.local[0];
      expect((await fetchIdx(new URL('mnist/train-labels-idx1-ubyte.gz', base))).dims).toEqual([60000]);
    } finally {
      await dev.close();
    }
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
      // It sends COOP/COEP, so the page is cross-origin isolated and its worker trains with
      // threads (the static server above sends neither: one thread there).
      expect(await page.getAttribute('#build', 'data-threads')).toBe('1');
      const isolated = await browser.newPage();
      isolated.setDefaultTimeout(180_000);
      try {
        await isolated.goto(base);
        await isolated.waitForSelector('#build[data-build]', { timeout: 60_000 });
        expect(await isolated.evaluate(() => crossOriginIsolated)).toBe(true);
        expect(Number(await isolated.getAttribute('#build', 'data-threads'))).toBeGreaterThan(1);
        await isolated.fill('#iterations', '600');
        await isolated.click('#start');
        await isolated.waitForSelector('#status[data-state="done"]', { timeout: 180_000 });
        expect(Number(await isolated.getAttribute('#status', 'data-test-accuracy'))).toBeGreaterThan(0.8);
      } finally {
        await isolated.close();
      }
    } finally {
      await previewServer.close();
    }
  });
});
