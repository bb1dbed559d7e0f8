// End-to-end: cross-origin embedding, as in a real EPR. A plain host page is served
// from a second loopback origin under the host Content-Security-Policy the README
// documents, and embeds the panel from the gateway's origin: the module and wasm load
// cross-origin, the CORS preflight for the Authorization header passes, and the record
// streams in — with no CSP violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { BASE_URL, launchBrowser } from './support.mjs';

const HOST_PORT = Number(process.env.MCR_HOST_PORT);
const HOST = `http://127.0.0.1:${HOST_PORT}`;

/** The Content-Security-Policy a host page needs to run the panel from `gateway`. */
function hostCsp(gateway) {
  return `default-src 'self'; script-src 'self' ${gateway} 'wasm-unsafe-eval'; connect-src ${gateway}; `
    + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'";
}

const PAGE = `<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Host EPR</title><link rel="icon" href="data:,">
<script type="module" src="/host.js"></script></head>
<body><h1>Another organisation's EPR</h1><mcr-panel id="panel"></mcr-panel></body></html>`;

const SCRIPT = `
const gateway = ${JSON.stringify(BASE_URL)};
const { default: init } = await import(gateway + '/pkg/mcr_panel.js');
await init();
const r = await fetch(gateway + '/demo/token', { method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ user: 'ae-doctor', nhs_number: '9990000018' }) });
const { access_token } = await r.json();
const panel = document.getElementById('panel');
panel.gatewayUrl = gateway;
panel.nhsNumber = '9990000018';
panel.token = access_token;
`;

let browser;
let server;

before(async () => {
  browser = await launchBrowser();
  server = http.createServer((req, res) => {
    const csp = hostCsp(BASE_URL);
    if (req.url === '/host.html') res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Security-Policy': csp }).end(PAGE);
    else if (req.url === '/host.js') res.writeHead(200, { 'Content-Type': 'text/javascript', 'Content-Security-Policy': csp }).end(SCRIPT);
    else res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(HOST_PORT, '127.0.0.1', resolve));
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

test('a host page on another origin embeds the panel under the documented CSP', { skip: !HOST_PORT && 'MCR_HOST_PORT not set (cargo xtask test sets it)' }, async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${HOST}/host.html`);
  await page.locator('mcr-panel .mcr-panel[data-progress="complete"]').waitFor({ timeout: 30000 });
  assert.match(await page.locator('mcr-panel .mcr-banner').innerText(), /999 000 0018/);
  await page.locator('mcr-panel [role=tab][data-tab="medications"]').click();
  assert.ok(await page.locator('mcr-panel .mcr-section--medications .mcr-entry').count() > 0);
  assert.deepEqual(problems, []);
  // The gateway's own pages may not be framed by this host unless configured: it is.
  const headers = (await (await fetch(`${BASE_URL}/`)).headers);
  assert.ok(headers.get('content-security-policy').includes(`frame-ancestors 'self' ${HOST}`));
  await page.close();
});
