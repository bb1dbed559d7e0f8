// End-to-end: the panel's embedding API in the demo page. Host demographics that differ
// from the shared record raise a prominent alert and mcr-patient-mismatch; a record
// left open is flagged as possibly out of date and can be refreshed (a new context);
// setPatient switches patient at once, ending the old context.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DemoPage, launchBrowser } from './support.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** The demo page with its panel complete, events recorded in window.__mcrEvents. */
async function demo() {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.__mcrEvents = [];
    for (const name of ['mcr-ready', 'mcr-error', 'mcr-patient-mismatch']) {
      document.addEventListener(name, (e) => window.__mcrEvents.push({ name, detail: e.detail }));
    }
  });
  const d = new DemoPage(page);
  await d.open();
  await d.complete();
  return { page, demo: d };
}

/** Relaunches the panel with extra options set before the token. */
async function relaunch(page, options) {
  await page.evaluate(async (o) => {
    const panel = document.getElementById('panel');
    const token = await (await fetch('/demo/token', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: 'ae-doctor', nhs_number: panel.nhsNumber }) })).json();
    window.__mcrEvents = [];
    Object.assign(panel, o);
    panel.token = token.access_token;
  }, options);
}

test('host demographics that differ from the shared record raise an alert and an event', async () => {
  const { page, demo: d } = await demo();
  await relaunch(page, { hostDemographics: { familyName: 'Smith-Jones', birthDate: '1901-01-01' } });
  const alert = page.locator('mcr-panel .mcr-mismatch');
  await alert.waitFor();
  const text = await alert.innerText();
  assert.match(text, /Check this is the right patient/);
  assert.match(text, /family name: Smith-Jones here/);
  assert.match(text, /date of birth: 01-Jan-1901 here/);
  await d.complete();
  const events = await page.evaluate(() => window.__mcrEvents.filter((e) => e.name === 'mcr-patient-mismatch'));
  assert.equal(events.length, 1, 'reported once');
  assert.deepEqual(events[0].detail.fields, ['family_name', 'birth_date']);
  // The same details as the record's, written differently, raise nothing.
  const banner = await d.banner().innerText();
  const family = banner.split(',')[0];
  await relaunch(page, { hostDemographics: { familyName: family.toLowerCase() } });
  await d.complete();
  assert.equal(await page.locator('mcr-panel .mcr-mismatch').count(), 0);
  await page.close();
});

test('a record left open is flagged as possibly out of date, and refresh fetches it again', async () => {
  const { page, demo: d } = await demo();
  assert.match(await page.locator('mcr-panel .mcr-retrieved').innerText(), /^Retrieved \d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}$/);
  await relaunch(page, { staleAfterMinutes: 0.02 });
  const stale = page.locator('mcr-panel .mcr-stale');
  await stale.waitFor({ timeout: 10000 });
  assert.match(await stale.innerText(), /may be out of date/);
  const ended = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/v1/contexts/'));
  const reopened = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/contexts'));
  await stale.locator('button').click();
  assert.equal((await ended).status(), 204, 'the old context is ended');
  assert.equal((await reopened).status(), 201, 'a new one is opened');
  await d.complete();
  // Flagged again later, not at once.
  assert.equal(await stale.count(), 0);
  await page.close();
});

test('setPatient switches patient at once and ends the old context', async () => {
  const { page, demo: d } = await demo();
  assert.match(await d.banner().innerText(), /999 000 0018/);
  const ended = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/v1/contexts/'));
  // The demo patient's launch token is for 999 000 0018 only: another patient needs a
  // new launch, which the panel asks for with the new token.
  await page.evaluate(async () => {
    const panel = document.getElementById('panel');
    const token = await (await fetch('/demo/token', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: 'ae-doctor', nhs_number: '9990000026' }) })).json();
    panel.token = token.access_token;
    panel.setPatient('9990000026');
  });
  assert.equal((await ended).status(), 204);
  await page.waitForFunction(() => /999 000 0026/.test(document.querySelector('mcr-panel').shadowRoot.querySelector('.mcr-banner')?.textContent ?? ''));
  await d.complete();
  assert.doesNotMatch(await d.banner().innerText(), /999 000 0018/);
  await page.close();
});
