// How fast the page solves proofs of work, in headless Chromium:
//
//   node tests/e2e/pow-speed.mjs            (after scripts/build-frontend.sh)
//
// Serves frontend/dist on a loopback port, measures the solver's hashes per
// second on one thread, then times the page's own `otpSolve` (one Web
// Worker per core) at difficulties 18, 19 and 20 over random tokens.
// Prints one JSON object; a benchmark, never a test.
import { chromium } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../frontend/dist');
const types = { html: 'text/html', js: 'text/javascript', css: 'text/css', wasm: 'application/wasm' };
const runs = Number(process.env.RUNS ?? 10);

const server = createServer(async (req, res) => {
  const name = req.url === '/' ? 'index.html' : path.basename(req.url);
  try {
    const body = await readFile(path.join(dist, name));
    res.writeHead(200, { 'content-type': types[name.split('.').pop()] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => typeof globalThis.otpSolve === 'function');
  const result = await page.evaluate(async (runs) => {
    const wasm = [...document.querySelectorAll('script, link')]
      .map((e) => e.src || e.href)
      .find((u) => u.endsWith('.js') && u.includes('/boot-'));
    const boot = await (await fetch(wasm)).text();
    const pow = new URL(/"\.\/(pow-[0-9a-f]{8}\.js)"/.exec(boot)[1], wasm);
    const powJs = await (await fetch(pow)).text();
    const solverUrl = new URL(/"\.\/(pow-[0-9a-f]{8}\.wasm)"/.exec(powJs)[1], wasm);
    const { instance } = await WebAssembly.instantiateStreaming(fetch(solverUrl));
    const s = instance.exports;
    const token = new TextEncoder().encode('v1.' + 'x'.repeat(80));
    new Uint8Array(s.memory.buffer, s.token(), token.length).set(token);
    s.solve(token.length, 255, 0, 1 << 16); // warm up
    const n = 1 << 22;
    let t = performance.now();
    s.solve(token.length, 255, 0, n); // 255 bits: never found, so all n are tried
    const perThread = n / ((performance.now() - t) / 1000);

    const solves = {};
    for (const difficulty of [18, 19, 20]) {
      const times = [];
      for (let i = 0; i < runs; i++) {
        const tok = 'v1.' + crypto.randomUUID() + crypto.randomUUID();
        t = performance.now();
        await globalThis.otpSolve(tok, difficulty, () => {});
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      solves[difficulty] = {
        mean_ms: Math.round(times.reduce((a, b) => a + b, 0) / runs),
        median_ms: Math.round(times[runs >> 1]),
        max_ms: Math.round(times[runs - 1]),
      };
    }
    return { workers: Math.min(navigator.hardwareConcurrency || 1, 8), hashes_per_s_one_thread: Math.round(perThread), solves };
  }, runs);
  for (const d of [18, 19, 20]) {
    result.solves[d].expected_ms = Math.round((2 ** d / (result.hashes_per_s_one_thread * result.workers)) * 1000);
  }
  console.log(JSON.stringify({ runs, ...result }, null, 2));
} finally {
  await browser.close();
  server.close();
}
