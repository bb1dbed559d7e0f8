// End-to-end: consent and the patient context in the demo page. A dissented patient's
// record is refused in plain words; a clinician breaks the glass with a reason and the
// panel shows the record under a persistent emergency marker; closing the panel ends
// the context and the grant, which a privacy officer then reviews. The host hears the
// panel's events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, DemoPage, launchBrowser } from './support.mjs';

// The demo page's patient (the first of mcr-sim's population).
const NHS = '9990000018';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** Calls the gateway as `token`; returns the response. */
async function api(method, path, token, body) {
  return fetch(`${BASE_URL}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function demoToken(user, nhs) {
  const r = await fetch(`${BASE_URL}/demo/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user, nhs_number: nhs }),
  });
  return (await r.json()).access_token;
}

/** A privacy officer with a context on the demo patient, opened by search with a reason. */
async function officer() {
  const token = await demoToken('privacy-officer');
  const r = await api('POST', '/api/v1/contexts', token, { nhs_number: NHS, reason: 'end-to-end test of the dissent register' });
  assert.equal(r.status, 201);
  const { context_id: ctx } = await r.json();
  return { token, ctx };
}

test('a dissented record is refused in plain words, and breaking the glass opens it under a marker', async () => {
  const po = await officer();
  assert.equal((await api('PUT', `/api/v1/contexts/${po.ctx}/dissent`, po.token, { reason: 'letter' })).status, 204);
  try {
    const page = await browser.newPage();
    const demo = new DemoPage(page);
    await demo.open();
    const form = page.locator('mcr-panel .mcr-break-glass');
    await form.waitFor({ timeout: 30000 });
    const refusal = await page.locator('mcr-panel .mcr-error').first().innerText();
    assert.match(refusal, /asked for their record not to be shared/);
    // Nothing clinical is shown while refused.
    assert.equal(await demo.section('medications').count(), 0);
    // A coded reason and an explanation are both required.
    await form.locator('button[type=submit]').click();
    assert.match(await form.locator('[role=alert]').innerText(), /reason/i);
    const reason = 'Unconscious in resus, no history available';
    await form.locator('textarea').fill(reason);
    await form.locator('button[type=submit]').click();
    assert.match(await form.locator('[role=alert]').innerText(), /choose the reason/i);
    await form.getByLabel('Reason for emergency access').selectOption('emergency-patient-cannot-be-asked');
    await form.locator('button[type=submit]').click();
    await demo.complete();
    const marker = await page.locator('mcr-panel .mcr-emergency').innerText();
    assert.match(marker, /Emergency access/);
    assert.ok(marker.includes(reason), marker);
    assert.match(marker, /Emergency: the patient cannot be asked/);
    assert.ok(await (await demo.tab('medications')).locator('.mcr-entry').count() > 0, 'the record is shown');

    // The grant awaits review, still in force.
    let listed = await (await api('GET', '/api/v1/break-glass', po.token)).json();
    const grant = listed.grants.find((g) => g.reason === reason);
    assert.ok(grant, JSON.stringify(listed));
    assert.equal(grant.code, 'emergency-patient-cannot-be-asked');
    assert.equal(grant.user_id, 'ae-doctor');
    assert.equal(grant.ended, null);

    // Switching user closes this panel: its context ends, and the grant with it.
    const ended = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/v1/contexts/'));
    await demo.signInAs('ward-nurse');
    assert.equal((await ended).status(), 204);
    await page.locator('mcr-panel .mcr-break-glass').waitFor();
    assert.equal(await page.locator('mcr-panel .mcr-emergency').count(), 0, 'the marker went with the grant');
    listed = await (await api('GET', '/api/v1/break-glass', po.token)).json();
    assert.ok(listed.grants.find((g) => g.id === grant.id).ended, 'the grant ended with its context');
    assert.equal((await api('POST', `/api/v1/break-glass/${grant.id}/review`, po.token)).status, 204);
    await page.close();
  } finally {
    assert.equal((await api('DELETE', `/api/v1/contexts/${po.ctx}/dissent`, po.token)).status, 200);
  }
});

test('the host hears mcr-ready, and the NHS number and token never reach an event', async () => {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.__mcrEvents = [];
    for (const name of ['mcr-ready', 'mcr-error', 'mcr-token-expired', 'mcr-patient-mismatch']) {
      document.addEventListener(name, (e) => window.__mcrEvents.push({ name, target: e.target.tagName, detail: JSON.stringify(e.detail) }));
    }
  });
  const demo = new DemoPage(page);
  await demo.open();
  await demo.complete();
  await page.waitForFunction(() => window.__mcrEvents.some((e) => e.name === 'mcr-ready'));
  const events = await page.evaluate(() => window.__mcrEvents);
  assert.deepEqual(events.map((e) => e.name), ['mcr-ready']);
  assert.equal(events[0].target, 'MCR-PANEL', 'retargeted to the host element');
  assert.ok(!events[0].detail.includes(NHS));
  // Switching user mid-load aborts quietly: no error event, no script error, and the
  // last user's panel is the one shown.
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.evaluate(() => { window.__mcrEvents = []; });
  await demo.signInAs('gp');
  await demo.signInAs('ward-nurse');
  await demo.signInAs('privacy-officer');
  await page.locator('mcr-panel .mcr-error').waitFor();
  assert.match(await page.locator('mcr-panel .mcr-error').innerText(), /your role opens records by search/);
  assert.deepEqual(errors, []);
  // A panel that finished before the next switch may have said it was ready; an aborted
  // one says nothing; the last one reports its refusal once.
  const after = await page.evaluate(() => window.__mcrEvents.map((e) => e.name + ' ' + e.detail));
  assert.deepEqual(after.filter((e) => !e.startsWith('mcr-ready')), ['mcr-error {"code":"launch_not_permitted","message":"your role opens records by search, with a reason (in the portal), not from a launch"}']);
  assert.ok(after.at(-1).startsWith('mcr-error'));
  await page.close();
});
