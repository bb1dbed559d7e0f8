// End-to-end: the record as it streams in, against the real gateway and simulator.
// A slow GP practice: the hospitals' entries are readable while the practice is still
// being asked, and its column fills later. Hospitals down: each shows as failed with a
// "Try again", which asks that source alone once it is back. The demo patient's GP and
// hospital medicines are compared and her results plotted across sources.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, DemoPage, launchBrowser } from './support.mjs';

let browser;
let control;
before(async () => {
  browser = await launchBrowser();
  control = (await (await fetch(`${BASE_URL}/demo/config`)).json()).control_url;
  assert.ok(control, 'the demo gateway names the simulator control endpoint');
});
after(async () => {
  await setFaults([]);
  await browser?.close();
});

async function setFaults(rules) {
  if (!control) return;
  const r = await fetch(`${control}/faults`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(rules),
  });
  assert.ok(r.ok, `the simulator took the faults (${r.status})`);
}

/** The demo page with the panel relaunched (so that the faults now set apply). */
async function relaunched() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const demo = new DemoPage(page);
  await demo.open();
  return { page, demo };
}

test('a slow GP practice: hospital entries are readable first, its column fills later', async () => {
  await setFaults([{ source: 'gp', latency: { kind: 'fixed', ms: 4000 } }]);
  try {
    const { page, demo } = await relaunched();
    const meds = await demo.tab('medications');
    // While the practice is still being asked…
    await page.locator('mcr-panel .mcr-source--waiting').first().waitFor({ timeout: 15000 });
    assert.match(await demo.sources().innerText(), /asking…/);
    await meds.locator('.mcr-column--other .mcr-entry').first().waitFor({ timeout: 15000 });
    assert.match(await meds.locator('.mcr-column--gp').innerText(), /Waiting for the source to answer/);
    assert.equal(await page.locator('mcr-panel .mcr-panel').getAttribute('data-progress'), 'receiving');
    // …and then it answers.
    await demo.complete();
    assert.ok(await meds.locator('.mcr-column--gp .mcr-entry').count() > 0, 'the GP column filled');
    assert.doesNotMatch(await demo.sources().innerText(), /asking…/);
    await page.close();
  } finally {
    await setFaults([]);
  }
});

test('a failed hospital offers "Try again", which asks it alone once it is back', async () => {
  await setFaults(['RR8', 'RAE', 'RCD'].map((ods) => ({ source: ods, fault: { kind: 'status', status: 503 } })));
  let page;
  try {
    let demo;
    ({ page, demo } = await relaunched());
    await demo.complete();
    const failed = page.locator('mcr-panel .mcr-source--problem');
    await failed.first().waitFor();
    assert.match(await failed.first().innerText(), /failed/);
    const before = await (await demo.tab('medications')).locator('.mcr-column--other .mcr-entry').count();
    assert.equal(before, 0, 'nothing from a failed hospital');
  } finally {
    await setFaults([]);
  }
  const demo = new DemoPage(page);
  const sourcesBefore = await page.locator('mcr-panel .mcr-source').count();
  const problemsBefore = await page.locator('mcr-panel .mcr-source--problem').count();
  const retry = page.locator('mcr-panel .mcr-source--problem .mcr-retry').first();
  const name = await page.locator('mcr-panel .mcr-source--problem .mcr-source-name').first().innerText();
  assert.equal(await retry.getAttribute('aria-label'), `Ask ${name} again`);
  const asked = page.waitForRequest((r) => r.url().includes('/record?source='));
  await retry.click();
  const request = await asked;
  assert.doesNotMatch(request.url(), /\d{10}/, 'no NHS number in the retry URL');
  const answered = page.locator('mcr-panel .mcr-source--answered', { hasText: name });
  await answered.waitFor({ timeout: 15000 });
  await (await demo.tab('medications')).locator('.mcr-column--other .mcr-entry', { hasText: name }).first().waitFor();
  // Only the one asked again changed: every source is still listed, one fewer failed.
  assert.equal(await page.locator('mcr-panel .mcr-source').count(), sourcesBefore);
  assert.equal(await page.locator('mcr-panel .mcr-source--problem').count(), problemsBefore - 1);
  await page.close();
});

test('GP and hospital medicines are compared and results plotted across sources', async () => {
  const { page, demo } = await relaunched();
  await demo.complete();
  const comparison = (await demo.tab('medications')).locator('.mcr-compare').first();
  await comparison.waitFor();
  assert.match(await comparison.locator('caption').innerText(), /^GP current medicines and .+ list of \d{2}-[A-Z][a-z]{2}-\d{4}$/);
  const changes = await comparison.locator('tbody th').allInnerTexts();
  assert.ok(changes.length > 0);
  for (const c of changes) {
    assert.ok(['Started in hospital', 'Stopped in hospital', 'Dose changed', 'Unchanged', 'Started by the GP since this list', "Not on the hospital's list"].includes(c), c);
  }
  const results = await demo.tab('results');
  const plot = results.locator('svg.mcr-trend-plot').first();
  await plot.waitFor();
  assert.match(await plot.getAttribute('aria-label'), /^.+: \d+ results from \d+ sources?; latest /);
  assert.ok(await plot.locator('path.mcr-points').count() >= 1);
  await page.close();
});

test('the filter narrows every section as the reader types, and clearing it restores them', async () => {
  const { page, demo } = await relaunched();
  await demo.complete();
  const meds = await demo.tab('medications');
  const all = await meds.locator('.mcr-entry').count();
  const word = (await meds.locator('.mcr-entry-title').first().innerText()).split(' ')[0];
  await page.locator('mcr-panel .mcr-filter-text').fill(word.toLowerCase());
  await page.waitForFunction(() => /match/.test(document.querySelector('mcr-panel').shadowRoot.querySelector('.mcr-section--medications .mcr-count').textContent));
  const titles = await meds.locator('.mcr-column .mcr-entry-title').allInnerTexts();
  assert.ok(titles.length > 0 && titles.length < all, `${titles.length} of ${all}`);
  for (const t of titles) assert.match(t.toLowerCase(), new RegExp(word.toLowerCase()));
  assert.match(await meds.locator('.mcr-count').innerText(), new RegExp(`\\(${titles.length} of \\d+ match\\)`));
  // A section with entries none of which match says so, not "None recorded".
  const problems = await (await demo.tab('problems')).locator('.mcr-empty').allInnerTexts();
  for (const p of problems) assert.doesNotMatch(p, /None recorded/);
  // Typing is not lost while the panel is open, and clearing restores every entry.
  assert.equal(await page.locator('mcr-panel .mcr-filter-text').inputValue(), word.toLowerCase());
  await page.locator('mcr-panel .mcr-filter-clear').click();
  await demo.tab('medications');
  await page.waitForFunction((n) => document.querySelector('mcr-panel').shadowRoot.querySelectorAll('.mcr-section--medications .mcr-entry').length === n, all);
  await page.close();
});
