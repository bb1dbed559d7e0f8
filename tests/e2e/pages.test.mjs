// End-to-end: every page the gateway serves, for accessibility and its security policy.
// axe-core finds no violation on the demo page (with the panel, on each of its tabs), the portal (signed in,
// with a record) and the patient's page; the CSP header is on each page and blocks an
// injected inline script; and a screenshot of each is kept for people to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE_URL, DemoPage, launchBrowser } from './support.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SCREENSHOTS = process.env.MCR_SCREENSHOT_DIR ?? path.join(tmpdir(), 'mcr-e2e');

let browser;
before(async () => { browser = await launchBrowser(); mkdirSync(SCREENSHOTS, { recursive: true }); });
after(async () => { await browser?.close(); });

/** axe-core's violations on the page, shadow roots included (run from the test, not the page). */
async function violations(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return {
      passes: r.passes.length,
      violations: r.violations.map((v) => `${v.id}: ${v.nodes.length} × ${JSON.stringify(v.nodes[0]?.target)}`),
    };
  });
  // axe really looked: it passed rules on this page.
  assert.ok(result.passes > 5, `axe ran only ${result.passes} rules`);
  return result.violations;
}

/** The CSP blocks an inline script injected into the page. */
async function blocksInlineScript(page) {
  const blocked = [];
  page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) blocked.push(m.text()); });
  const ran = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true;';
    document.body.append(s);
    await new Promise((r) => setTimeout(r, 50));
    return window.__injected === true;
  });
  return !ran && blocked.length > 0;
}

async function check(page, name) {
  const response = await page.goto(page.url());
  assert.ok(response.headers()['content-security-policy']?.includes("script-src 'self' 'wasm-unsafe-eval'"), name);
  return response;
}

/** Console reports of CSP violations on `page`, from now on. */
function cspViolations(page) {
  const seen = [];
  page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) seen.push(m.text()); });
  return seen;
}

test('the demo page: no accessibility violation, CSP in force, screenshot kept', async () => {
  for (const width of [1280, 720]) {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const csp = cspViolations(page);
    const demo = new DemoPage(page);
    const response = await page.goto(`${BASE_URL}/`);
    assert.ok(response.headers()['content-security-policy'].includes('frame-ancestors'));
    await demo.complete();
    await demo.commentsReady();
    // Each tab in turn (only the selected one's panel is in the page), with its folded
    // text opened, so the comparison tables and trend plots are checked too.
    const tabs = await page.locator('mcr-panel [role=tab]').evaluateAll((els) => els.map((e) => e.dataset.tab));
    assert.ok(tabs.length > 5, `${tabs}`);
    for (const tab of tabs) {
      await demo.tab(tab);
      await page.locator(`mcr-panel [role=tab][data-tab="${tab}"][aria-selected=true]`).waitFor();
      await page.evaluate(() => {
        for (const d of document.querySelector('mcr-panel').shadowRoot.querySelectorAll('details')) d.open = true;
      });
      assert.deepEqual(await violations(page), [], `the ${tab} tab at ${width} px`);
      if (tab === 'medications') {
        await page.screenshot({ path: path.join(SCREENSHOTS, `demo-${width}-medications.png`), fullPage: true });
      }
    }
    await demo.tab('summary');
    // The page itself (panel, wasm, patient list, simulator controls) breaks no rule.
    await page.locator('#epr-patient-list button').first().waitFor();
    assert.deepEqual(csp, []);
    assert.ok(await blocksInlineScript(page), 'an injected inline script is blocked');
    await page.screenshot({ path: path.join(SCREENSHOTS, `demo-${width}.png`), fullPage: true });
    await page.close();
  }
});

test('the portal and the patient page: no accessibility violation, CSP in force, screenshots kept', async () => {
  const page = await browser.newPage();
  const csp = cspViolations(page);
  await page.goto(`${BASE_URL}/www/portal.html`);
  await check(page, 'portal');
  assert.deepEqual(await violations(page), [], 'portal, signed out');
  await page.click('#sign-in');
  await page.waitForURL(/\/demo\/authorize\?/);
  assert.deepEqual(await violations(page), [], 'demo sign-in page');
  await page.check('input[name=user][value=privacy-officer]');
  await page.click('#demo-sign-in button[type=submit]');
  await page.locator('#portal-search').waitFor();
  await page.fill('#search-nhs', '9990000018');
  await page.fill('#search-reason', 'Accessibility check');
  await page.click('#search-form button[type=submit]');
  await page.locator('#access-log tbody tr').first().waitFor();
  assert.deepEqual(await violations(page), [], 'portal, privacy officer');
  assert.deepEqual(csp, [], 'sign-in, search and the officer views break no rule');
  assert.ok(await blocksInlineScript(page));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'portal-officer.png'), fullPage: true });
  await page.close();

  const patient = await browser.newPage();
  await patient.goto(`${BASE_URL}/www/patient.html`);
  await check(patient, 'patient');
  await patient.click('#patient-form button[type=submit]');
  await patient.locator('#patient-table tbody tr').first().waitFor();
  assert.deepEqual(await violations(patient), [], 'patient page');
  await patient.screenshot({ path: path.join(SCREENSHOTS, 'patient.png'), fullPage: true });
  await patient.close();
});
