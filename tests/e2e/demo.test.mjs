// End-to-end: the demo EPR page in headless Chromium, driven by playwright-core.
// Run by `cargo xtask test`, which starts the simulator and the gateway and sets
// MCR_BASE_URL (and MCR_SCREENSHOT_DIR for the screenshot).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE_URL as BASE, DemoPage, launchBrowser } from './support.mjs';

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
  const meds = await (await demo.tab('medications')).innerText();
  assert.match(meds, /\d+mg/, `a medication is listed: ${meds}`);
  assert.match(meds, /Riverside Medical Practice/, 'each medication names its source');
  const problems = await (await demo.tab('problems')).locator('.mcr-entry').count();
  assert.ok(problems >= 1, 'at least one GP problem is listed');
  const sources = await demo.sources().innerText();
  assert.match(sources, /answered/);
  assert.doesNotMatch(sources, /asking…/, 'complete: no source still being asked');
  // GP and hospital side by side: the demo patient has a hospital admission.
  assert.ok(await (await demo.tab('medications')).locator('.mcr-column--other').count() === 1);
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

test('the demo page lists synthetic patients and switches simulated faults on and off', async () => {
  const page = await browser.newPage();
  const demo = new DemoPage(page);
  await demo.open();
  await demo.complete();
  const list = page.locator('#epr-patient-list button');
  await list.first().waitFor();
  assert.ok(await list.count() >= 10);
  // Choosing another patient relaunches the panel in their context.
  const second = list.nth(1);
  const nhs = (await second.locator('small').innerText()).slice(0, 12);
  const opened = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/contexts'));
  await second.click();
  await opened;
  await demo.complete();
  assert.match(await demo.banner().innerText(), new RegExp(nhs));
  assert.equal(await page.locator('mcr-panel .mcr-mismatch').count(), 0, 'the EPR and the record agree');
  // Searching by name narrows the list.
  const family = (await list.first().innerText()).split(',')[0];
  await page.fill('#epr-search', family.toLowerCase());
  await page.waitForFunction((f) => [...document.querySelectorAll('#epr-patient-list button')].every((b) => b.textContent.startsWith(f) || b.textContent.includes(`, ${f}`)), family);
  try {
    // The GP answering for someone else: its answer is discarded and the panel says so.
    let relaunched = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/contexts'));
    await page.click('[data-fault="wrong-patient"]');
    await relaunched;
    await demo.complete();
    assert.match(await demo.sources().innerText(), /answered about a different patient/);
    relaunched = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/contexts'));
    await page.click('[data-fault="clear"]');
    await relaunched;
    await demo.complete();
    assert.doesNotMatch(await demo.sources().innerText(), /different patient|failed/);
  } finally {
    await fetch(`${(await (await fetch(`${BASE}/demo/config`)).json()).control_url}/faults`, { method: 'DELETE' });
  }
  await page.close();
});

test('the record tabs: keys move along them, and the printout holds every tab without them', async () => {
  const page = await browser.newPage();
  const demo = new DemoPage(page);
  await demo.open();
  await demo.complete();
  const selected = () => page.locator('mcr-panel [role=tab][aria-selected=true]').getAttribute('data-tab');
  const focused = () => page.evaluate(() => document.querySelector('mcr-panel').shadowRoot.activeElement?.dataset.tab);
  assert.equal(await selected(), 'summary', 'the summary is read first');
  await page.locator('mcr-panel [role=tab][data-tab="summary"]').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await focused(), 'problems');
  assert.equal(await selected(), 'problems');
  await demo.section('problems').waitFor();
  await page.keyboard.press('End');
  assert.equal(await focused(), 'care-plans');
  await page.keyboard.press('ArrowRight');
  assert.equal(await focused(), 'summary', 'wraps around');
  // Tab leaves the tab list for the panel: the other tabs are not in the Tab order.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.querySelector('mcr-panel').shadowRoot.activeElement?.getAttribute('role')), 'tabpanel');
  // Printing: the page as print media lays it out, after the browser's beforeprint.
  await page.emulateMedia({ media: 'print' });
  await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  assert.equal(await page.locator('mcr-panel [role=tablist]').isVisible(), false, 'no tabs on paper');
  const printed = page.locator('mcr-panel .mcr-print-all > section');
  const tabs = await page.locator('mcr-panel [role=tab]').count();
  assert.equal(await printed.count(), tabs, 'the summary and every section');
  for (let i = 0; i < tabs; i += 1) assert.ok(await printed.nth(i).isVisible());
  await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
  await page.emulateMedia({ media: 'screen' });
  assert.equal(await printed.count(), 0);
  assert.ok(await page.locator('mcr-panel [role=tablist]').isVisible());
  await page.close();
});
