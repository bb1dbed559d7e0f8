// End-to-end: the demo EPR page in headless Chromium, driven by playwright-core.
// Run by `cargo xtask test`, which starts the simulator and the gateway and sets
// MCR_BASE_URL (and MCR_SCREENSHOT_DIR for the screenshot).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DemoPage, launchBrowser } from './support.mjs';

const SCREENSHOTS = process.env.MCR_SCREENSHOT_DIR ?? path.join(tmpdir(), 'mcr-e2e');
// The first synthetic patient of mcr-sim's default population (see its population module).
const PATIENT = { nhs: '999 000 0018' };

let browser;

before(async () => {
  // launch() gives every run a fresh, temporary user data directory of its own.
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

test('the demo page shows the patient, GP problems and medications inside the panel', async () => {
  const page = await browser.newPage();
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const demo = new DemoPage(page);
  await demo.open();
  await demo.complete();
  const banner = await demo.banner().innerText();
  assert.match(banner, /999 000 0018/);
  assert.match(banner, /^[A-Z' -]+, [A-Z][a-z]+/m, `banner shows FAMILY, Given: ${banner}`);
  assert.match(banner, /Riverside Medical Practice \(Y90001\)/);
  const meds = await demo.section('medications').innerText();
  assert.match(meds, /\d+mg/, `a medication is listed: ${meds}`);
  assert.match(meds, /Riverside Medical Practice/, 'each medication names its source');
  const problems = await demo.section('problems').locator('.mcr-entry').count();
  assert.ok(problems >= 1, 'at least one GP problem is listed');
  const sources = await demo.sources().innerText();
  assert.match(sources, /answered/);
  assert.doesNotMatch(sources, /asking…/, 'complete: no source still being asked');
  // GP and hospital side by side: the demo patient has a hospital admission.
  assert.ok(await demo.section('medications').locator('.mcr-column--other').count() === 1);
  // The panel's DOM is in its shadow root, not the host page's light DOM.
  const lightDomText = await page.evaluate(() => document.querySelector('mcr-panel').textContent);
  assert.equal(lightDomText, '');
  // The token is a property, never an attribute of the element.
  const attributes = await page.evaluate(() => document.querySelector('mcr-panel').getAttributeNames());
  assert.deepEqual(attributes, ['id']);
  // Nothing is kept in browser storage.
  const stored = await page.evaluate(() => localStorage.length + sessionStorage.length);
  assert.equal(stored, 0);
  assert.deepEqual(dialogs, []);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'demo-page.png'), fullPage: true });
  await page.close();
});

test('the NHS number never appears in a request URL', async () => {
  const page = await browser.newPage();
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));
  const demo = new DemoPage(page);
  await demo.open();
  await demo.complete();
  assert.ok(urls.some((u) => u.includes('/api/v1/contexts/')), 'the record was fetched');
  for (const u of urls) assert.ok(!u.includes(PATIENT.nhs.replace(/ /g, '')), `NHS number in URL ${u}`);
  await page.close();
});
