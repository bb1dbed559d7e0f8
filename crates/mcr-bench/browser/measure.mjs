// Serves the prepared bench directory on 127.0.0.1 (port 0) and times both subjects in
// headless Debian Chromium, each run in a fresh page: for each size, `runs` rounds of
// ours then the peer. Prints the browser's version ({browser}), then one JSON line per
// run ({subject, n, run, ms, entries, refusedRequests}), and stops the server and browser;
// a watchdog ends the process if a run hangs.
//
// Usage: node measure.mjs ROOT_DIR SIZES(comma-separated) RUNS
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const [rootArg, sizesArg, runsArg] = process.argv.slice(2);
if (!rootArg || !sizesArg || !runsArg) {
  console.error('usage: node measure.mjs ROOT_DIR SIZES RUNS');
  process.exit(2);
}
const root = resolve(rootArg);
const sizes = sizesArg.split(',').map(Number);
const runs = Number(runsArg);

const WATCHDOG_MS = 20 * 60 * 1000;
const watchdog = setTimeout(() => {
  console.error('measure.mjs: gave up after 20 minutes');
  process.exit(1);
}, WATCHDOG_MS);

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

const server = createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname));
  const file = join(root, path);
  const isFile = file.startsWith(root) && (await stat(file).catch(() => null))?.isFile();
  if (req.method !== 'GET' || !isFile) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-store',
  });
  createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

// launch() gives the browser a fresh temporary user data directory of its own.
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  chromiumSandbox: false,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
  ],
});

try {
  console.log(JSON.stringify({ browser: browser.version() }));
  for (const n of sizes) {
    for (let run = 0; run < runs; run += 1) {
      for (const subject of ['ours', 'peer']) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(`${base}/bench.html?subject=${subject}&n=${n}`);
        await page.waitForFunction(() => window.mcrBenchReady === true || undefined, null, {
          timeout: 120_000,
        }).catch((e) => {
          throw new Error(`${subject} n=${n} did not get ready: ${errors.join('; ') || e}`);
        });
        const result = await page.evaluate(() => window.mcrBenchRun());
        if (errors.length) {
          throw new Error(`${subject} n=${n}: ${errors.join('; ')}`);
        }
        console.log(JSON.stringify({ subject, n, run, ...result }));
        await page.close();
      }
    }
  }
} finally {
  await browser.close();
  server.close();
  clearTimeout(watchdog);
}
