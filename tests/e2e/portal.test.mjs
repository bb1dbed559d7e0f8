// End-to-end: the social-care portal and the patient's page in headless Chromium.
// A social worker finds a person by NHS number, date of birth and reason and sees the
// record read-only in the social-care dataset; a wrong date of birth opens nothing; the
// session warns before it ends and then signs out. A privacy officer sees the dissent
// register, the access log and the review list. A patient sees who looked, nothing clinical.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, launchBrowser } from './support.mjs';

const NHS = '9990000018';
let browser;
let birthDate;

before(async () => {
  browser = await launchBrowser();
  // The demo patient's date of birth, as a clinician's record gives it.
  const t = await fetch(`${BASE_URL}/demo/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'gp', nhs_number: NHS }) });
  const token = (await t.json()).access_token;
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const c = await fetch(`${BASE_URL}/api/v1/contexts`, { method: 'POST', headers, body: JSON.stringify({ nhs_number: NHS }) });
  const ctx = (await c.json()).context_id;
  const record = await (await fetch(`${BASE_URL}/api/v1/contexts/${ctx}/record`, { headers: { ...headers, Accept: 'application/json' } })).json();
  birthDate = record.patient.birth_date;
  assert.match(birthDate, /^\d{4}-\d{2}-\d{2}$/);
});
after(async () => { await browser?.close(); });

async function portal(user) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.clock.install();
  await page.goto(`${BASE_URL}/www/portal.html`);
  // OpenID Connect with PKCE: off to the (demo) identity provider and back.
  await page.click('#sign-in');
  await page.waitForURL(/\/demo\/authorize\?/);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(url.searchParams.get('code_challenge').length, 43);
  await page.check(`input[name=user][value=${user}]`);
  await page.click('#demo-sign-in button[type=submit]');
  await page.locator('#portal-search').waitFor();
  // The code has left the address bar, and nothing is left in storage.
  assert.ok(!page.url().includes('code='), page.url());
  assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0);
  return { page, errors };
}

async function find(page, { nhs = NHS, dob, reason }) {
  await page.fill('#search-nhs', nhs);
  if (dob !== undefined) await page.fill('#search-dob', dob);
  await page.fill('#search-reason', reason);
  await page.click('#search-form button[type=submit]');
}

test('a social worker finds a person by NHS number, date of birth and reason and sees the social-care dataset', async () => {
  const { page, errors } = await portal('social-worker');
  // The form says what is missing before anything is asked.
  await find(page, { reason: '' , dob: '' });
  assert.match(await page.locator('#search-error').innerText(), /date of birth/);
  // A wrong date of birth opens nothing.
  await find(page, { dob: '1900-01-01', reason: 'Safeguarding referral 2026/88' });
  await page.locator('mcr-panel .mcr-error').waitFor();
  assert.match(await page.locator('mcr-panel .mcr-error').innerText(), /no patient matches this NHS number and date of birth/);
  assert.equal(await page.locator('mcr-panel .mcr-section').count(), 0);
  // The right one opens the record, read-only, in the dataset.
  await find(page, { dob: birthDate, reason: 'Safeguarding referral 2026/88' });
  await page.locator('mcr-panel .mcr-panel[data-progress="complete"]').waitFor({ timeout: 30000 });
  assert.match(await page.locator('mcr-panel .mcr-banner').innerText(), /999 000 0018/);
  assert.match(await page.locator('mcr-panel .mcr-dataset').innerText(), /social-care dataset/);
  const tabs = await page.locator('mcr-panel [role=tab]').evaluateAll((els) => els.map((e) => e.dataset.tab));
  assert.deepEqual(tabs, ['summary', 'problems', 'medications', 'allergies', 'encounters', 'care-plans']);
  // Active problems only.
  await page.locator('mcr-panel [role=tab][data-tab="problems"]').click();
  assert.doesNotMatch(await page.locator('mcr-panel .mcr-section--problems').innerText(), /\(resolved\)/);
  // Comments can be read but not written.
  await page.locator('mcr-panel .mcr-comments[data-comments="ready"]').waitFor();
  assert.equal(await page.locator('mcr-panel .mcr-comment-form').count(), 0);
  assert.equal(await page.locator('mcr-panel .mcr-entry-comment').count(), 0);
  // Nothing in storage or the URL.
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length), 0);
  assert.ok(!page.url().includes(NHS));

  // The session warns two minutes before it ends, then signs out and removes the record.
  await page.clock.fastForward('13:30');
  assert.match(await page.locator('#portal-session').innerText(), /ends in 2 minutes/);
  await page.clock.fastForward('02:00');
  await page.locator('#portal-sign-in').waitFor();
  assert.match(await page.locator('#portal-session').innerText(), /session has ended/);
  assert.equal(await page.locator('mcr-panel .mcr-panel').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a privacy officer sees the dissent register, the access log and the review list', async () => {
  const { page, errors } = await portal('privacy-officer');
  assert.ok(await page.locator('#search-dob-group').isHidden(), 'officers search without a date of birth');
  await find(page, { reason: 'Subject access request SAR-2026-31' });
  await page.locator('#officer-patient').waitFor();
  await page.waitForFunction(() => document.getElementById('dissent-state').textContent.length > 0);
  assert.match(await page.locator('#dissent-state').innerText(), /No objection/);
  const log = page.locator('#access-log tbody');
  await log.locator('tr').first().waitFor();
  const text = await log.innerText();
  assert.match(text, /Opened the record/);
  assert.match(text, /Safeguarding referral 2026\/88 \(date of birth matched\)/, 'the social worker\'s search and reason are on record');
  await page.click('#dissent-set');
  await page.waitForFunction(() => /objects to sharing/.test(document.getElementById('dissent-state').textContent));
  await page.click('#dissent-lift');
  await page.waitForFunction(() => /No objection/.test(document.getElementById('dissent-state').textContent));
  await page.waitForFunction(() => /Recorded an objection/.test(document.querySelector('#access-log tbody').textContent));
  assert.ok(await page.locator('#reviews tbody tr').count() >= 1);
  // No clinical data for officers: there is no panel in use.
  assert.equal(await page.locator('mcr-panel .mcr-section').count(), 0);
  await page.click('#portal-sign-out');
  await page.locator('#portal-sign-in').waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a patient sees who looked at their record, and nothing clinical', async () => {
  const page = await browser.newPage();
  await page.goto(`${BASE_URL}/www/patient.html`);
  await page.fill('#patient-nhs', '999 000 0018');
  await page.click('#patient-form button[type=submit]');
  const table = page.locator('#patient-table tbody');
  await table.locator('tr').first().waitFor();
  const text = await table.innerText();
  assert.match(text, /A social worker\tY92001\tViewed your record\tSafeguarding referral/);
  assert.match(text, /A GP\tY90001\t/);
  const page_text = await page.locator('main').innerText();
  assert.doesNotMatch(page_text, /ae-doctor|social-worker|privacy-officer/, 'no user ids');
  assert.doesNotMatch(page_text, /\d+\s?mg\b|tablet|diabetes|hypertens/i, 'nothing clinical');
  await page.close();
});
